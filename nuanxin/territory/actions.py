"""Writes on the territory: areas, places, staffing. Each runs in one transaction and is audited."""

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from shapely.geometry import mapping

from nuanxin.core import audit, changes
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.geo import PolygonIndex, check_point, parse_boundary, parse_line
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import plain_name, plain_text
from nuanxin.territory.models import CHILD_LEVEL, Area, BasemapLine, Place, StaffAssignment
from nuanxin.territory.queries import forget_grid_index, locate_grid

# Keeping the territory outside the viewer's territory.manage.
OUTSIDE_TERRITORY = gettext_noop("This is outside the area where you keep the territory.")
# Staffing a grid outside the viewer's staffing.manage.
OUTSIDE_STAFFING = gettext_noop("This grid is outside the area where you assign staff.")


def _forget_grid_index_now_and_on_commit() -> None:
    # Now for reads in this transaction, again on commit for reads that raced it.
    forget_grid_index()
    transaction.on_commit(forget_grid_index)


def _check_grid_overlap(geometry: Any, *, exclude_id: int | None = None) -> None:
    others = Area.objects.filter(level=Area.Level.GRID).only("id", "name", "boundary")
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    index = PolygonIndex([(o.name, parse_boundary(o.boundary)) for o in others])
    clashes = index.overlapping(geometry)
    if clashes:
        raise DomainError(
            _("The boundary overlaps grid %(names)s; a point must belong to one grid only.")
            % {"names": "、".join(str(c) for c in clashes)},
            field="boundary",
        )


@transaction.atomic
def create_area(
    *, actor: Any, scope: Scope, level: str, code: str, name: str, boundary: dict, parent: Area | None
) -> Area:
    """Add a node to the tree, under a parent where the viewer holds territory.manage (a top
    node: everywhere). Checks the level fits under the parent, the code is unique among its
    siblings, and the boundary is a valid polygon (grids must not overlap)."""
    message = _(OUTSIDE_TERRITORY)
    check_at(scope, parent.path if parent is not None else "", "territory.manage", message=message, field="parent")
    code = plain_name(code, field="code", limit=32, required=False)
    name = plain_name(name, field="name", limit=100, message=_("A name is required."))
    if level not in Area.Level.values:
        raise DomainError(_("Unknown level."), field="level")
    if parent is None and level not in (Area.Level.CITY, Area.Level.DISTRICT):
        raise DomainError(_("Only a city or a district can be the top of the tree."), field="parent")
    if parent is not None and CHILD_LEVEL.get(Area.Level(parent.level)) != level:
        raise DomainError(
            _("A %(level)s cannot be placed under a %(parent)s.")
            % {"level": Area.Level(level).label, "parent": parent.get_level_display()},
            field="parent",
        )
    if not code or "/" in code:
        raise DomainError(_("A code is required and cannot contain '/'."), field="code")
    if not name:
        raise DomainError(_("A name is required."), field="name")
    # Case-insensitively: SQLite's LIKE (the subtree test) does not tell "a01/" from "A01/".
    if Area.objects.filter(parent=parent, code__iexact=code).exists():
        raise DomainError(_("Another area here already has this code."), field="code")
    geometry = parse_boundary(boundary)
    if level == Area.Level.GRID:
        _check_grid_overlap(geometry)
    centre = geometry.representative_point()
    area = Area.objects.create(
        level=level,
        code=code,
        name=name,
        parent=parent,
        path=f"{parent.path if parent else ''}{code}/",
        boundary=boundary,
        center_lng=centre.x,
        center_lat=centre.y,
    )
    audit.record("territory.area_created", actor=actor, obj=area)
    if level == Area.Level.GRID:
        _forget_grid_index_now_and_on_commit()
    return area


@transaction.atomic
def change_area(*, actor: Any, scope: Scope, area: Area, name: str | None = None, boundary: dict | None = None) -> Area:
    """Rename an area or redraw its boundary, where the viewer holds territory.manage. A grid's
    new boundary must still contain every place in it and must not overlap another grid."""
    check_at(scope, area.path, "territory.manage", message=_(OUTSIDE_TERRITORY))
    changed = []
    if name is not None:
        name = plain_name(name, field="name", limit=100, message=_("A name is required."))
    if name is not None and name != area.name:
        area.name = name
        changed.append("name")
    if boundary is not None and boundary != area.boundary:
        geometry = parse_boundary(boundary)
        if area.level == Area.Level.GRID:
            _check_grid_overlap(geometry, exclude_id=area.pk)
            index = PolygonIndex([(area.pk, geometry)])
            stranded = [p.name for p in area.places.only("name", "lng", "lat") if index.locate(p.lng, p.lat) is None]
            if stranded:
                raise DomainError(
                    _("The new boundary leaves out places of this grid: %(names)s.")
                    % {"names": "、".join(stranded[:5])},
                    field="boundary",
                )
        centre = geometry.representative_point()
        area.boundary, area.center_lng, area.center_lat = boundary, centre.x, centre.y
        changed.append("boundary")
    if changed:
        area.save()
        audit.record("territory.area_changed", actor=actor, obj=area, detail={"fields": changed})
        if area.level == Area.Level.GRID:
            _forget_grid_index_now_and_on_commit()
    return area


