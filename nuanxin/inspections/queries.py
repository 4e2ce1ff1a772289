"""Reads on the watchlist and visits, always through the viewer's scope (the query sets
also hide the resident categories the viewer may not know of)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from nuanxin.core.access import get_in_scope_or_404
from nuanxin.core.masking import mask_name
from nuanxin.core.scoping import Scope
from nuanxin.inspections.models import (
    CATEGORY_PERMISSION,
    Category,
    Hazard,
    Rectification,
    Visit,
    WatchChange,
    WatchTarget,
)
from nuanxin.territory.models import Area


def known_categories(scope: Scope) -> list[tuple[str, str]]:
    """The categories a viewer may know of somewhere: every place category, and a resident
    category only with its permission (a grid worker is never offered `key_person`)."""
    return [
        (code, str(label))
        for code, label in Category.choices
        if code not in CATEGORY_PERMISSION or scope.has(CATEGORY_PERMISSION[code])
    ]


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


def visits_for(
    scope: Scope, *, worker_id: int | None = None, due_by: date | None = None, state: str = ""
) -> QuerySet[Visit]:
    """The visits the viewer reaches, optionally one worker's, those due by a day and those in
    one state (a worker's to-do is `state="due"`)."""
    visits = Visit.objects.reached_by(scope)
    if worker_id is not None:
        visits = visits.filter(worker_id=worker_id)
    if state:
        visits = visits.filter(state=state)
    if due_by is not None:
        visits = visits.filter(due_on__lte=due_by)
    return visits.select_related("target", "grid").defer("grid__boundary").order_by("due_on", "id")


# "Overdue" reaches back one quarter, the longest period: an older missed visit has been
# followed by its target's next one and stays only in the record and the console figures.
OVERDUE_DAYS = 92


def open_visits(scope: Scope, *, worker_id: int, today: date, due_by: date) -> QuerySet[Visit]:
    """A worker's visits not done, due by `due_by` and back to the oldest still overdue
    (OVERDUE_DAYS): "My visits" and the work queue."""
    since = today - timedelta(days=OVERDUE_DAYS)
    return (
        visits_for(scope, worker_id=worker_id, due_by=due_by).filter(due_on__gte=since).exclude(state=Visit.State.DONE)
    )


def target_name(visit: Visit) -> str:
    """The place's name, or the resident's masked name (a campaign check: its place)."""
    target = visit.target
    if target is None:
        return visit.place.name if visit.place is not None else ""
    if target.place is not None:
        return target.place.name
    return mask_name(target.resident.name) if target.resident is not None else ""


def visit_or_404(scope: Scope, visit_id: int) -> Visit:
    """One visit the viewer may see, with what its pages show; a visit of a hidden category
    is the same 404 as a missing one."""
    return get_in_scope_or_404(  # type: ignore[no-any-return]
        Visit.objects.select_related(
            "grid__parent", "worker", "version__template", "place", "target__place", "target__resident__place"
        ).defer("grid__boundary", "grid__parent__boundary"),
        scope,
        pk=visit_id,
    )


def rectification_or_404(scope: Scope, order_id: int) -> Rectification:
    """One order the viewer may see (hidden categories answer 404 like a missing order)."""
    return get_in_scope_or_404(  # type: ignore[no-any-return]
        Rectification.objects.select_related(
            "grid__parent", "visit__worker", "visit__version__template", "place", "case", "target__resident"
        ).defer("grid__boundary", "grid__parent__boundary"),
        scope,
        pk=order_id,
    )


def overdue_orders_q(today: date | None = None) -> Q:
    """Orders still open after their deadline (the page's and the API's "overdue")."""
    return Q(state=Rectification.State.OPEN, deadline__lt=today or timezone.localdate())


def rectifications_for(scope: Scope) -> QuerySet[Rectification]:
    """The orders the viewer reaches, newest first, with their open hazards counted (the page
    and the API narrow them with their filters)."""
    return (
        Rectification.objects.reached_by(scope)
        .select_related("grid", "case")
        .defer("grid__boundary")
        .annotate(open_hazards=Count("hazards", filter=Q(hazards__fixed=False)))
        .order_by("-issued_on", "-id")
    )


# Planned visits: routine ones and re-checks, not the checks a campaign records as it goes.
PLANNED = Q(kind__in=[Visit.Kind.ROUTINE, Visit.Kind.RECHECK])


@dataclass
class Completion:
    due: int = 0
    done: int = 0
    on_time: int = 0
    missed: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.done / self.due) if self.due else None

    def add(self, other: "Completion") -> None:
        self.due += other.due
        self.done += other.done
        self.on_time += other.on_time
        self.missed += other.missed


