"""Reads on the watchlist and visits, always through the viewer's scope (the query sets
also hide the resident categories the viewer may not know of)."""

from datetime import date

from django.db.models import QuerySet

from nuanxin.core.scoping import Scope, get_in_scope_or_404
from nuanxin.inspections.models import Visit, WatchChange, WatchTarget


def targets_for(scope: Scope, *, active_only: bool = True) -> QuerySet[WatchTarget]:
    """The watch targets the viewer reaches, with what lists show preloaded."""
    targets = WatchTarget.objects.reached_by(scope)
    if active_only:
        targets = targets.active()
    return (
        targets.select_related("grid", "place", "resident", "worker")
        .defer("grid__boundary")
        .order_by("grid__path", "category", "id")
    )


def target_or_404(scope: Scope, target_id: int) -> WatchTarget:
    """One target the viewer may see; 404 (a denial is audited) otherwise. A key-person
    target answers exactly like a missing one for a viewer without people.view_key_person."""
    return get_in_scope_or_404(WatchTarget.objects.select_related("grid", "place", "resident"), scope, pk=target_id)


def changes_of(target: WatchTarget) -> QuerySet[WatchChange]:
    """The target's tier and frequency history, oldest first (the target is already in scope)."""
    return WatchChange.objects.filter(target=target).select_related("actor").order_by("at", "id")


def visits_for(scope: Scope, *, worker_id: int | None = None, due_by: date | None = None) -> QuerySet[Visit]:
    """The visits the viewer reaches, optionally one worker's and those due by a day."""
    visits = Visit.objects.reached_by(scope)
    if worker_id is not None:
        visits = visits.filter(worker_id=worker_id)
    if due_by is not None:
        visits = visits.filter(due_on__lte=due_by)
    return visits.select_related("target", "grid").defer("grid__boundary").order_by("due_on", "id")