def _grid_for_point(lng: float, lat: float, scope: Scope) -> Area:
    """The grid containing the point, one where the viewer manages places."""
    check_point(lng, lat)
    grid = locate_grid(lng, lat)
    if grid is None:
        raise DomainError(_("This location lies outside every grid; check the coordinates."), field="location")
    message = _("This location is in %(grid)s, outside the area you manage.") % {"grid": grid.name}
    check_at(scope, grid.path, "places.manage", message=message, field="location")
    return grid


@transaction.atomic
def create_place(
    *,
    actor: Any,
    kind: str,
    name: str,
    lng: float,
    lat: float,
    address: str = "",
    attributes: dict | None = None,
    parent: Place | None = None,
    scope: Scope,
) -> Place:
    """Add a place; its grid is the grid containing its location (refused when none does,
    or when that grid is outside where the viewer manages places)."""
    if kind not in Place.Kind.values:
        raise DomainError(_("Unknown kind of place."), field="kind")
    name = plain_name(name, field="name", limit=120, message=_("A name is required."))
    address = plain_text(address, field="address", limit=200, multiline=False)
    grid = _grid_for_point(lng, lat, scope)
    place = Place.objects.create(
        kind=kind,
        name=name,
        address=address,
        lng=lng,
        lat=lat,
        grid=grid,
        parent=parent,
        attributes=attributes or {},
    )
    audit.record("territory.place_created", actor=actor, obj=place)
    return place


@transaction.atomic
def change_place(
    *,
    actor: Any,
    place: Place,
    name: str | None = None,
    address: str | None = None,
    lng: float | None = None,
    lat: float | None = None,
    attributes: dict | None = None,
    scope: Scope,
) -> Place:
    """Edit a place where the viewer manages places; a new location re-assigns it to the grid
    containing it, which must be one of those too."""
    check_at(scope, place.grid.path, "places.manage", message=_("This place is outside the area you manage."))
    changed = []
    if name is not None:
        name = plain_name(name, field="name", limit=120, message=_("A name is required."))
    if name is not None and name != place.name:
        place.name = name
        changed.append("name")
    if address is not None:
        address = plain_text(address, field="address", limit=200, multiline=False)
    if address is not None and address != place.address:
        place.address = address
        changed.append("address")
    if attributes is not None and attributes != place.attributes:
        place.attributes = attributes
        changed.append("attributes")
    moved = False
    if lng is not None and lat is not None and (lng, lat) != (place.lng, place.lat):
        new_grid = _grid_for_point(lng, lat, scope)
        moved = new_grid.pk != place.grid_id
        place.grid = new_grid
        place.lng, place.lat = lng, lat
        changed.append("location")
    if changed:
        place.save()
        if moved:
            _carry_grid(place)
        audit.record("territory.place_changed", actor=actor, obj=place, detail={"fields": changed})
    return place


def _carry_grid(place: Place) -> None:
    """Rows that keep a copy of their place's grid (residents, households…) follow the place.

    Found through the model graph, so the territory needs no knowledge of who copies it;
    whoever counts such rows (the period figures) moves their counts (core.changes)."""
    for relation in Place._meta.related_objects:
        model = relation.related_model
        if (
            isinstance(model, type)
            and relation.field.name == "place"
            and any(f.name == "grid" for f in model._meta.fields)
        ):
            rows = model._default_manager.filter(place=place)
            # Rows counted in the period figures move with their counts.
            with changes.tracking(model, rows.values_list("pk", flat=True)):
                rows.update(grid=place.grid)


@transaction.atomic
def assign_staff(
    *,
    actor: Any,
    scope: Scope,
    grid: Area,
    person: Any,
    duty: str,
    starts_on: date,
    ends_on: date | None = None,
    note: str = "",
) -> StaffAssignment:
    """Put a person on a grid's duty from a date. Refuses a non-grid area or one where the
    viewer does not hold staffing.manage ("grid"), reversed dates, and a period overlapping
    the same person's same duty on the same grid."""
    if grid.level != Area.Level.GRID:
        raise DomainError(_("Staff are assigned to a grid."), field="grid")
    check_at(scope, grid.path, "staffing.manage", message=_(OUTSIDE_STAFFING), field="grid")
    if duty not in StaffAssignment.Duty.values:
        raise DomainError(_("Unknown duty."), field="duty")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("The end date is before the start date."), field="ends_on")
    overlapping = StaffAssignment.objects.filter(grid=grid, person=person, duty=duty).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    if overlapping.exists():
        raise DomainError(_("This person already holds this duty on this grid in that period."), field="starts_on")
    assignment = StaffAssignment.objects.create(
        grid=grid, person=person, duty=duty, starts_on=starts_on, ends_on=ends_on, note=note.strip()
    )
    audit.record(
        "territory.staff_assigned",
        actor=actor,
        obj=assignment,
        detail={"duty": duty, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat() if ends_on else None},
    )
    return assignment


