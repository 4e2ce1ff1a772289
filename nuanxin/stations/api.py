"""Warm stations and rider services over the API, under /api/v1/stations/.

Reading is for everyone, signed in or not (stations, offers, parking points and channels
are public: a rider looks them up before having an account); writing needs stations.manage
where the thing lies: a caller without it there gets the same 404 as the pages (out of
scope is 404), a create whose place lies outside their area a 400 naming the field.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from nuanxin.core.access import get_in_scope_or_404, require, require_at
from nuanxin.core.coords import route_links
from nuanxin.core.errors import api_field_names
from nuanxin.core.http import ANYONE, ScopedRequest
from nuanxin.core.schemas import Id, built_answer
from nuanxin.core.scoping import sent_row
from nuanxin.stations import actions
from nuanxin.stations.models import GreenChannel, MealOffer, ParkingPoint, Station
from nuanxin.stations.queries import (
    Nearby,
    channel_rows,
    is_open_now,
    nearest_station_values,
    offer_rows,
    parking_rows,
    station_or_404,
    station_rows,
    stations_for,
    values_of,
)
from nuanxin.territory.models import Place

router = Router(tags=["stations"])


Lng = Field(None, ge=-180, le=180)
Lat = Field(None, ge=-90, le=90)


class Where(Schema):
    lng: float | None = Lng
    lat: float | None = Lat


class NearestQuery(Schema):
    lng: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    limit: int = Field(5, ge=1, le=50)


class Links(Schema):
    amap: str
    baidu: str
    tencent: str


class StationOut(Schema):
    code: str
    name: str
    address: str
    lng: float
    lat: float
    place_id: int
    host_id: int | None
    host_name: str | None
    opening_hours_text: str
    opening_hours: list[list[str]]
    amenities: list[str]
    capacity: int | None
    contact_name: str
    contact_phone: str
    status: Station.Status
    note: str
    open_now: bool
    photo_ids: list[int]


class NearbyStationOut(StationOut):
    distance_m: int | None
    walking_m: int | None
    walking_minutes: int | None
    links: Links


def _station(station: Station) -> dict[str, Any]:
    return _station_out(values_of(station), is_open_now(station))


def _station_out(values: dict[str, Any], open_now: bool) -> dict[str, Any]:
    """A station's values (queries.station_values) as StationOut, in its field order."""
    return {
        "code": values["code"],
        "name": values["name"],
        "address": values["address"],
        "lng": values["lng"],
        "lat": values["lat"],
        "place_id": values["place_id"],
        "host_id": values["host_id"],
        "host_name": values["host_name"],
        "opening_hours_text": values["opening_hours_text"],
        "opening_hours": values["opening_hours"],
        "amenities": values["amenities"],
        "capacity": values["capacity"],
        "contact_name": values["contact_name"],
        "contact_phone": values["contact_phone"],
        "status": values["status"],
        "note": values["note"],
        "open_now": open_now,
        "photo_ids": values["photo_ids"],
    }


def _nearby_station(values: dict[str, Any], row: Nearby) -> dict[str, Any]:
    """A station's values and its row of a nearest-first list as NearbyStationOut."""
    return _station_out(values, bool(row.open_now)) | {
        "distance_m": row.distance_m,
        "walking_m": row.walking_m,
        "walking_minutes": row.walking_minutes,
        "links": row.links,
    }


def _origin(where: Where) -> tuple[float, float] | None:
    return (where.lng, where.lat) if where.lng is not None and where.lat is not None else None


class StationIn(Schema):
    place_id: Id
    code: str = Field(..., max_length=20)
    opening_hours_text: str = Field(..., max_length=100)
    amenities: list[str] = Field(default_factory=list, max_length=20)
    host_id: Id | None = None
    capacity: int | None = Field(None, ge=0, le=100_000)
    contact_name: str = Field("", max_length=30)
    contact_phone: str = Field("", max_length=20)


class StationPatch(Schema):
    opening_hours_text: str | None = Field(None, max_length=100)
    amenities: list[str] | None = Field(None, max_length=20)
    host_id: Id | None = None
    capacity: int | None = Field(None, ge=0, le=100_000)
    contact_name: str | None = Field(None, max_length=30)
    contact_phone: str | None = Field(None, max_length=20)


class StatusIn(Schema):
    status: str = Field(..., max_length=10)
    note: str = Field("", max_length=200)


_STATION_NAMES = {"place": "place_id", "host": "host_id"}


