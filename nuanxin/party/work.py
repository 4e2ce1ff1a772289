"""What party work has waiting (core.workqueue): the organisations' meetings whose planned day
has come and which nobody has recorded yet, for whoever keeps party work there. Registered by
PartyConfig.ready."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from nuanxin.core.scoping import Scope
from nuanxin.core.workqueue import Item, Source
from nuanxin.party.models import BranchMeeting


def _applies(scope: Scope, user: Any) -> bool:
    return scope.has("party.manage")


def _waiting(scope: Scope, now: datetime) -> QuerySet[BranchMeeting]:
    return BranchMeeting.objects.filter(
        scope.q("party.manage", "org__area__path"), held_on__isnull=True, planned_on__lte=timezone.localdate(now)
    )


def _count(scope: Scope, user: Any, now: datetime) -> int:
    return _waiting(scope, now).count()


def _first(scope: Scope, user: Any, now: datetime, n: int) -> list[Item]:
    today = timezone.localdate(now)
    rows = _waiting(scope, now).select_related("org").order_by("planned_on", "id")[:n]
    return [
        Item(
            title=meeting.org.name,
            detail=meeting.get_kind_display(),
            url=reverse("party:meeting", args=[meeting.pk]),
            when=meeting.planned_on,
            overdue=meeting.planned_on < today,
        )
        for meeting in rows
    ]


SOURCE = Source(
    key="meetings",
    label=gettext_lazy("Party meetings to record"),
    url="party:life",
    capability="party",
    applies=_applies,
    count=_count,
    first=_first,
    order=50,
)