@transaction.atomic
def end_assignment(*, actor: Any, scope: Scope, assignment: StaffAssignment, ends_on: date) -> StaffAssignment:
    """Close a duty on a date (the record stays: history says who was responsible when), where
    the viewer holds staffing.manage."""
    check_at(scope, assignment.grid.path, "staffing.manage", message=_(OUTSIDE_STAFFING))
    if ends_on < assignment.starts_on:
        raise DomainError(_("The end date is before the start date."), field="ends_on")
    if assignment.ends_on is not None and assignment.ends_on <= ends_on:
        raise DomainError(_("This assignment has already ended."), field="ends_on")
    assignment.ends_on = ends_on
    assignment.save(update_fields=["ends_on"])
    audit.record("territory.staff_ended", actor=actor, obj=assignment, detail={"ends_on": ends_on.isoformat()})
    return assignment


# A community's basemap: at most this many lines, each at most BASEMAP_POINTS points.
BASEMAP_LINES = 5000
BASEMAP_POINTS = 2000
# How far beyond the community's boundary a line may reach (degrees, about 2 km): a road
# runs on past the edge.
BASEMAP_REACH = 0.02


@transaction.atomic
def import_basemap(*, actor: Any, scope: Scope, community: Area, data: Any) -> int:
    """Replace a community's basemap lines with those of a GeoJSON FeatureCollection, where
    the viewer holds territory.manage: each feature a LineString, MultiLineString, Polygon or
    MultiPolygon near the community, with an optional `kind` (BasemapLine.Kind, "other"
    when absent) and `name`. All or nothing: the first bad feature refuses the file (field
    "file", saying which feature and why). Returns how many lines the community now has."""
    check_at(scope, community.path, "territory.manage", message=_(OUTSIDE_TERRITORY))
    if community.level != Area.Level.COMMUNITY:
        raise DomainError(_("A basemap belongs to a community."), field="community")
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise DomainError(_("The file must be a GeoJSON FeatureCollection."), field="file")
    features = data["features"]
    if not features:
        raise DomainError(_("The file holds no features."), field="file")
    if len(features) > BASEMAP_LINES:
        raise DomainError(_("At most %(n)d lines per community.") % {"n": BASEMAP_LINES}, field="file")
    west, south, east, north = parse_boundary(community.boundary).bounds
    lines = []
    for number, feature in enumerate(features, start=1):
        try:
            lines.append(_basemap_line(community, feature, (west, south, east, north)))
        except DomainError as problem:
            raise DomainError(
                _("Feature %(n)d: %(reason)s") % {"n": number, "reason": problem.message}, field="file"
            ) from None
    community.basemap_lines.all().delete()
    BasemapLine.objects.bulk_create(lines)
    audit.record("territory.basemap_imported", actor=actor, obj=community, detail={"lines": len(lines)})
    return len(lines)


def _basemap_line(community: Area, feature: Any, bounds: tuple[float, float, float, float]) -> BasemapLine:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise DomainError(_("not a GeoJSON Feature."), field="file")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise DomainError(_("its properties are not an object."), field="file")
    kind = properties.get("kind") or BasemapLine.Kind.OTHER
    if kind not in BasemapLine.Kind.values:
        raise DomainError(
            _("unknown kind %(kind)s; use one of %(kinds)s.")
            % {"kind": str(kind)[:20], "kinds": ", ".join(BasemapLine.Kind.values)},
            field="file",
        )
    name = plain_name(str(properties.get("name") or ""), field="file", limit=60, required=False)
    geometry = feature.get("geometry")
    shape = parse_line(geometry, field="file", max_points=BASEMAP_POINTS)
    min_lng, min_lat, max_lng, max_lat = shape.bounds
    west, south, east, north = bounds
    if (
        min_lng < west - BASEMAP_REACH
        or max_lng > east + BASEMAP_REACH
        or min_lat < south - BASEMAP_REACH
        or max_lat > north + BASEMAP_REACH
    ):
        raise DomainError(_("it lies too far outside %(name)s.") % {"name": community.name}, field="file")
    return BasemapLine(
        community=community,
        kind=kind,
        name=name,
        geometry=mapping(shape),  # the shape as read: nothing else the file put beside it
        min_lng=min_lng,
        min_lat=min_lat,
        max_lng=max_lng,
        max_lat=max_lat,
    )