def _place(request: ScopedRequest, place_id: Id | None, field: str) -> Place | None:
    """A place the caller may see, or a 400 naming the field (never a hint it exists)."""
    places = Place.objects.visible_to(request.scope).select_related("grid")
    return sent_row(places, place_id, field=field, message=_("No such place."))


class CheckInOut(Schema):
    id: int
    station: str
    at: Any
    created: bool


class FeedbackIn(Schema):
    message: str = Field(..., max_length=500)


class FeedbackOut(Schema):
    case_id: int
    case_number: str


class DistanceOut(Schema):
    distance_m: int | None = None
    walking_m: int | None = None
    walking_minutes: int | None = None
    open_now: bool | None = None
    links: Links


def _distance(row: Nearby) -> dict[str, Any]:
    return {
        "distance_m": row.distance_m,
        "walking_m": row.walking_m,
        "walking_minutes": row.walking_minutes,
        "open_now": row.open_now,
        "links": row.links,
    }


class MealOfferOut(DistanceOut):
    id: int
    merchant_id: int
    merchant_name: str
    lng: float
    lat: float
    title: str
    price: Decimal | None
    discount: str
    hours_text: str
    valid_from: date
    valid_until: date | None
    active: bool


def _offer(offer: MealOffer) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "merchant_id": offer.merchant_id,
        "merchant_name": offer.merchant.name,
        "lng": offer.merchant.lng,
        "lat": offer.merchant.lat,
        "title": offer.title,
        "price": offer.price,
        "discount": offer.discount,
        "hours_text": offer.hours_text,
        "valid_from": offer.valid_from,
        "valid_until": offer.valid_until,
        "active": offer.active,
    }


class MealOfferIn(Schema):
    merchant_id: Id
    title: str = Field(..., max_length=120)
    price: Decimal | None = Field(None, ge=0, max_digits=7, decimal_places=2)
    discount: str = Field("", max_length=60)
    hours_text: str = Field(..., max_length=100)
    valid_from: date
    valid_until: date | None = None


class MealOfferPatch(Schema):
    title: str | None = Field(None, max_length=120)
    price: Decimal | None = Field(None, ge=0, max_digits=7, decimal_places=2)
    discount: str | None = Field(None, max_length=60)
    hours_text: str | None = Field(None, max_length=100)
    valid_from: date | None = None
    valid_until: date | None = None
    active: bool | None = None


def _links_of(place: Place) -> dict[str, str]:
    return route_links(place.name, place.lng, place.lat)


class ParkingOut(DistanceOut):
    id: int
    name: str
    lng: float
    lat: float
    grid_id: int
    capacity: int
    note: str


def _parking(point: ParkingPoint) -> dict[str, Any]:
    return {
        "id": point.pk,
        "name": point.name,
        "lng": point.lng,
        "lat": point.lat,
        "grid_id": point.grid_id,
        "capacity": point.capacity,
        "note": point.note,
    }


class ParkingIn(Schema):
    name: str = Field(..., max_length=120)
    lng: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    capacity: int = Field(..., ge=0, le=100_000)
    note: str = Field("", max_length=200)


class ParkingPatch(Schema):
    name: str | None = Field(None, max_length=120)
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    capacity: int | None = Field(None, ge=0, le=100_000)
    note: str | None = Field(None, max_length=200)


def _links_point(point: ParkingPoint) -> dict[str, str]:
    return route_links(point.name, point.lng, point.lat)


class ChannelOut(DistanceOut):
    id: int
    compound_id: int
    compound_name: str
    lng: float
    lat: float
    gate: str
    route: str
    hours_text: str
    rules: str
    contact: str


def _channel(channel: GreenChannel) -> dict[str, Any]:
    return {
        "id": channel.pk,
        "compound_id": channel.compound_id,
        "compound_name": channel.compound.name,
        "lng": channel.compound.lng,
        "lat": channel.compound.lat,
        "gate": channel.gate,
        "route": channel.route,
        "hours_text": channel.hours_text,
        "rules": channel.rules,
        "contact": channel.contact,
    }


class ChannelIn(Schema):
    compound_id: Id
    gate: str = Field(..., max_length=60)
    route: str = Field(..., max_length=300)
    hours_text: str = Field(..., max_length=100)
    rules: str = Field("", max_length=500)
    contact: str = Field("", max_length=60)