@dataclass
class GridRow:
    grid: Area
    completion: Completion = field(default_factory=Completion)
    open_hazards: int = 0
    open_orders: int = 0
    overdue_orders: int = 0

    def add(self, other: "GridRow") -> None:
        self.completion.add(other.completion)
        self.open_hazards += other.open_hazards
        self.open_orders += other.open_orders
        self.overdue_orders += other.overdue_orders


@dataclass
class CommunityBlock:
    community: Area | None
    grids: list[GridRow]
    total: GridRow


@dataclass
class WorkerRow:
    worker: Any
    completion: Completion


def _completion_counts(visits: QuerySet[Visit], by: str, today: date) -> dict[int, Completion]:
    done = Q(state=Visit.State.DONE)
    rows = visits.values(by).annotate(
        n_due=Count("id"),
        n_done=Count("id", filter=done),
        n_on_time=Count("id", filter=done & Q(done_at__date__lte=F("due_on"))),
        n_missed=Count("id", filter=Q(state=Visit.State.MISSED) | Q(state=Visit.State.DUE, due_on__lt=today)),
    )
    return {row[by]: Completion(row["n_due"], row["n_done"], row["n_on_time"], row["n_missed"]) for row in rows}


def console_figures(
    scope: Scope, start: date, end: date, today: date
) -> tuple[list[CommunityBlock], list[WorkerRow], GridRow]:
    """Completion of the planned visits due in [start, end] per grid and per worker, and the
    open hazards and overdue orders (now) per grid, grouped by community with totals. All
    through the scope: a key-person visit or order the viewer may not know of is not
    counted anywhere."""
    grids = list(
        Area.objects.filter(level=Area.Level.GRID)
        .filter(scope.q("inspections.view", "path"))
        .select_related("parent")
        .defer("boundary", "parent__boundary")
        .order_by("path")
    )
    visits = Visit.objects.reached_by(scope).filter(PLANNED, due_on__gte=start, due_on__lte=end)
    by_grid = _completion_counts(visits, "grid_id", today)
    by_worker = _completion_counts(visits, "worker_id", today)
    orders = Rectification.objects.reached_by(scope).filter(state=Rectification.State.OPEN)
    order_rows = orders.values("grid_id").annotate(n=Count("id"), overdue=Count("id", filter=Q(deadline__lt=today)))
    order_counts = {row["grid_id"]: row for row in order_rows}
    hazard_rows = (
        Hazard.objects.filter(fixed=False, rectification__in=orders.values("pk"))
        .values("rectification__grid_id")
        .annotate(n=Count("id"))
    )
    hazard_counts = {row["rectification__grid_id"]: row["n"] for row in hazard_rows}
    blocks: dict[int | None, CommunityBlock] = {}
    overall = GridRow(grid=None)  # type: ignore[arg-type]
    for grid in grids:
        row = GridRow(
            grid=grid,
            completion=by_grid.get(grid.pk, Completion()),
            open_hazards=hazard_counts.get(grid.pk, 0),
            open_orders=order_counts.get(grid.pk, {}).get("n", 0),
            overdue_orders=order_counts.get(grid.pk, {}).get("overdue", 0),
        )
        block = blocks.setdefault(grid.parent_id, CommunityBlock(grid.parent, [], GridRow(grid=grid.parent)))  # type: ignore[arg-type]
        block.grids.append(row)
        block.total.add(row)
        overall.add(row)
    users = {
        u.pk: u for u in get_user_model().objects.filter(pk__in=list(by_worker)).only("id", "username", "display_name")
    }
    workers = sorted(
        (WorkerRow(users[pk], completion) for pk, completion in by_worker.items() if pk in users),
        key=lambda w: str(w.worker),
    )
    return list(blocks.values()), workers, overall
