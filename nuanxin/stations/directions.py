"""How far a place is on foot, how to get there, whether a station is open now: the parts of a
nearest-first answer that need no database.

Model-free on purpose: nuanxin's reads (nuanxin/stations/queries.py) and the serving
benchmark's lean twin (benchmarks/lean, which installs no apps) both build their answers with
these functions, so the twin's bytes are nuanxin's without a copy of its code.

Walking distance is the straight line × 1.3 (streets are not straight: a usual detour factor
for city blocks) and walking time assumes 80 m a minute (4.8 km/h), rounded up.
"""

import math
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from nuanxin.core.coords import wgs84_to_bd09, wgs84_to_gcj02
from nuanxin.stations.hours import is_open_at

WALK_FACTOR = 1.3
WALK_M_PER_MIN = 80


def walking(distance: float) -> tuple[int, int]:
    """Walking distance (m) and minutes for a straight-line distance (m)."""
    metres = distance * WALK_FACTOR
    return round(metres), max(1, math.ceil(metres / WALK_M_PER_MIN))


def _referer() -> str:
    return str(settings.NUANXIN_MAP_REFERER or "nuanxin")


def route_links(
    name: str, lng: float, lat: float, *, from_lng: float | None = None, from_lat: float | None = None
) -> dict[str, str]:
    """Walking-route links that open Amap, Baidu and Tencent maps (their web URI APIs, which
    hand over to the app when installed). Each gets the coordinates it expects: GCJ-02 for
    Amap and Tencent, BD-09 for Baidu. Without a start the apps use the phone's location."""
    glng, glat = wgs84_to_gcj02(lng, lat)
    blng, blat = wgs84_to_bd09(lng, lat)
    # The name rides inside a list Amap splits at "," and Baidu at "|" and ":".
    name = name.replace(",", "，").replace("|", " ").replace(":", "：")
    src = _referer()
    amap: dict[str, str] = {}
    baidu: dict[str, str] = {}
    tencent: dict[str, str] = {"type": "walk"}
    if from_lng is not None and from_lat is not None:
        fglng, fglat = wgs84_to_gcj02(from_lng, from_lat)
        fblng, fblat = wgs84_to_bd09(from_lng, from_lat)
        amap["from"] = f"{fglng:.6f},{fglat:.6f}"
        baidu["origin"] = f"latlng:{fblat:.6f},{fblng:.6f}|name:我的位置"
        tencent["from"] = "我的位置"
        tencent["fromcoord"] = f"{fglat:.6f},{fglng:.6f}"
    amap |= {
        "to": f"{glng:.6f},{glat:.6f},{name}",
        "mode": "walk",
        "coordinate": "gaode",
        "callnative": "1",
        "src": src,
    }
    baidu |= {
        "destination": f"latlng:{blat:.6f},{blng:.6f}|name:{name}",
        "mode": "walking",
        "coord_type": "bd09ll",
        "output": "html",
        "src": f"webapp.{src}.{src}",
    }
    tencent |= {"to": name, "tocoord": f"{glat:.6f},{glng:.6f}", "referer": src}
    return {
        "amap": "https://uri.amap.com/navigation?" + urlencode(amap),
        "baidu": "https://api.map.baidu.com/direction?" + urlencode(baidu),
        "tencent": "https://apis.map.qq.com/uri/v1/routeplan?" + urlencode(tencent),
    }


def open_now(open_status: bool, opening_hours: list[list[str]], now: datetime | None = None) -> bool:
    """Open now: not temporarily closed (`open_status`: the station's status is open), and
    inside its opening hours (local time, Asia/Shanghai)."""
    return open_status and is_open_at(opening_hours, timezone.localtime(now or timezone.now()))