class ChannelPatch(Schema):
    gate: str | None = Field(None, max_length=60)
    route: str | None = Field(None, max_length=300)
    hours_text: str | None = Field(None, max_length=100)
    rules: str | None = Field(None, max_length=500)
    contact: str | None = Field(None, max_length=60)


def _managed_station(request: ScopedRequest, code: str) -> Station:
    """The station, for a caller holding stations.manage on its grid; 404 otherwise (another
    community's station is out of their scope for writing, like on the pages)."""
    require(request.scope, "stations.manage")
    station = station_or_404(request.scope, code)
    require_at(request.scope, "stations.manage", station, station.place.grid.path)
    return station


# --- endpoints: fixed paths before "/{code}" ---------------------------------------------


@router.get("/", auth=ANYONE, response=list[NearbyStationOut])
def list_stations(request: ScopedRequest, where: Query[Where]) -> list[dict[str, Any]]:
    """Every station; nearest first with distances when lng and lat are given."""
    return [_nearby_station(values_of(r.obj), r) for r in station_rows(stations_for(request.scope), _origin(where))]


@router.get("/nearest", auth=ANYONE, response=list[NearbyStationOut])
@built_answer
def nearest(request: ScopedRequest, query: Query[NearestQuery]) -> list[dict[str, Any]]:
    """The nearest stations to lng/lat with walking distance, minutes and route links."""
    rows = nearest_station_values(query.lng, query.lat, query.limit, scope=request.scope)
    return [_nearby_station(r.obj, r) for r in rows]


@router.post("/", response={201: StationOut})
def create_station(request: ScopedRequest, payload: StationIn) -> Status[dict[str, Any]]:
    require(request.scope, "stations.manage")
    with api_field_names(_STATION_NAMES):
        station = actions.create_station(
            actor=request.user,
            place=_place(request, payload.place_id, "place_id"),  # type: ignore[arg-type]
            code=payload.code,
            opening_hours_text=payload.opening_hours_text,
            amenities=payload.amenities,
            host=_place(request, payload.host_id, "host_id"),
            capacity=payload.capacity,
            contact_name=payload.contact_name,
            contact_phone=payload.contact_phone,
            scope=request.scope,
        )
    return Status(201, _station(station_or_404(request.scope, station.code)))


@router.get("/meal-offers", auth=ANYONE, response=list[MealOfferOut])
def list_offers(request: ScopedRequest, where: Query[Where]) -> list[dict[str, Any]]:
    """Offers on today, nearest first when lng and lat are given."""
    return [_offer(r.obj) | _distance(r) for r in offer_rows(request.scope, _origin(where))]


@router.get("/parking-points", auth=ANYONE, response=list[ParkingOut])
def list_parking(request: ScopedRequest, where: Query[Where]) -> list[dict[str, Any]]:
    return [_parking(r.obj) | _distance(r) for r in parking_rows(request.scope, _origin(where))]


@router.get("/green-channels", auth=ANYONE, response=list[ChannelOut])
def list_channels(request: ScopedRequest, where: Query[Where]) -> list[dict[str, Any]]:
    return [_channel(r.obj) | _distance(r) for r in channel_rows(request.scope, _origin(where))]


@router.post("/meal-offers", response={201: MealOfferOut})
def create_offer(request: ScopedRequest, payload: MealOfferIn) -> Status[dict[str, Any]]:
    require(request.scope, "stations.manage")
    data = payload.dict()
    merchant = _place(request, data.pop("merchant_id"), "merchant_id")
    with api_field_names({"merchant": "merchant_id"}):
        offer = actions.create_meal_offer(actor=request.user, merchant=merchant, scope=request.scope, **data)  # type: ignore[arg-type]
    return Status(201, _offer(offer) | {"links": _links_of(offer.merchant)})


@router.patch("/meal-offers/{offer_id}", response=MealOfferOut)
def change_offer(request: ScopedRequest, offer_id: Id, payload: MealOfferPatch) -> dict[str, Any]:
    require(request.scope, "stations.manage")
    offer = get_in_scope_or_404(MealOffer.objects.select_related("merchant__grid"), request.scope, pk=offer_id)
    require_at(request.scope, "stations.manage", offer, offer.merchant.grid.path)
    actions.update_meal_offer(actor=request.user, offer=offer, scope=request.scope, **payload.dict(exclude_unset=True))
    return _offer(offer) | {"links": _links_of(offer.merchant)}


