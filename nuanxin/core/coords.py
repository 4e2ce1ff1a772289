"""Coordinate systems of Chinese map providers.

We store WGS-84 (what a phone's GPS gives and what GeoJSON means). Amap (高德) and Tencent
(腾讯) maps expect GCJ-02 (the "Mars" offset required by the surveying authority), Baidu
expects BD-09 (a further offset of GCJ-02). These are the standard public formulas (the
Krasovsky 1940 ellipsoid transform); they are accurate to about a metre, enough to open a
route in a map app. Outside China the providers use WGS-84 unchanged, so do we.
"""

import math
from urllib.parse import urlencode

from django.conf import settings

_A = 6378245.0  # Krasovsky 1940 semi-major axis
_EE = 0.00669342162296594323  # its eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0


def out_of_china(lng: float, lat: float) -> bool:
    """The rough box where the GCJ-02 offset applies (the providers' own convention)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (Amap, Tencent)."""
    if out_of_china(lng, lat):
        return lng, lat
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = math.sin(radlat)
    magic = 1 - _EE * magic * magic
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by iteration (the forward offset varies slowly): within a few cm."""
    if out_of_china(lng, lat):
        return lng, lat
    wlng, wlat = lng, lat
    for _ in range(10):
        glng, glat = wgs84_to_gcj02(wlng, wlat)
        dlng, dlat = glng - lng, glat - lat
        wlng, wlat = wlng - dlng, wlat - dlat
        if abs(dlng) < 1e-9 and abs(dlat) < 1e-9:
            break
    return wlng, wlat


def gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → BD-09 (Baidu)."""
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def wgs84_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 → BD-09 (Baidu), through GCJ-02; unchanged outside China."""
    if out_of_china(lng, lat):
        return lng, lat
    return gcj02_to_bd09(*wgs84_to_gcj02(lng, lat))


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
