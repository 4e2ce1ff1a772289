"""How far a place is on foot and whether a station is open now: the parts of a nearest-first
answer that need no database (how to get there: core.coords.route_links).

Model-free on purpose: nuanxin's reads (nuanxin/stations/queries.py) and the serving
benchmark's lean twin (benchmarks/lean, which installs no apps) both build their answers with
these functions, so the twin's bytes are nuanxin's without a copy of its code.

Walking distance is the straight line × 1.3 (streets are not straight: a usual detour factor
for city blocks) and walking time assumes 80 m a minute (4.8 km/h), rounded up.
"""

import math
from datetime import datetime

from django.utils import timezone

from nuanxin.stations.hours import is_open_at

WALK_FACTOR = 1.3
WALK_M_PER_MIN = 80


def walking(distance: float) -> tuple[int, int]:
    """Walking distance (m) and minutes for a straight-line distance (m)."""
    metres = distance * WALK_FACTOR
    return round(metres), max(1, math.ceil(metres / WALK_M_PER_MIN))


def open_now(open_status: bool, opening_hours: list[list[str]], now: datetime | None = None) -> bool:
    """Open now: not temporarily closed (`open_status`: the station's status is open), and
    inside its opening hours (local time, Asia/Shanghai)."""
    return open_status and is_open_at(opening_hours, timezone.localtime(now or timezone.now()))
