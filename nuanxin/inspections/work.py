"""The visits waiting for a grid worker (core.workqueue): due today or overdue (missed, or due
before today and not done, within the quarter "My visits" shows), re-checks of rectification
orders among them. Registered by InspectionsConfig.ready."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from nuanxin.core.scoping import Scope
from nuanxin.core.workqueue import Item, Source
from nuanxin.inspections.models import Visit
from nuanxin.inspections.queries import open_visits, target_name


def _applies(scope: Scope, user: Any) -> bool:
    return scope.has("inspections.record")


def _waiting(scope: Scope, user: Any, now: datetime) -> QuerySet[Visit]:
    today = timezone.localdate(now)
    return open_visits(scope, worker_id=user.pk, today=today, due_by=today)


def _count(scope: Scope, user: Any, now: datetime) -> int:
    return _waiting(scope, user, now).count()


def _first(scope: Scope, user: Any, now: datetime, n: int) -> list[Item]:
    today = timezone.localdate(now)
    rows = _waiting(scope, user, now).select_related("target__place", "target__resident", "place")[:n]
    return [
        Item(
            title=target_name(visit),
            detail=f"{visit.get_kind_display()} · {visit.grid.name}",
            url=reverse("inspections:visit", args=[visit.pk]),
            when=visit.due_on,
            overdue=visit.due_on < today or visit.state == Visit.State.MISSED,
        )
        for visit in rows
    ]


SOURCE = Source(
    key="visits",
    label=gettext_lazy("Visits due today and overdue"),
    url="inspections:visits",
    capability="inspections",
    applies=_applies,
    count=_count,
    first=_first,
    order=20,
)
