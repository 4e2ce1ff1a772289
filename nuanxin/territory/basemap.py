"""The basemap: the community's own map, drawn without a tile server.

What an office hangs on its wall: the outlines and names of the communities and grids, the
names of compounds, buildings, commercial centres, public units and warm stations, and the
lines the office imports (roads, paths, rivers, railways, parks: `BasemapLine`). Every map of
the site draws it under its own layers unless tiles are configured (core/maps.py).

It is public, signed in or not (docs/decisions/0008-a-public-basemap.md): a reporter without
an account needs to see where they are. So it carries names, outlines and points only: no
place's attributes, no people, no cases. It is read through the scope mechanism like every
layer, with its own public rules (`AREAS`, `PLACES`; `BasemapLine.scoping`).

A map asks for the part in view (a box) at its zoom: far out only the communities, closer the
grids and the lines, close up the named places, the buildings last. A response holds at most
MAX_PLACES places (the most important kinds first) and says when it left some out.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope, Scoping
from nuanxin.territory.models import Area, BasemapLine, Place

AREAS = Scoping(
    permission="territory.view",
    area="path",
    public=Q(level__in=(Area.Level.COMMUNITY, Area.Level.GRID)),
    anonymous=True,
)
PLACES = Scoping(permission="places.view", area="grid__path", public=Q(kind__in=Place.BASEMAP_KINDS), anonymous=True)

# From these zooms on (Leaflet's, 0-19): grids and lines; named places; buildings.
GRID_ZOOM = 13
PLACE_ZOOM = 15
BUILDING_ZOOM = 17
MAX_PLACES = 1500
# An area is fetched when its centre lies in the box widened by this much (degrees, about
# 3 km and 1 km): wider than a community and a grid, so one reaching into the view is drawn.
MARGIN = {Area.Level.COMMUNITY: 0.03, Area.Level.GRID: 0.01}
# At most this many degrees a side: a view of a whole city asks for communities only.
MAX_SPAN = 2.0
# A name is searched this far around the map's view (degrees, about 5 km).
NEAR = 0.05
PLACE_ORDER = [Place.Kind.STATION, Place.Kind.COMMERCIAL_CENTRE, Place.Kind.PUBLIC_UNIT, Place.Kind.COMPOUND]


@dataclass(frozen=True)
class Box:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, text: str) -> "Box":
        """ "west,south,east,north" in degrees (Leaflet's toBBoxString), or DomainError at "bbox"."""
        try:
            west, south, east, north = (float(part) for part in text.split(","))
        except ValueError:
            raise DomainError(_("The box must be four numbers: west,south,east,north."), field="bbox") from None
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise DomainError(_("The box's corners are not a valid longitude/latitude range."), field="bbox")
        if east - west > MAX_SPAN or north - south > MAX_SPAN:
            raise DomainError(_("The box is too large: zoom in."), field="bbox")
        return cls(west, south, east, north)

    def widened(self, by: float) -> "Box":
        return Box(self.west - by, self.south - by, self.east + by, self.north + by)


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _areas(scope: Scope, box: Box, zoom: int) -> list[dict[str, Any]]:
    levels = [Area.Level.COMMUNITY] + ([Area.Level.GRID] if zoom >= GRID_ZOOM else [])
    q = Q()
    for level in levels:
        near = box.widened(MARGIN[level])
        q |= Q(
            level=level,
            center_lng__range=(near.west, near.east),
            center_lat__range=(near.south, near.north),
        )
    rows = Area.objects.filter(AREAS.q(scope, Area)).filter(q).only("id", "level", "name", "boundary")
    return [_feature(a.boundary, layer="area", level=a.level, name=a.name, id=a.pk) for a in rows]


def _lines(scope: Scope, box: Box) -> list[dict[str, Any]]:
    rows = (
        BasemapLine.objects.visible_to(scope)
        .filter(min_lng__lte=box.east, max_lng__gte=box.west, min_lat__lte=box.north, max_lat__gte=box.south)
        .only("kind", "name", "geometry")
    )
    return [_feature(line.geometry, layer="line", kind=line.kind, name=line.name) for line in rows]


def _places(scope: Scope, box: Box, zoom: int) -> tuple[list[dict[str, Any]], bool]:
    kinds = [*PLACE_ORDER, *([Place.Kind.BUILDING] if zoom >= BUILDING_ZOOM else [])]
    rank = Case(*(When(kind=k, then=Value(i)) for i, k in enumerate(kinds)), output_field=IntegerField())
    rows = list(
        Place.objects.filter(PLACES.q(scope, Place))
        .filter(kind__in=kinds, lng__range=(box.west, box.east), lat__range=(box.south, box.north))
        .annotate(rank=rank)
        .order_by("rank", "id")
        .values_list("id", "kind", "name", "lng", "lat")[: MAX_PLACES + 1]
    )
    features = [
        _feature({"type": "Point", "coordinates": [lng, lat]}, layer="place", kind=kind, name=name, id=pk)
        for pk, kind, name, lng, lat in rows[:MAX_PLACES]
    ]
    return features, len(rows) > MAX_PLACES


def basemap(scope: Scope, box: Box, zoom: int) -> dict[str, Any]:
    """The basemap's features in the box at the zoom, as a GeoJSON FeatureCollection whose
    features carry `layer` ("area", "line" or "place"), `name`, and `level` or `kind`;
    `truncated` says when places were left out (zoom in to see them)."""
    features = _areas(scope, box, zoom)
    truncated = False
    if zoom >= GRID_ZOOM:
        features += _lines(scope, box)
    if zoom >= PLACE_ZOOM:
        places, truncated = _places(scope, box, zoom)
        features += places
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}


def find_places(scope: Scope, text: str, *, near: Box, limit: int = 10) -> list[dict[str, Any]]:
    """Basemap places whose name contains the text, in the box widened by NEAR (a report
    without GPS picks its compound or building by name): name, kind, grid and point,
    public places and compounds before buildings."""
    text = text.strip()[:40]
    if not text:
        return []
    box = near.widened(NEAR)
    rank = Case(*(When(kind=k, then=Value(i)) for i, k in enumerate(PLACE_ORDER)), default=Value(len(PLACE_ORDER)))
    rows = (
        Place.objects.filter(PLACES.q(scope, Place))
        .filter(lng__range=(box.west, box.east), lat__range=(box.south, box.north), name__icontains=text)
        .annotate(rank=rank)
        .order_by("rank", "name", "id")
        .values_list("id", "kind", "name", "lng", "lat", "grid__name")[:limit]
    )
    return [
        {
            "id": pk,
            "kind": kind,
            "kind_name": str(Place.Kind(kind).label),
            "name": name,
            "lng": lng,
            "lat": lat,
            "grid": grid,
        }
        for pk, kind, name, lng, lat, grid in rows
    ]
