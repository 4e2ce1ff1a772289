"""Reads on stations and rider services: the nearest stations with walking distance and
route links, the lists nearest first, station use per hour and day.

Distances are great-circle (haversine) from the viewer's WGS-84 location; walking estimates,
route links and the open-now check are nuanxin/stations/directions.py's.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from nuanxin.core.access import get_in_scope_or_404
from nuanxin.core.coords import route_links
from nuanxin.core.geo import distance_m
from nuanxin.core.schemas import built_once
from nuanxin.core.scoping import Scope, prepared_rows
from nuanxin.stations.directions import open_now, walking
from nuanxin.stations.hours import is_open_at
from nuanxin.stations.models import GreenChannel, MealOffer, ParkingPoint, Station, StationCheckIn
from nuanxin.territory.models import Place

# The first box around the viewer (500 m), widened until enough stations are inside.
FIRST_RADIUS_M = 500
MAX_RADIUS_M = 64_000
M_PER_DEG_LAT = 111_320.0


def stations_for(scope: Scope) -> QuerySet[Station]:
    """Every station the viewer may see (all of them, for anyone signed in), place and host
    preloaded, photos counted in one query."""
    return (
        Station.objects.visible_to(scope)
        .select_related("place", "place__grid", "host")
        .prefetch_related("photos")
        .order_by("code")
    )


def station_or_404(scope: Scope, code: str) -> Station:
    return get_in_scope_or_404(stations_for(scope), scope, code__iexact=code)  # type: ignore[no-any-return]


def is_open_now(station: Station, now: datetime | None = None) -> bool:
    """Open now: not temporarily closed, and inside its opening hours (Asia/Shanghai)."""
    return open_now(station.status == Station.Status.OPEN, station.opening_hours, now)


# What an API answer reads of a station besides its photos: its own columns and its place's
# and host's few, named as the answer names them.
STATION_COLUMNS = (
    "id",
    "code",
    "place_id",
    "host_id",
    "opening_hours_text",
    "opening_hours",
    "amenities",
    "capacity",
    "contact_name",
    "contact_phone",
    "status",
    "note",
)
STATION_RELATED = {
    "name": "place__name",
    "address": "place__address",
    "lng": "place__lng",
    "lat": "place__lat",
    "host_name": "host__name",
}


_station_rows = built_once(
    lambda: Station.objects.values(
        *STATION_COLUMNS, **{name: F(lookup) for name, lookup in STATION_RELATED.items()}, photo_id=F("photos__id")
    )
)


def station_values(ids: list[int], scope: Scope | None = None) -> dict[int, dict[str, Any]]:
    """The stations with these ids as plain values (STATION_COLUMNS, STATION_RELATED and
    `photo_ids`), no model objects, in one query: a row per photo, folded. The ids must have
    come through the scope; given it, the statement is compiled once for it and the number of
    ids (Scope.prepared)."""

    def rows_of(*chosen: int) -> Any:
        return _station_rows().filter(pk__in=chosen).order_by("pk", "photo_id")

    rows = prepared_rows(scope, ("station values", len(ids)), rows_of, *ids)
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        photo_id = row.pop("photo_id")
        values = found.setdefault(row["id"], row | {"photo_ids": []})
        if photo_id is not None:
            values["photo_ids"].append(photo_id)
    return found


def values_of(station: Station) -> dict[str, Any]:
    """A station object (place and host loaded, photos prefetched: stations_for) as the same
    values `station_values` reads."""
    values = {name: getattr(station, name) for name in STATION_COLUMNS}
    place, host = station.place, station.host if station.host_id else None
    values |= {"name": place.name, "address": place.address, "lng": place.lng, "lat": place.lat}
    return values | {"host_name": host.name if host else None, "photo_ids": [p.pk for p in station.photos.all()]}


@dataclass
class Nearby:
    """A row of a nearest-first list: the thing, how far, and how to get there."""

    obj: Any
    name: str
    lng: float
    lat: float
    distance_m: int | None = None
    walking_m: int | None = None
    walking_minutes: int | None = None
    open_now: bool | None = None
    links: dict[str, str] = field(default_factory=dict)


def _nearby(obj: Any, name: str, lng: float, lat: float, origin: tuple[float, float] | None) -> Nearby:
    row = Nearby(obj=obj, name=name, lng=lng, lat=lat)
    if origin is not None:
        d = distance_m(origin[0], origin[1], lng, lat)
        row.distance_m = round(d)
        row.walking_m, row.walking_minutes = walking(d)
        row.links = route_links(name, lng, lat, from_lng=origin[0], from_lat=origin[1])
    else:
        row.links = route_links(name, lng, lat)
    return row


def _sides(lng: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """West, east, south and north of the box around (lng, lat) holding the circle of
    `radius_m`."""
    dlat = radius_m / M_PER_DEG_LAT
    dlng = radius_m / (M_PER_DEG_LAT * max(0.01, math.cos(math.radians(lat))))
    return lng - dlng, lng + dlng, lat - dlat, lat + dlat


def boxed(stations: QuerySet[Station], west: float, east: float, south: float, north: float) -> Any:
    """The ids and coordinates of `stations` whose place lies in the box, unordered (they are
    sorted by distance in Python): read from the partial index of station places' (lng, lat),
    which the filter on the place's kind lets PostgreSQL use. A station's place is always of
    kind "station" (`create_station` refuses any other, and a place's kind never changes)."""
    return (
        stations.filter(
            place__kind=Place.Kind.STATION,
            place__lng__gte=west,
            place__lng__lte=east,
            place__lat__gte=south,
            place__lat__lte=north,
        )
        .values("pk", "place__lng", "place__lat")
        .order_by()
    )


def nearest_ids(lng: float, lat: float, limit: int = 5, *, scope: Scope | None = None) -> list[int]:
    """The ids of the `limit` stations nearest to (lng, lat), nearest first.

    A bounding box on the place's lng/lat narrows the rows in SQL: first 500 m around
    the viewer, four times wider until it holds `limit` stations (up to 64 km; beyond that all are
    compared). The box's corners reach farther than its sides, so when the limit-th
    station lies beyond the box's radius, the box is widened to that distance once more
    and the answer is exact. Closed stations are listed too, marked closed: a rider may
    still want to know where they are. Given a scope, the box's statement is compiled once
    for it and run with each box's sides (Scope.prepared)."""
    base = Station.objects.visible_to(scope) if scope is not None else Station.objects.all()

    def in_box(radius: float) -> list[tuple[float, int]]:
        box = _sides(lng, lat, radius)
        return by_distance(prepared_rows(scope, ("nearest stations box",), lambda *sides: boxed(base, *sides), *box))

    def by_distance(points: Any) -> list[tuple[float, int]]:
        return sorted((distance_m(lng, lat, p["place__lng"], p["place__lat"]), p["pk"]) for p in points)

    radius = float(FIRST_RADIUS_M)
    while True:
        measured = in_box(radius)
        if len(measured) >= limit or radius >= MAX_RADIUS_M:
            break
        radius = min(radius * 4, MAX_RADIUS_M)
    if len(measured) < limit:
        measured = by_distance(base.values("pk", "place__lng", "place__lat").order_by())
    elif measured[limit - 1][0] > radius:
        measured = in_box(measured[limit - 1][0])
    return [pk for _d, pk in measured[:limit]]


def nearest_stations(
    lng: float, lat: float, limit: int = 5, *, scope: Scope | None = None, now: datetime | None = None
) -> list[Nearby]:
    """The `limit` stations nearest to (lng, lat) (`nearest_ids`), nearest first, each with its
    distance, walking distance and minutes, whether it is open now, and route links."""
    chosen = nearest_ids(lng, lat, limit, scope=scope)
    loaded = Station.objects.select_related("place", "host").in_bulk(chosen)
    rows = []
    for station in (loaded[pk] for pk in chosen):
        row = _nearby(station, station.place.name, station.place.lng, station.place.lat, (lng, lat))
        row.open_now = is_open_now(station, now)
        rows.append(row)
    return rows


def nearest_station_values(
    lng: float, lat: float, limit: int = 5, *, scope: Scope | None = None, now: datetime | None = None
) -> list[Nearby]:
    """`nearest_stations` with each station as its values (`station_values`) instead of a
    model object: what an API answer reads."""
    chosen = nearest_ids(lng, lat, limit, scope=scope)
    found = station_values(chosen, scope)
    rows = []
    for values in (found[pk] for pk in chosen):
        row = _nearby(values, values["name"], values["lng"], values["lat"], (lng, lat))
        row.open_now = open_now(values["status"] == Station.Status.OPEN, values["opening_hours"], now)
        rows.append(row)
    return rows


def station_rows(stations: Any, origin: tuple[float, float] | None, now: datetime | None = None) -> list[Nearby]:
    """Stations as rows, nearest first when a location is given (otherwise by code)."""
    rows = []
    for station in stations:
        row = _nearby(station, station.place.name, station.place.lng, station.place.lat, origin)
        row.open_now = is_open_now(station, now)
        rows.append(row)
    if origin is not None:
        rows.sort(key=lambda r: r.distance_m or 0)
    return rows


def current_offers(scope: Scope, today: date | None = None) -> QuerySet[MealOffer]:
    """Offers on today: active, started and not yet ended."""
    today = today or timezone.localdate()
    return (
        MealOffer.objects.visible_to(scope)
        .filter(active=True, valid_from__lte=today)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("merchant")
    )


def offer_rows(scope: Scope, origin: tuple[float, float] | None, now: datetime | None = None) -> list[Nearby]:
    moment = timezone.localtime(now or timezone.now())
    rows = []
    for offer in current_offers(scope, moment.date()):
        row = _nearby(offer, offer.merchant.name, offer.merchant.lng, offer.merchant.lat, origin)
        row.open_now = is_open_at(offer.hours, moment)
        rows.append(row)
    if origin is not None:
        rows.sort(key=lambda r: r.distance_m or 0)
    return rows


def parking_rows(scope: Scope, origin: tuple[float, float] | None) -> list[Nearby]:
    rows = [_nearby(p, p.name, p.lng, p.lat, origin) for p in ParkingPoint.objects.visible_to(scope)]
    if origin is not None:
        rows.sort(key=lambda r: r.distance_m or 0)
    return rows


def channel_rows(scope: Scope, origin: tuple[float, float] | None, now: datetime | None = None) -> list[Nearby]:
    moment = timezone.localtime(now or timezone.now())
    rows = []
    for channel in GreenChannel.objects.visible_to(scope).select_related("compound"):
        name = f"{channel.compound.name} · {channel.gate}"
        row = _nearby(channel, name, channel.compound.lng, channel.compound.lat, origin)
        row.open_now = is_open_at(channel.hours, moment)
        rows.append(row)
    if origin is not None:
        rows.sort(key=lambda r: r.distance_m or 0)
    return rows


def use_of(station: Station, *, days: int = 14, today: date | None = None) -> dict[str, Any]:
    """Check-ins per day (the last `days` days) and per hour of day (over the same days), in
    local time: what the staff page charts."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()), tz)
    end = timezone.make_aware(datetime.combine(today + timedelta(days=1), datetime.min.time()), tz)
    rows = StationCheckIn.objects.filter(station=station, at__gte=start, at__lt=end)
    per_day = {
        r["day"]: r["n"]
        for r in rows.annotate(day=TruncDate("at", tzinfo=tz)).values("day").annotate(n=Count("id")).order_by()
    }
    per_hour = {
        r["hour"]: r["n"]
        for r in rows.annotate(hour=ExtractHour("at", tzinfo=tz)).values("hour").annotate(n=Count("id")).order_by()
    }
    day_list = [(first + timedelta(days=i), per_day.get(first + timedelta(days=i), 0)) for i in range(days)]
    hour_list = [(h, per_hour.get(h, 0)) for h in range(24)]
    return {
        "days": day_list,
        "hours": hour_list,
        "total": sum(n for _d, n in day_list),
        "people": rows.values("user_id").distinct().count(),
    }
