from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nuanxin.territory.models import Area, Place
from nuanxin.voice.models import OpinionCategory, OpinionChannel


def _choose(form: forms.Form, name: str, rows: Iterable[Any], *, blank: bool = False) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.TypedChoiceField)
    field.choices = [*([("", "—")] if blank else []), *((row.pk, row.name) for row in rows)]


class OpinionForm(forms.Form):
    """An opinion given on the phone; staff entering one for someone add where it was heard
    (`channel`) and, when known, the resident (RecordForm)."""

    community = forms.TypedChoiceField(label=_("community"), coerce=int)
    category = forms.ChoiceField(label=_("what it is about"), choices=OpinionCategory.choices)
    place = forms.TypedChoiceField(
        label=_("building or place (optional)"), coerce=int, required=False, empty_value=None
    )
    text = forms.CharField(label=_("your opinion"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))
    photo = forms.FileField(label=_("photo (optional)"), required=False)
    anonymous = forms.BooleanField(label=_("give it anonymously"), required=False)

    def __init__(self, *args: Any, communities: Iterable[Area] = (), places: Iterable[Place] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        _choose(self, "community", communities)
        _choose(self, "place", places, blank=True)


class RecordForm(OpinionForm):
    channel = forms.ChoiceField(
        label=_("heard through"), choices=[c for c in OpinionChannel.choices if c[0] != OpinionChannel.PHONE]
    )
    field_order = ["community", "channel", "category", "place", "text", "anonymous", "photo"]


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("reply to the residents"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CaseForm(ReplyForm):
    case_class = forms.TypedChoiceField(label=_("case class"), coerce=int)

    def __init__(self, *args: Any, classes: Iterable[Any] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        _choose(self, "case_class", classes)


class NeedForm(ReplyForm):
    title = forms.CharField(label=_("the need's title"), max_length=100)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("rating"), coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)])
