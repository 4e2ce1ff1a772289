"""The cases waiting for a viewer (core.workqueue): the ones routed to them to take on and
handle, and the ones their office must accept, dispatch, verify or close. Registered by
CasesConfig.ready."""

from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from nuanxin.cases.models import Case
from nuanxin.cases.queries import managed_by, territory_cases
from nuanxin.core.scoping import Scope
from nuanxin.core.workqueue import Item, Source

S = Case.State
# The step each state waits for, from the case's handler and from its managers.
HANDLER_STEPS: dict[str, Any] = {
    S.REPORTED: gettext_lazy("to take on"),
    S.ACCEPTED: gettext_lazy("to start"),
    S.DISPATCHED: gettext_lazy("to start"),
    S.IN_PROGRESS: gettext_lazy("to resolve"),
}
MANAGER_STEPS: dict[str, Any] = {
    S.REPORTED: gettext_lazy("to accept"),
    S.ACCEPTED: gettext_lazy("to dispatch"),
    S.RESOLVED: gettext_lazy("to verify"),
    S.VERIFIED: gettext_lazy("to close"),
}


def _applies(scope: Scope, user: Any) -> bool:
    return scope.has("cases.handle") or scope.has("cases.manage")


def _waiting(scope: Scope, user: Any) -> QuerySet[Case]:
    mine = Q(handler_id=user.pk, state__in=list(HANDLER_STEPS))
    # As the actions allow (cases.queries.managed_by); a handler never verifies their own work.
    managed = managed_by(scope, user) & Q(state__in=list(MANAGER_STEPS)) & ~Q(handler_id=user.pk, state=S.RESOLVED)
    return territory_cases(scope).filter(mine | managed)


def _count(scope: Scope, user: Any, now: datetime) -> int:
    return _waiting(scope, user).count()


def _first(scope: Scope, user: Any, now: datetime, n: int) -> list[Item]:
    rows = (
        _waiting(scope, user)
        .select_related("case_class", "grid")
        .order_by("-urgent", F("deadline").asc(nulls_last=True), "reported_at", "id")[:n]
    )
    items = []
    for case in rows:
        steps = HANDLER_STEPS if case.handler_id == user.pk and case.state in HANDLER_STEPS else MANAGER_STEPS
        items.append(
            Item(
                title=f"{case.case_class.name} {case.number}",
                detail=f"{steps[case.state]} · {case.grid.name}",
                url=reverse("cases:detail", args=[case.pk]),
                when=timezone.localtime(case.deadline) if case.deadline else None,
                urgent=case.urgent,
                overdue=case.deadline is not None and case.deadline < now,
            )
        )
    return items


SOURCE = Source(
    key="cases",
    label=gettext_lazy("Cases waiting for me"),
    url="cases:list",
    capability="cases",
    applies=_applies,
    count=_count,
    first=_first,
    order=10,
)
