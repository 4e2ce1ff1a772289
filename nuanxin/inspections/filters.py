"""The inspections pages' filters (django-filter): the watchlist's, over the targets the
viewer reaches, and the rectification orders'.

A value the viewer may not choose (an unknown category, or a resident category they may not
know of) is ignored the same way as a typo, so trying `category=key_person` tells nothing;
an unknown status is "active" (the list's default). Nothing here is an error: every link
opens. The API's `TargetFilter` (inspections/api.py) compares the same fields."""

from datetime import date
from typing import Any

from nuanxin.core.filters import FlagFilter, IdFilter, KnownChoiceFilter, ListFilters
from nuanxin.core.scoping import Scope
from nuanxin.inspections.models import Rectification, Tier
from nuanxin.inspections.queries import known_categories, overdue_orders_q, rectifications_for, targets_for

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


class RectificationFilters(ListFilters):
    """The orders page: state, grid and overdue (still open after the deadline, as of
    `today`); an unknown state or grid is ignored. The API's `RectificationFilter` reads the
    same fields and the same overdue."""

    state = KnownChoiceFilter(choices=Rectification.State.choices)
    grid = IdFilter(field_name="grid_id")
    overdue = FlagFilter(method="filter_overdue")

    def __init__(self, data: Any, *, scope: Scope, today: date) -> None:
        self.today = today
        super().__init__(data, rectifications_for(scope))

    def filter_overdue(self, orders: Any, name: str, value: bool) -> Any:
        return orders.filter(overdue_orders_q(self.today))
