"""The pages' list filters, declared with django-filter: one `FilterSet` per list, whose form
reads the query string and whose filters narrow the rows the viewer's scope gives it.

Every list page reads its query string the same forgiving way, so an old link or bookmark
still opens: a choice the list does not know (a state, a grid id that is no number, a code
that cannot be one) is ignored and shown unchosen; a bad day, or a period ending before it
starts, is a form error at its field and that bound is not applied (the page answers 400
with the form). No domain knowledge here: each app declares its own filters with these.
"""

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError
from nuanxin.core.periods import days_q, moments_q, parse_day
from nuanxin.core.validators import ascii_int


class KnownChoiceField(forms.ChoiceField):
    """One of the choices, or `fallback` ("": not chosen) for anything else: an unknown value
    is ignored."""

    def __init__(self, *args: Any, fallback: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fallback = fallback

    def clean(self, value: Any) -> str:
        text = str(value or "").strip()
        return text if text and self.valid_value(text) else self.fallback


class KnownChoiceFilter(django_filters.ChoiceFilter):
    field_class = KnownChoiceField


class IdField(forms.Field):
    """A row id written in ASCII digits, or None for anything else (ignored)."""

    def clean(self, value: Any) -> int | None:
        return ascii_int(str(value or ""))


class IdFilter(django_filters.Filter):
    field_class = IdField


class CodeField(forms.Field):
    """A code (lower-case letters, digits, "-" and "_", at most 40), or "" for anything else."""

    _CODE = re.compile(r"^[-a-z0-9_]{1,40}$")

    def clean(self, value: Any) -> str:
        text = str(value or "").strip()
        return text if self._CODE.match(text) else ""


class CodeFilter(django_filters.Filter):
    field_class = CodeField


class FlagField(forms.Field):
    """A check box sent as "1": True when ticked, None (not applied) otherwise."""

    def clean(self, value: Any) -> bool | None:
        return True if str(value or "").strip() == "1" else None


class FlagFilter(django_filters.Filter):
    field_class = FlagField


class DayField(forms.Field):
    """A day as YYYY-MM-DD, or None when empty; anything else is an error at the field."""

    def clean(self, value: Any) -> date | None:
        text = str(value or "").strip()
        if not text:
            return None
        day = parse_day(text)
        if day is None:
            raise forms.ValidationError(_("Enter a date as YYYY-MM-DD."), code="invalid")
        return day


class DayFilter(django_filters.Filter):
    field_class = DayField


def since_filter(field: str, *, moments: bool = False) -> DayFilter:
    """The first day of a period (included) on the date `field`, or on the timestamp `field`
    read as local days (`moments`: from local midnight, so its index serves the filter)."""
    q = moments_q if moments else days_q
    return DayFilter(method=lambda rows, name, day: rows.filter(q(field, day, None)))


def until_filter(field: str, *, moments: bool = False) -> DayFilter:
    """The last day of a period (included); see `since_filter`."""
    q = moments_q if moments else days_q
    return DayFilter(method=lambda rows, name, day: rows.filter(q(field, None, day)))


class ListFilters(django_filters.FilterSet):
    """A list page's filters, always bound (without a query string, to nothing chosen). A
    subclass names its period's two parameters in `period`: a period ending before it
    starts is an error at its end, and the end is not applied."""

    period: tuple[str, str] | None = None
    # A filter whose parameter is a word of Python's ("class"): {attribute name: parameter}.
    renamed: dict[str, str] = {}

    @classmethod
    def get_filters(cls) -> dict[str, Any]:
        filters = super().get_filters()
        return {cls.renamed.get(name, name): declared for name, declared in filters.items()}

    def __init__(self, data: Any, queryset: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(data if data is not None else {}, queryset, **kwargs)

    def get_form_class(self) -> type[forms.Form]:
        form_class: type[forms.Form] = super().get_form_class()
        period = self.period
        if period is None:
            return form_class

        def clean(form: forms.Form) -> dict[str, Any]:
            data = form_class.clean(form) or {}
            since, until = data.get(period[0]), data.get(period[1])
            if since and until and since > until:
                form.add_error(period[1], _("The end of the period is before its start."))
            return form.cleaned_data

        return type(form_class.__name__, (form_class,), {"clean": clean})

    def cleaned(self) -> dict[str, Any]:
        """The applied values by parameter (None or "" where nothing applies)."""
        self.form.is_valid()
        return {name: self.form.cleaned_data.get(name) for name in self.filters}

    @property
    def field_errors(self) -> dict[str, str]:
        """The first message at each bad parameter (what the page shows at the field)."""
        return {name: str(messages[0]) for name, messages in self.form.errors.items()}

    def raise_first_error(self) -> None:
        """For a download or an API answer: the first bad parameter as a DomainError naming it."""
        for name, message in self.field_errors.items():
            raise DomainError(message, field=name)

    def chosen(self) -> dict[str, str]:
        """The applied values as the form's fields spell them ("" where not chosen)."""
        return {name: _spelled(value) for name, value in self.cleaned().items()}

    def active(self) -> dict[str, str]:
        """Only the chosen filters: for links (map, export) and the audit entry of an export."""
        return {name: value for name, value in self.chosen().items() if value}

    def query_string(self) -> str:
        return urlencode(self.active())


def _spelled(value: Any) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
