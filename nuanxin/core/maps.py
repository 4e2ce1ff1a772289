"""What every map of the site draws under its own layers, and in which coordinate system.

By default no tile server: the community's own basemap (territory/basemap.py), fetched for
the part in view. Tiles are a setting (NUANXIN_MAP_TILES, docs/territory.md "Map tiles"):

- "tianditu": 天地图, the official service (needs NUANXIN_TIANDITU_KEY), in CGCS2000, which
  agrees with our WGS-84 coordinates to well under a metre: drawn as they are;
- "amap" (高德) and "tencent" (腾讯): GCJ-02 tiles. Points are stored WGS-84; the browser's map
  projection adds the GCJ-02 offset when it draws and removes it from a tap (basemap.js), so
  a pin lands on the right building and a tapped location is stored in WGS-84;
- "osm": OpenStreetMap's tiles, WGS-84;
- a URL template of your own in NUANXIN_TILE_URL, with NUANXIN_TILE_CRS ("wgs84" or "gcj02").

`map_config()` is what the pages hand to basemap.js; `tile_origins()` what the content
security policy allows images from.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.translation import gettext as _

from nuanxin.core.coords import route_links

TIANDITU = "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s"

PROVIDERS: dict[str, dict[str, Any]] = {
    "amap": {
        "crs": "gcj02",
        "layers": [
            {
                "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
                "subdomains": "1234",
                "attribution": "© 高德地图",
            }
        ],
    },
    "tencent": {
        "crs": "gcj02",
        "layers": [
            {
                "url": "https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}&type=vector&styleid=0",
                "subdomains": "0123",
                "attribution": "© 腾讯地图",
            }
        ],
    },
    "osm": {
        "crs": "wgs84",
        "layers": [
            {
                "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "subdomains": "abc",
                "attribution": "© OpenStreetMap contributors",
            }
        ],
    },
}
CRS = ("wgs84", "gcj02")


def tiles() -> dict[str, Any] | None:
    """The configured tiles ({"crs", "layers": [{"url", "subdomains", "attribution"}]}), or
    None for the community's own basemap. A setting that cannot work is an error at start-up
    rather than a grey map."""
    if settings.NUANXIN_TILE_URL:
        if settings.NUANXIN_TILE_CRS not in CRS:
            raise ImproperlyConfigured(f"NUANXIN_TILE_CRS must be one of {', '.join(CRS)}")
        layer = {
            "url": settings.NUANXIN_TILE_URL,
            "subdomains": "abc",
            "attribution": settings.NUANXIN_TILE_ATTRIBUTION,
        }
        return {"crs": settings.NUANXIN_TILE_CRS, "layers": [layer]}
    provider = settings.NUANXIN_MAP_TILES
    if not provider:
        return None
    if provider == "tianditu":
        key = settings.NUANXIN_TIANDITU_KEY
        if not key:
            raise ImproperlyConfigured(
                "NUANXIN_MAP_TILES=tianditu needs NUANXIN_TIANDITU_KEY (a key from lbs.tianditu.gov.cn)"
            )
        attribution = "© 天地图 GS(2024)0568号"
        return {
            "crs": "wgs84",
            "layers": [
                {"url": TIANDITU % ("vec", "vec", key), "subdomains": "01234567", "attribution": attribution},
                {"url": TIANDITU % ("cva", "cva", key), "subdomains": "01234567", "attribution": ""},
            ],
        }
    if provider not in PROVIDERS:
        raise ImproperlyConfigured(f"NUANXIN_MAP_TILES must be empty, tianditu or one of {', '.join(PROVIDERS)}")
    return PROVIDERS[provider]


def tile_origins() -> list[str]:
    """The origins the tiles come from, as the content security policy writes them."""
    found = tiles()
    if found is None:
        return []
    origins = []
    for layer in found["layers"]:
        scheme, _empty, host = layer["url"].split("/")[:3]
        if "{" in host:  # "t{s}.tianditu.gov.cn": any of its subdomains
            host = "*." + host.split(".", 1)[1]
        origins.append(f"{scheme}//{host}")
    return sorted(set(origins))


def map_config() -> dict[str, Any]:
    """What basemap.js needs: the tiles (or none), where the basemap and place names are
    read, and the words of Leaflet's controls."""
    return {
        "tiles": tiles(),
        "basemap": reverse("territory:basemap"),
        "places": reverse("territory:places_named"),
        "texts": {"zoomIn": _("Zoom in"), "zoomOut": _("Zoom out")},
    }


def location(name: str, lng: float, lat: float) -> dict[str, Any]:
    """A page's "where it is" (templates/_location_map.html): the point on a small map and
    the walking-route links of Amap, Baidu and Tencent maps."""
    return {
        "name": name,
        "lng": lng,
        "lat": lat,
        "points": [{"name": name, "kind": "", "lng": lng, "lat": lat}],
        "links": route_links(name, lng, lat),
    }
