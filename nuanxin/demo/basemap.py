"""The demo community's basemap lines: the roads between its grids, the ring road around it,
the river south of it and a park, imported as an office would (territory.actions.import_basemap),
so the demo's maps show the community without a tile server."""

import math
from typing import Any

from shapely.geometry import LineString, Polygon, mapping
from shapely.ops import linemerge, unary_union

from nuanxin.core.scoping import Scope
from nuanxin.demo.words import ROADS
from nuanxin.territory.actions import import_basemap
from nuanxin.territory.models import Area


def _feature(geometry: Any, kind: str, name: str) -> dict[str, Any]:
    rounded = mapping(geometry)
    return {"type": "Feature", "geometry": _rounded(rounded), "properties": {"kind": kind, "name": name}}


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def basemap_features(cells: list[Polygon], columns: int) -> list[dict[str, Any]]:
    """Lines for a lattice of grid cells (north row first, west to east): a road along each
    shared column edge and along each shared row edge, named from ROADS, the ring road round
    the outline, a river south of it and a park in the middle of the south row."""
    rows = len(cells) // columns
    shared = lambda a, b: cells[a].boundary.intersection(cells[b].boundary)  # noqa: E731
    features = []
    names = iter(ROADS.values())
    for column in range(columns - 1):
        edges = [shared(r * columns + column, r * columns + column + 1) for r in range(rows)]
        features.append(_feature(linemerge(unary_union(edges)), "road", next(names)))
    for row in range(rows - 1):
        edges = [shared(row * columns + c, (row + 1) * columns + c) for c in range(columns)]
        features.append(_feature(linemerge(unary_union(edges)), "road", next(names)))
    outline = unary_union(cells)
    features.append(_feature(LineString(outline.exterior.coords), "road", next(names)))
    west, south, east, north = outline.bounds
    # A gently winding river: a sine of about 600 m wavelength, 60 m amplitude.
    step = (east - west + 0.008) / 24
    river = LineString(
        [(west - 0.004 + i * step, south - 0.0025 + 0.0006 * math.sin(i * math.pi / 6)) for i in range(25)]
    )
    features.append(_feature(river.buffer(0.00018), "water", "采莲河"))
    park = cells[(rows - 1) * columns + columns // 2].representative_point()
    features.append(_feature(park.buffer(0.0009, quad_segs=4).envelope, "green", "西园公园"))
    features.append(_feature(LineString([(park.x, park.y - 0.0009), (park.x, park.y + 0.0009)]), "path", ""))
    return features


def import_demo_basemap(*, actor: Any, scope: Scope, community: Area, cells: list[Polygon], columns: int) -> int:
    """Import the demo community's lines through the office's action; returns how many."""
    data = {"type": "FeatureCollection", "features": basemap_features(cells, columns)}
    return import_basemap(actor=actor, scope=scope, community=community, data=data)
