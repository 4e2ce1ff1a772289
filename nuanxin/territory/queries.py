"""Reads on the territory: the grid index, who is responsible for a grid on a date."""

from datetime import date
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, QuerySet

from nuanxin.core.geo import PolygonIndex, parse_boundary
from nuanxin.core.scoping import Scope
from nuanxin.territory.models import Area, Place, StaffAssignment

# One index per process, rebuilt when any grid changes (count and newest update time).
_grid_index: dict[str, Any] = {"stamp": None, "index": None}


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
    """The grid containing the point, or None when it lies outside every grid."""
    grid_id = grid_index().locate(lng, lat)
    return Area.objects.get(pk=int(grid_id)) if isinstance(grid_id, int) else None


def working_areas(scope: Scope) -> QuerySet[Area]:
    """The subtrees the viewer works in (not merely the public map): the territory tree page."""
    return Area.objects.filter(scope.q("territory.view", "path")).order_by("path")


def staff_on(grid: Area, day: date) -> QuerySet[StaffAssignment]:
    """Assignments on `grid` active on `day`: who was responsible then."""
    return (
        StaffAssignment.objects.filter(grid=grid)
        .filter(StaffAssignment.active_on_q(day))
        .select_related("person")
        .order_by("duty", "starts_on")
    )


def formula_gaps(grid: Area, day: date) -> list[str]:
    """Which slots of "2+3(1)+N" are empty on `day` (see docs/territory.md)."""
    from django.utils.translation import gettext as _

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
