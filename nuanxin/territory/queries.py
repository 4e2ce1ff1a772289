"""Reads on the territory: the grid index, who is responsible for a grid on a date, the
nodes a viewer may ask figures for."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db.models import Count, Max, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import Http404
from django.utils.translation import gettext as _

from nuanxin.core.access import deny
from nuanxin.core.errors import DomainError
from nuanxin.core.geo import PolygonIndex, parse_boundary
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import ascii_int
from nuanxin.territory.models import Area, Place, StaffAssignment

# One index per process, rebuilt when any grid changes (count and newest update time).
_grid_index: dict[str, Any] = {"stamp": None, "index": None}


def ancestor_paths(path: str) -> list[str]:
    """The paths of the area with this path and of every area above it, topmost first
    ("530112/001/" gives "530112/" and "530112/001/")."""
    parts = path.rstrip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _grid_stamp() -> tuple[Any, ...]:
    stamp = Area.objects.filter(level=Area.Level.GRID).aggregate(n=Count("id"), last=Max("id"), t=Max("updated_at"))
    return stamp["n"], stamp["last"], stamp["t"]


def grid_index() -> PolygonIndex:
    stamp = cache.get("territory:grid-stamp")
    if stamp is None:
        stamp = _grid_stamp()
        cache.set("territory:grid-stamp", stamp, 30)
    if _grid_index["stamp"] != stamp or _grid_index["index"] is None:
        grids = Area.objects.filter(level=Area.Level.GRID).only("id", "boundary")
        _grid_index["index"] = PolygonIndex([(g.id, parse_boundary(g.boundary)) for g in grids])
        _grid_index["stamp"] = stamp
    return _grid_index["index"]


def forget_grid_index() -> None:
    """Called by actions that change a grid, so the next lookup rebuilds the index."""
    cache.delete("territory:grid-stamp")
    _grid_index["stamp"] = None


def locate_grid(lng: float, lat: float) -> Area | None:
    """The grid containing the point, or None when it lies outside every grid. Read without
    its boundary (the index already answered where it is; a boundary is the largest column
    of a grid, and every report routed here would parse it): reading `boundary` loads it."""
    grid_id = grid_index().locate(lng, lat)
    return Area.objects.defer("boundary").get(pk=int(grid_id)) if isinstance(grid_id, int) else None


def working_areas(scope: Scope) -> QuerySet[Area]:
    """The subtrees the viewer works in (not merely the public map): the territory tree page."""
    return Area.objects.filter(scope.q("territory.view", "path")).order_by("path")


def map_centre(scope: Scope) -> tuple[float, float] | None:
    """Where a map opens before it knows better (a report's location not yet found): the
    viewer's first area, else the installation's first community; (lat, lng)."""
    area = working_areas(scope).only("center_lat", "center_lng").first()
    if area is None:
        area = Area.objects.filter(level=Area.Level.COMMUNITY).order_by("path").only("center_lat", "center_lng").first()
    return (area.center_lat, area.center_lng) if area is not None else None


def staff_on(grid: Area, day: date) -> QuerySet[StaffAssignment]:
    """Assignments on `grid` active on `day`: who was responsible then."""
    return (
        StaffAssignment.objects.filter(grid=grid)
        .filter(StaffAssignment.active_on_q(day))
        .select_related("person")
        .order_by("duty", "starts_on")
    )


# Who is on duty per grid and day, kept a short while in each process: every report of a
# grid-level case asks it (the case's handler), and rosters change by the week. A change saved
# through the models in this process clears it at once; the other processes see it within
# ROSTER_SECONDS, as they see a changed grid within the grid stamp's 30 s. The tests empty it
# before each test (nuanxin/conftest.py), so no test reads the roster of another test's
# rolled-back rows.
ROSTER_SECONDS = 30
_rosters = LocMemCache("nuanxin-rosters", {"TIMEOUT": ROSTER_SECONDS, "OPTIONS": {"MAX_ENTRIES": 20_000}})


def on_duty(grid: Area, day: date) -> list[StaffAssignment]:
    """staff_on(grid, day) as a list, from the short per-process cache above (which pickles:
    each call gets objects of its own, never another request's)."""
    key = f"{grid.pk}:{day.isoformat()}"
    roster = _rosters.get(key)
    if roster is None:
        roster = list(staff_on(grid, day))
        _rosters.set(key, roster)
    return roster


@receiver(post_save, sender=StaffAssignment)
@receiver(post_delete, sender=StaffAssignment)
def forget_rosters(**kwargs: Any) -> None:
    """Read the rosters again on the next call (in this process)."""
    _rosters.clear()


def formula_gaps(grid: Area, day: date) -> list[str]:
    """Which slots of "2+3(1)+N" are empty on `day` (see docs/territory.md)."""

    duties = [a.duty for a in staff_on(grid, day)]
    gaps = []
    if StaffAssignment.Duty.GRID_LEADER not in duties:
        gaps.append(_("no grid leader"))
    if StaffAssignment.Duty.GRID_ADVISOR not in duties:
        gaps.append(_("no grid advisor"))
    workers = [d for d in duties if d in (StaffAssignment.Duty.GRID_WORKER, StaffAssignment.Duty.PART_TIME_WORKER)]
    if StaffAssignment.Duty.GRID_WORKER not in duties:
        gaps.append(_("no full-time grid worker"))
    if len(workers) < 3:
        gaps.append(_("fewer than three grid workers"))
    return gaps


def places_for(scope: Scope) -> QuerySet[Place]:
    # Lists need the grid's name, not its polygon: skip decoding the boundary JSON per row.
    return Place.objects.visible_to(scope).select_related("grid").defer("grid__boundary")


def count_per_grid(rows: QuerySet, grids: list[Area]) -> list[int]:
    """How many of `rows` (any model with a `grid`) fall in each grid, in the grids' order."""
    counts = dict(rows.filter(grid__in=grids).values_list("grid_id").annotate(n=Count("id")).order_by())
    return [counts.get(grid.pk, 0) for grid in grids]


def figure_nodes(scope: Scope, permission: str) -> QuerySet[Area]:
    """The nodes a viewer may ask figures for: where they hold `permission`, topmost first."""
    return Area.objects.filter(scope.q(permission, "path")).only("id", "name", "level", "path").order_by("path")


def node_or_404(scope: Scope, node_id: str | int | None, *, permission: str, audit_as: str = "") -> Area:
    """The node a figures page asks for (default: the viewer's topmost where they hold
    `permission`); 404 (audited as `audit_as`, by default the permission) outside their reach
    and for a viewer who holds it nowhere. A node id that is not one is an error at `node`."""
    audit_as = audit_as or permission
    if not scope.has(permission):
        raise deny(scope, permission)
    if node_id in (None, ""):
        node = figure_nodes(scope, permission).first()
        if node is None:
            raise deny(scope, audit_as)
        return node
    text = str(node_id)
    if ascii_int(text) is None:
        raise DomainError(_("Choose a node of the territory."), field="node")
    # Compiled once per scope, the id its one changing input (Scope.prepared): the figures
    # endpoints ask for a node on every call.
    rows = scope.prepared(("figure node",), _node_row, int(text))
    if not rows:
        raise Http404
    # As the ORM loads a row: the values in the model's field order, the other fields deferred.
    names = [f.attname for f in Area._meta.concrete_fields if f.attname in rows[0]]
    node = Area.from_db(Area.objects.db, names, [rows[0][name] for name in names])
    if not scope.has_at(permission, node.path):
        raise deny(scope, f"{audit_as} territory.area {node.pk}")
    return node


def _node_row(pk: int) -> Any:
    return Area.objects.filter(pk=pk).values("id", "name", "level", "path")


@dataclass(frozen=True)
class FiguresChoice:
    """What a figures page shows: the node and period asked for, or the defaults where a
    field was bad (`errors`, keyed by the field, shown at it); `chosen` is what was typed."""

    chosen: dict[str, str]
    node: Area
    since: date
    until: date
    errors: dict[str, str]


def figures_choice(
    params: Mapping[str, Any],
    *,
    node_or_404: Callable[[str | None], Area],
    parse_period: Callable[[str | None, str | None], tuple[date, date]],
) -> FiguresChoice:
    """Read `node`, `from` and `to` for a figures page with the page's own node and period
    rules; a bad node or period falls back to the default (topmost node, this year) so the
    page still shows figures next to the error."""
    errors: dict[str, str] = {}
    chosen = {key: str(params.get(key, "")).strip() for key in ("node", "from", "to")}
    try:
        node = node_or_404(chosen["node"])
    except DomainError as exc:
        errors[exc.field or "node"] = exc.message
        node = node_or_404(None)
    try:
        since, until = parse_period(chosen["from"], chosen["to"])
    except DomainError as exc:
        errors[exc.field or "from"] = exc.message
        since, until = parse_period(None, None)
    return FiguresChoice(chosen=chosen, node=node, since=since, until=until, errors=errors)
