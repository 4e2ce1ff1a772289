"""What waits for organisers and partners (core.workqueue): service hours to approve, per
activity, for who certifies them (hours.queries.may_certify's permissions at the activity's
area); vouchers holders may bring, for who confirms them (a partner's representatives, staff
managing volunteers). Registered by VolunteersConfig.ready."""

from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nuanxin.core.scoping import Scope
from nuanxin.core.workqueue import Item, Source
from nuanxin.volunteers.models import ORGANISER_PERMISSIONS, Redemption, ServiceRecord
from nuanxin.volunteers.points.queries import may_confirm_any


def _certifies(scope: Scope, user: Any) -> bool:
    return any(scope.has(p) for p in ORGANISER_PERMISSIONS)


def _pending_hours(scope: Scope) -> QuerySet[ServiceRecord]:
    reach = Q(pk__in=[])
    for permission in ORGANISER_PERMISSIONS:
        reach |= scope.q(permission, "activity__area__path")
    return ServiceRecord.objects.filter(reach, state=ServiceRecord.State.PENDING)


def _groups(rows: QuerySet[Any], by: str, name: str, since: str, n: int) -> list[dict[str, Any]]:
    """The first n groups of rows by `by`, the longest waiting first: the group's id, its
    `name`, how many rows (`count`)."""
    grouped = rows.values(by, name).annotate(count=Count("id"), since=Min(since))
    return list(grouped.order_by("since", by)[:n])


def _hours_count(scope: Scope, user: Any, now: datetime) -> int:
    return _pending_hours(scope).values("activity_id").distinct().count()


def _hours_first(scope: Scope, user: Any, now: datetime, n: int) -> list[Item]:
    return [
        Item(
            title=row["activity__title"],
            detail=_("%(n)d records to approve") % {"n": row["count"]},
            url=reverse("hours:activity", args=[row["activity_id"]]),
        )
        for row in _groups(_pending_hours(scope), "activity_id", "activity__title", "created_at", n)
    ]


def _issued(scope: Scope, user: Any) -> QuerySet[Redemption]:
    """Vouchers issued and not yet redeemed that this viewer would confirm: their partners'
    rewards, and (staff) the community's own rewards of their area."""
    mine = Q(reward__provider__representatives=user) | (
        Q(reward__provider__isnull=True) & scope.q("volunteers.manage", "reward__area__path")
    )
    return Redemption.objects.filter(mine, state=Redemption.State.ISSUED)


def _vouchers_count(scope: Scope, user: Any, now: datetime) -> int:
    return _issued(scope, user).values("reward_id").distinct().count()


def _vouchers_first(scope: Scope, user: Any, now: datetime, n: int) -> list[Item]:
    confirm = reverse("points:confirm")
    return [
        Item(
            title=row["reward__name"],
            detail=_("%(n)d vouchers not yet redeemed: confirm each when it is brought") % {"n": row["count"]},
            url=confirm,
        )
        for row in _groups(_issued(scope, user), "reward_id", "reward__name", "issued_at", n)
    ]


HOURS = Source(
    key="hours",
    label=gettext_lazy("Service hours to approve"),
    url="activities:list",
    capability="volunteers",
    applies=_certifies,
    count=_hours_count,
    first=_hours_first,
    order=30,
)
VOUCHERS = Source(
    key="vouchers",
    label=gettext_lazy("Vouchers to confirm"),
    url="points:confirm",
    capability="volunteers",
    applies=lambda scope, user: may_confirm_any(user, scope),
    count=_vouchers_count,
    first=_vouchers_first,
    order=40,
)
