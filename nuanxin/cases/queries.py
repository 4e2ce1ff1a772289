"""Reads on cases: scoped lists with the related rows preloaded, and the timeline a viewer
may read."""

from django.db.models import QuerySet
from django.utils import timezone

from nuanxin.cases.models import Case, CaseEvent
from nuanxin.core.scoping import Scope, get_in_scope_or_404


def cases_for(scope: Scope) -> QuerySet[Case]:
    """Cases the viewer may see: staff through the territory, reporters their own; emergencies
    first, then the newest."""
    return (
        Case.objects.visible_to(scope)
        .select_related("case_class", "grid", "handler")
        .defer("grid__boundary")
        .order_by("-emergency", "-reported_at", "-id")
    )


def case_or_404(scope: Scope, case_id: int) -> Case:
    return get_in_scope_or_404(cases_for(scope), scope, pk=case_id)


def is_staff_viewer(scope: Scope, case: Case) -> bool:
    """Staff who see the case through the territory (not merely as its reporter)."""
    return scope.has_at("cases.view", case.grid.path)


def timeline_for(scope: Scope, case: Case) -> QuerySet[CaseEvent]:
    """The case's events; a reporter sees no internal notes."""
    events = case.events.select_related("actor").order_by("at", "id")
    return events if is_staff_viewer(scope, case) else events.filter(internal=False)


def overdue(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.filter(deadline__lt=timezone.now())
