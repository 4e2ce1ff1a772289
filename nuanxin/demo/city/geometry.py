"""Where things are: the grids' boxes (tiles of their community's), their boundaries as
GeoJSON, and points drawn inside a box."""

import math
import random
from dataclasses import dataclass

from nuanxin.demo.city.sink import json_text


@dataclass
class GridInfo:
    """A grid of the city, as the parts after the territory and the cases need it."""

    id: int
    path: str
    name: str
    box: tuple[float, float, float, float]
    community_id: int
    street_index: int
    district_index: int
    label: str  # "d01-s01-c01-g1": its staff's usernames


def tiles(box: tuple[float, float, float, float], n: int) -> list[tuple[float, float, float, float]]:
    """n boxes tiling `box` exactly: rows of ceil(sqrt(n)) cells, the last row's cells wider."""
    west, south, east, north = box
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    height = (north - south) / rows
    out = []
    for r in range(rows):
        in_row = min(columns, n - r * columns)
        width = (east - west) / in_row
        top = north - r * height
        for c in range(in_row):
            out.append((west + c * width, top - height, west + (c + 1) * width, top))
    return out


def grid_label(path: str) -> str:
    """ "bench1/D01/S02/C03/G4/" -> "d01-s02-c03-g4": the grid's part of its staff's usernames."""
    return "-".join(path.strip("/").split("/")[1:]).lower()


def coordinate(value: float) -> float:
    """A longitude or latitude as stored: six decimals (some 10 cm)."""
    return round(value, 6)


def boundary(box: tuple[float, float, float, float]) -> str:
    """The box as a GeoJSON polygon (an area's boundary column)."""
    west, south, east, north = (coordinate(v) for v in box)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json_text({"type": "Polygon", "coordinates": [ring]})


def point(rng: random.Random, box: tuple[float, float, float, float]) -> tuple[float, float]:
    """A point drawn inside the box, away from its edges."""
    west, south, east, north = box
    mx, my = (east - west) * 0.05, (north - south) * 0.05
    return coordinate(rng.uniform(west + mx, east - mx)), coordinate(rng.uniform(south + my, north - my))