@router.post("/parking-points", response={201: ParkingOut})
def create_parking(request: ScopedRequest, payload: ParkingIn) -> Status[dict[str, Any]]:
    require(request.scope, "stations.manage")
    point = actions.create_parking_point(actor=request.user, scope=request.scope, **payload.dict())
    return Status(201, _parking(point) | {"links": _links_point(point)})


@router.patch("/parking-points/{point_id}", response=ParkingOut)
def change_parking(request: ScopedRequest, point_id: Id, payload: ParkingPatch) -> dict[str, Any]:
    require(request.scope, "stations.manage")
    point = get_in_scope_or_404(ParkingPoint.objects.select_related("grid"), request.scope, pk=point_id)
    require_at(request.scope, "stations.manage", point, point.grid.path)
    actions.update_parking_point(
        actor=request.user, point=point, scope=request.scope, **payload.dict(exclude_unset=True)
    )
    return _parking(point) | {"links": _links_point(point)}


@router.post("/green-channels", response={201: ChannelOut})
def create_channel(request: ScopedRequest, payload: ChannelIn) -> Status[dict[str, Any]]:
    require(request.scope, "stations.manage")
    data = payload.dict()
    compound = _place(request, data.pop("compound_id"), "compound_id")
    with api_field_names({"compound": "compound_id"}):
        channel = actions.create_green_channel(actor=request.user, compound=compound, scope=request.scope, **data)  # type: ignore[arg-type]
    return Status(201, _channel(channel) | {"links": _links_of(channel.compound)})


@router.patch("/green-channels/{channel_id}", response=ChannelOut)
def change_channel(request: ScopedRequest, channel_id: Id, payload: ChannelPatch) -> dict[str, Any]:
    require(request.scope, "stations.manage")
    channel = get_in_scope_or_404(GreenChannel.objects.select_related("compound__grid"), request.scope, pk=channel_id)
    require_at(request.scope, "stations.manage", channel, channel.compound.grid.path)
    actions.update_green_channel(
        actor=request.user, channel=channel, scope=request.scope, **payload.dict(exclude_unset=True)
    )
    return _channel(channel) | {"links": _links_of(channel.compound)}


@router.get("/{code}", auth=ANYONE, response=StationOut)
def get_station(request: ScopedRequest, code: str) -> dict[str, Any]:
    return _station(station_or_404(request.scope, code))


@router.patch("/{code}", response=StationOut)
def change_station(request: ScopedRequest, code: str, payload: StationPatch) -> dict[str, Any]:
    station = _managed_station(request, code)
    changes: dict[str, Any] = payload.dict(exclude_unset=True)
    if "host_id" in changes:
        changes["host"] = _place(request, changes.pop("host_id"), "host_id")
    with api_field_names(_STATION_NAMES):
        actions.update_station(actor=request.user, station=station, scope=request.scope, **changes)
    return _station(station_or_404(request.scope, code))


@router.post("/{code}/status", response=StationOut)
def set_status(request: ScopedRequest, code: str, payload: StatusIn) -> dict[str, Any]:
    station = _managed_station(request, code)
    actions.set_station_status(
        actor=request.user, station=station, status=payload.status, note=payload.note, scope=request.scope
    )
    return _station(station_or_404(request.scope, code))


@router.post("/{code}/photos", response={201: list[int]})
def add_photos(request: ScopedRequest, code: str, photos: File[list[UploadedFile]]) -> Status[list[int]]:
    station = _managed_station(request, code)
    kept = actions.add_station_photos(actor=request.user, station=station, photos=list(photos), scope=request.scope)
    return Status(201, [p.pk for p in kept])


@router.post("/{code}/checkin", response={200: CheckInOut, 201: CheckInOut})
def check_in(request: ScopedRequest, code: str) -> Status[dict[str, Any]]:
    """Count a visit: 201 the first time in 30 minutes, 200 with the same check-in after."""
    station = station_or_404(request.scope, code)
    checkin, created = actions.check_in(actor=request.user, station=station)
    body = {"id": checkin.pk, "station": station.code, "at": checkin.at, "created": created}
    return Status(201 if created else 200, body)


@router.post("/{code}/feedback", response={201: FeedbackOut})
def feedback(request: ScopedRequest, code: str, payload: FeedbackIn) -> Status[dict[str, Any]]:
    """Feedback on the station becomes a case for its host."""
    station = station_or_404(request.scope, code)
    case = actions.give_feedback(actor=request.user, station=station, message=payload.message)
    return Status(201, {"case_id": case.pk, "case_number": case.number})
