"""The console's case filters, declared once: `CaseFilters` (django-filter) for the list, the
map and the export, and the lookups and the overdue rule the API's `CaseFilter` uses too.

A page reads its query string forgivingly (core.filters): an unknown state, level, channel,
grid or code is ignored, so an old link still opens; a bad day, or a period ending before
it starts, is an error at its field and that bound is not applied. `since` and `until` are
days, both included, on the date a case was reported. The state is "open" (every open state)
unless another is chosen: the list, the map and the export open on the work still to do, and
"any" or a state such as closed shows the rest."""

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from nuanxin.cases.actions import OPEN_STATES
from nuanxin.cases.models import Case, Level
from nuanxin.cases.queries import territory_cases
from nuanxin.core.filters import (
    CodeFilter,
    FlagFilter,
    IdFilter,
    KnownChoiceFilter,
    ListFilters,
    since_filter,
    until_filter,
)
from nuanxin.core.scoping import Scope

# What the class and category filters compare, on the list pages and in the API.
CLASS_LOOKUP = "case_class__code"
CATEGORY_LOOKUP = "case_class__category__code"
# The state filter: the open cases (by default), every case, or one state.
OPEN, ANY_STATE = "open", "any"
STATE_CHOICES = [
    (OPEN, pgettext_lazy("cases filter", "open")),
    (ANY_STATE, pgettext_lazy("cases filter", "any state")),
    *Case.State.choices,
]


def overdue_q(now: datetime | None = None) -> Q:
    """Cases whose current stage has passed its deadline (closed cases have none)."""
    return Q(deadline__lt=now or timezone.now())


class CaseFilters(ListFilters):
    """What the viewer asked for on the list, the map or the export, over the cases of their
    territory (`territory_cases`): the filters only narrow what the scope gives. `now` is the
    moment the overdue filter compares with (an export's title names the same moment)."""

    period = ("since", "until")
    # `class` is a word of Python's: declared as case_class, named class in the query string.
    renamed = {"case_class": "class"}

    state = KnownChoiceFilter(choices=STATE_CHOICES, fallback=OPEN, method="filter_state")
    category = CodeFilter(field_name=CATEGORY_LOOKUP)
    case_class = CodeFilter(field_name=CLASS_LOOKUP)
    grid = IdFilter(field_name="grid_id")
    level = KnownChoiceFilter(choices=Level.choices)
    channel = KnownChoiceFilter(choices=Case.Channel.choices)
    emergency = FlagFilter()
    overdue = FlagFilter(method="filter_overdue")
    since = since_filter("reported_at", moments=True)
    until = until_filter("reported_at", moments=True)

    def __init__(self, data: Any, *, scope: Scope, now: datetime | None = None) -> None:
        self.now = now or timezone.now()
        super().__init__(data, territory_cases(scope))

    def filter_state(self, cases: Any, name: str, value: str) -> Any:
        if value == ANY_STATE:
            return cases
        return cases.filter(state__in=OPEN_STATES) if value == OPEN else cases.filter(state=value)

    def filter_overdue(self, cases: Any, name: str, value: bool) -> Any:
        return cases.filter(overdue_q(self.now))
