"""The dispute list's filters, declared once: `DisputeFilters` (django-filter) for the list
page, and the lookups the API's `DisputeFilter` uses too. `since` and `until` are days, both
included, on the day a dispute was received; an unknown choice is ignored on the page (an
old link still opens), a bad day is an error at its field (core.filters)."""

from typing import Any

from django.db.models import Q

from nuanxin.core.filters import IdFilter, KnownChoiceFilter, ListFilters, since_filter, until_filter
from nuanxin.core.periods import days_q, filter_period
from nuanxin.core.scoping import Scope
from nuanxin.ledgers.disputes.queries import disputes_for
from nuanxin.ledgers.models import Dispute, DisputeKind, Outcome, SettledLevel

# The day the period filters compare, and what the level filter compares.
RECEIVED = "received_on"
LEVEL_LOOKUP = "settled_level"


class DisputeFilters(ListFilters):
    """The list page's filters over the disputes of the viewer's territory (`disputes_for`)."""

    period = ("since", "until")

    since = since_filter(RECEIVED)
    until = until_filter(RECEIVED)
    grid = IdFilter(field_name="grid_id")
    kind = KnownChoiceFilter(choices=DisputeKind.choices)
    state = KnownChoiceFilter(choices=Dispute.State.choices)
    outcome = KnownChoiceFilter(choices=Outcome.choices)
    level = KnownChoiceFilter(choices=SettledLevel.choices, field_name=LEVEL_LOOKUP)

    def __init__(self, data: Any, *, scope: Scope) -> None:
        super().__init__(data, disputes_for(scope))


def received_q(since_text: str, until_text: str) -> tuple[Q, dict[str, str]]:
    """The API's period, sent as text: the disputes received on those days (both included),
    and the errors by parameter (the page's messages: a bad day, an end before the start)."""
    since, until, errors = filter_period({"since": since_text, "until": until_text})
    return days_q(RECEIVED, since, until), errors
