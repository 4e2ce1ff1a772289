"""The watchlist page's filters (django-filter), over the targets the viewer reaches.

A value the viewer may not choose (an unknown category, or a resident category they may not
know of) is ignored the same way as a typo, so trying `category=key_person` tells nothing;
an unknown status is "active" (the list's default). Nothing here is an error: every link
opens. The API's `TargetFilter` (inspections/api.py) compares the same fields."""

from typing import Any

from nuanxin.core.filters import IdFilter, KnownChoiceFilter, ListFilters
from nuanxin.core.scoping import Scope
from nuanxin.inspections.models import Tier
from nuanxin.inspections.queries import known_categories, targets_for

STATUSES = ("active", "ended", "all")


class WatchlistFilters(ListFilters):
    category = KnownChoiceFilter(choices=[])  # the viewer's own: set per viewer below
    tier = KnownChoiceFilter(choices=Tier.choices)
    grid = IdFilter(field_name="grid_id")
    worker = IdFilter(field_name="worker_id")
    status = KnownChoiceFilter(choices=[(s, s) for s in STATUSES], fallback="active", method="filter_status")

    def __init__(self, data: Any, *, scope: Scope) -> None:
        super().__init__(data, targets_for(scope, active_only=False))
        self.filters["category"].extra["choices"] = known_categories(scope)

    def filter_status(self, targets: Any, name: str, value: str) -> Any:
        if value == "active":
            return targets.active()
        if value == "ended":
            return targets.filter(ended_on__isnull=False)
        return targets
