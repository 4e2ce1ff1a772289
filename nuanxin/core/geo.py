"""Geometry without a spatial database: polygons as GeoJSON, point lookup with an STRtree.

Coordinates are WGS-84 longitude/latitude, as GeoJSON orders them.
"""

import math
from collections.abc import Hashable, Sequence
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from nuanxin.core.errors import DomainError


def parse_boundary(geojson: Any, *, field: str = "boundary") -> BaseGeometry:
    """A valid Polygon or MultiPolygon from GeoJSON, or DomainError saying what is wrong."""
    if not isinstance(geojson, dict) or geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        raise DomainError(_("The boundary must be a GeoJSON Polygon or MultiPolygon."), field=field)
    try:
        geometry = shape(geojson)
    except Exception:
        raise DomainError(_("The boundary's coordinates cannot be read as a polygon."), field=field) from None
    if geometry.is_empty or geometry.area == 0:
        raise DomainError(_("The boundary encloses no area."), field=field)
    if not geometry.is_valid:
        raise DomainError(
            _("The boundary is not a valid polygon: %(reason)s.") % {"reason": explain_validity(geometry)},
            field=field,
        )
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise DomainError(_("The boundary lies outside longitude/latitude range."), field=field)
    return geometry


LINE_TYPES = frozenset({"LineString", "MultiLineString", "Polygon", "MultiPolygon"})


def parse_line(geojson: Any, *, field: str, max_points: int) -> BaseGeometry:
    """A valid line or shape for a map (LineString, MultiLineString, Polygon or MultiPolygon)
    of at most `max_points` points, within longitude/latitude range, or DomainError."""
    if not isinstance(geojson, dict) or geojson.get("type") not in LINE_TYPES:
        raise DomainError(_("the geometry must be a line or a polygon."), field=field)
    try:
        geometry = shape(geojson)
    except Exception:
        raise DomainError(_("its coordinates cannot be read."), field=field) from None
    if geometry.is_empty or not geometry.is_valid:
        raise DomainError(_("the geometry is empty or not valid."), field=field)
    if shapely.get_num_coordinates(geometry) > max_points:
        raise DomainError(_("more than %(n)d points.") % {"n": max_points}, field=field)
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise DomainError(_("it lies outside longitude/latitude range."), field=field)
    return geometry


def check_point(lng: float, lat: float, *, field: str = "location") -> Point:
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise DomainError(_("The location is not a valid longitude/latitude."), field=field)
    return Point(lng, lat)


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(h)))


class PolygonIndex:
    """Which polygon contains a point, with an STRtree over the polygons' envelopes."""

    def __init__(self, items: Sequence[tuple[Hashable, BaseGeometry]]) -> None:
        self.keys = [key for key, _geometry in items]
        self.geometries = [geometry for _key, geometry in items]
        for geometry in self.geometries:
            shapely.prepare(geometry)
        self.tree = shapely.STRtree(self.geometries)

    def locate(self, lng: float, lat: float) -> Hashable | None:
        point = Point(lng, lat)
        for i in self.tree.query(point, predicate="intersects"):
            return self.keys[int(i)]
        return None

    def overlapping(self, geometry: BaseGeometry, *, tolerance: float = 1e-10) -> list[Hashable]:
        """Keys of polygons whose interiors overlap `geometry` by more than `tolerance` area."""
        hits = []
        for i in self.tree.query(geometry, predicate="intersects"):
            if self.geometries[int(i)].intersection(geometry).area > tolerance:
                hits.append(self.keys[int(i)])
        return hits
