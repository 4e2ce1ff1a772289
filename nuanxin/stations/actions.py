"""Writes on warm stations, their photos and check-ins, rider meal offers, parking points and
green delivery channels; feedback and reports made at a station become cases.

Each write runs in one transaction with an audit entry. Every write that keeps the stations
takes the actor's `scope` (or a system scope) and needs stations.manage on the grid where the
thing lies (refused with the field at fault, or code "forbidden" when no field is). Refusals
are DomainError naming the field.
"""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nuanxin.accounts.models import RoleGrant, User
from nuanxin.accounts.roles import Role
from nuanxin.cases import actions as cases
from nuanxin.cases.models import Case, CaseClass
from nuanxin.core import audit
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.geo import check_point
from nuanxin.core.photos import accept_photo
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import plain_text
from nuanxin.stations.hours import parse_hours
from nuanxin.stations.models import (
    Amenity,
    GreenChannel,
    MealOffer,
    ParkingPoint,
    Station,
    StationCheckIn,
    StationPhoto,
)
from nuanxin.territory.models import Area, Place
from nuanxin.territory.queries import locate_grid
from nuanxin.volunteers.models import Partner

# The refusal of a write outside stations.manage (it does not say who holds it).
OUTSIDE = gettext_noop("This is outside the area where you keep stations and rider services.")
CHECKIN_WINDOW = timedelta(minutes=30)
MAX_PHOTOS = 12
FEEDBACK_MAX = 500
# The case class a station's feedback goes to ("the microwave is broken"): a facility problem.
FEEDBACK_CLASS = "damaged-facility"

# Station codes share the URL space /stations/<code>/ with these pages.
RESERVED_CODES = {"NEAR", "MEALS", "PARKING", "CHANNELS", "MANAGE"}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,18}[0-9]$")


def _check_located(place: Place | None, *, field: str) -> None:
    """A place with real coordinates: a station or offer nobody can find on the map is refused."""
    if place is None or place.lng is None or place.lat is None:
        raise DomainError(_("The place has no coordinates: locate it on the map first."), field=field)
    if not (-180 <= place.lng <= 180 and -90 <= place.lat <= 90) or (place.lng == 0 and place.lat == 0):
        raise DomainError(_("The place has no coordinates: locate it on the map first."), field=field)


def clean_amenities(amenities: Any, *, field: str = "amenities") -> list[str]:
    """Known amenity codes, each once, in the catalogue's order."""
    if amenities is None:
        return []
    if isinstance(amenities, str) or not isinstance(amenities, list | tuple | set):
        raise DomainError(_("Amenities are a list of codes."), field=field)
    unknown = [str(a) for a in amenities if a not in Amenity.values]
    if unknown:
        raise DomainError(_("Unknown amenity: %(names)s.") % {"names": ", ".join(unknown[:5])[:80]}, field=field)
    chosen = set(amenities)
    return [code for code in Amenity.values if code in chosen]


def _clean_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not _CODE.match(code) or code in RESERVED_CODES:
        raise DomainError(
            _("A station code has 1 to 20 letters, digits, hyphens or underscores, e.g. YXQ-01."), field="code"
        )
    return code


def _clean_phone(phone: str, *, field: str) -> str:
    phone = (phone or "").strip()
    if phone and not _PHONE.match(phone):
        raise DomainError(_("A phone number has digits, optionally with hyphens."), field=field)
    return phone


def _clean_capacity(capacity: Any, *, field: str = "capacity", required: bool = False) -> int | None:
    if capacity in (None, ""):
        if required:
            raise DomainError(_("Give the capacity."), field=field)
        return None
    try:
        value = int(capacity)
    except (TypeError, ValueError):
        raise DomainError(_("The capacity is a whole number."), field=field) from None
    if value < 0 or value > 100_000:
        raise DomainError(_("The capacity is a whole number from 0 to 100000."), field=field)
    return value


def _check_host(host: Place | None) -> None:
    if host is not None and host.kind == Place.Kind.STATION:
        raise DomainError(_("The host is the unit running the station, not a station."), field="host")


# --- stations -------------------------------------------------------------------------------


@transaction.atomic
def create_station(
    *,
    actor: Any,
    place: Place,
    code: str,
    opening_hours_text: str,
    amenities: Any,
    host: Place | None = None,
    capacity: int | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    scope: Scope,
) -> Station:
    """Make a station's record on top of its place (kind "station").

    Refuses, naming the field: a place that is not a station or has no coordinates, or
    already has a station ("place"); a place outside the area where the
    actor holds stations.manage ("place"); a malformed or taken code ("code"); hours that do
    not parse ("opening_hours"); an unknown amenity ("amenities"); a station as host ("host");
    a bad capacity, contact or phone."""
    if place is None or place.kind != Place.Kind.STATION:
        raise DomainError(_("Choose a place of kind warm station."), field="place")
    _check_located(place, field="place")
    check_at(scope, place.grid.path, "stations.manage", message=_(OUTSIDE), field="place")
    if Station.objects.filter(place=place).exists():
        raise DomainError(_("This place already has a station record."), field="place")
    code = _clean_code(code)
    if Station.objects.filter(code__iexact=code).exists():
        raise DomainError(_("Another station has this code."), field="code")
    hours = parse_hours(opening_hours_text)
    clean = clean_amenities(amenities)
    _check_host(host)
    try:
        with transaction.atomic():
            station = Station.objects.create(
                place=place,
                code=code,
                host=host,
                opening_hours_text=plain_text(opening_hours_text, field="opening_hours", limit=100),
                opening_hours=hours,
                amenities=clean,
                capacity=_clean_capacity(capacity),
                contact_name=plain_text(contact_name, field="contact_name", limit=30),
                contact_phone=_clean_phone(contact_phone, field="contact_phone"),
            )
    except IntegrityError:  # a concurrent create took the code or the place
        raise DomainError(_("Another station has this code."), field="code") from None
    audit.record("stations.station_created", actor=actor, obj=station, detail={"code": code})
    return station


_UNSET: Any = object()


@transaction.atomic
def update_station(
    *,
    actor: Any,
    station: Station,
    opening_hours_text: str | None = None,
    amenities: Any = None,
    host: Place | None = _UNSET,
    capacity: Any = _UNSET,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    scope: Scope,
) -> Station:
    """Change what is given (None leaves a field as it is; `host`/`capacity` may be set to
    None). Same checks as create_station; audited with the names of the changed fields."""
    check_at(scope, station.place.grid.path, "stations.manage", message=_(OUTSIDE))
    changed: list[str] = []
    if opening_hours_text is not None:
        station.opening_hours = parse_hours(opening_hours_text)
        station.opening_hours_text = plain_text(opening_hours_text, field="opening_hours", limit=100)
        changed.append("opening_hours")
    if amenities is not None:
        station.amenities = clean_amenities(amenities)
        changed.append("amenities")
    if host is not _UNSET:
        _check_host(host)
        station.host = host
        changed.append("host")
    if capacity is not _UNSET:
        station.capacity = _clean_capacity(capacity)
        changed.append("capacity")
    if contact_name is not None:
        station.contact_name = plain_text(contact_name, field="contact_name", limit=30)
        changed.append("contact_name")
    if contact_phone is not None:
        station.contact_phone = _clean_phone(contact_phone, field="contact_phone")
        changed.append("contact_phone")
    station.save()
    audit.record("stations.station_changed", actor=actor, obj=station, detail={"fields": changed})
    return station


@transaction.atomic
def set_station_status(*, actor: Any, station: Station, status: str, note: str = "", scope: Scope) -> Station:
    """Open a station or close it for a while, with a note riders see ("closed for repairs
    until Monday"). Refuses an unknown status ("status") and a note over 200 characters."""
    check_at(scope, station.place.grid.path, "stations.manage", message=_(OUTSIDE))
    if status not in Station.Status.values:
        raise DomainError(_("Unknown status."), field="status")
    station.status = status
    station.note = plain_text(note, field="note", limit=200)
    station.save(update_fields=["status", "note", "updated_at"])
    audit.record("stations.status_set", actor=actor, obj=station, detail={"status": status})
    return station


@transaction.atomic
def add_station_photos(*, actor: Any, station: Station, photos: list[Any], scope: Scope) -> list[StationPhoto]:
    """Add photos (checked, re-encoded and stripped by core.photos); at most MAX_PHOTOS per
    station. A refused photo refuses them all (field "photos")."""
    check_at(scope, station.place.grid.path, "stations.manage", message=_(OUTSIDE))
    if not photos:
        raise DomainError(_("Choose at least one photo."), field="photos")
    if station.photos.count() + len(photos) > MAX_PHOTOS:
        raise DomainError(_("At most %(n)d photos per station.") % {"n": MAX_PHOTOS}, field="photos")
    stored = [accept_photo(upload, field="photos", subdir="stations") for upload in photos]
    kept = [StationPhoto.objects.create(station=station, **StationPhoto.fields_of(p)) for p in stored]
    audit.record("stations.photos_added", actor=actor, obj=station, detail={"count": len(kept)})
    return kept


@transaction.atomic
def remove_station_photo(*, actor: Any, photo: StationPhoto, scope: Scope) -> None:
    station = photo.station
    check_at(scope, station.place.grid.path, "stations.manage", message=_(OUTSIDE))
    photo.delete()
    audit.record("stations.photo_removed", actor=actor, obj=station, detail={"photo": photo.pk})


@transaction.atomic
def check_in(*, actor: Any, station: Station, now: datetime | None = None) -> tuple[StationCheckIn, bool]:
    """Count a visit by a signed-in person who scanned the station's code: at most one per
    person and station in any 30 minutes (a second scan returns the first, created=False).
    The station row is locked so two scans at the same moment cannot both count."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise DomainError(_("Sign in to check in."), code="forbidden")
    Station.objects.select_for_update().filter(pk=station.pk).first()
    now = now or timezone.now()  # read after the lock: a scan that waited sees the one before it
    recent = (
        StationCheckIn.objects.filter(station=station, user=actor, at__gt=now - CHECKIN_WINDOW).order_by("-at").first()
    )
    if recent is not None:
        return recent, False
    checkin = StationCheckIn.objects.create(station=station, user=actor, at=now)
    audit.record("stations.checked_in", actor=actor, obj=station, detail={"checkin": checkin.pk})
    return checkin, True


def _feedback_class() -> Any:
    case_class = CaseClass.objects.filter(code=FEEDBACK_CLASS, active=True).first()
    if case_class is None:
        raise DomainError(_("Feedback cannot be taken now: the case catalogue has no facility class."))
    return case_class


@transaction.atomic
def give_feedback(*, actor: Any, station: Station, message: str, now: datetime | None = None) -> Any:
    """Feedback on a station ("the microwave is broken") becomes a case at the station's
    place, for its host unit to fix: reported through cases.actions.report_case (channel
    phone_page, class "damaged-facility"), the host named in the case, and the host's
    representatives following it (they see it and hear how it ends). Refuses an empty or
    over-long message or markup ("message")."""

    text = plain_text(message, field="message", limit=FEEDBACK_MAX, required=True)
    place = station.place
    host = station.host.name if station.host is not None else ""
    description = _("Feedback on warm station %(name)s (%(code)s): %(text)s") % {
        "name": place.name,
        "code": station.code,
        "text": text,
    }
    address = (_("Host: %(host)s") % {"host": host}) if host else place.address
    case = cases.report_case(
        actor=actor,
        case_class=_feedback_class(),
        description=description[:2000],
        lng=place.lng,
        lat=place.lat,
        channel=Case.Channel.PHONE_PAGE,
        place=place,
        address=address[:200],
        now=now,
    )
    if station.host is not None:
        cases.add_host_followers(actor=actor, case=case, users=host_representatives(station.host), now=now)
    audit.record("stations.feedback_given", actor=actor, obj=station, detail={"case": case.number})
    return case


def host_representatives(host: Place) -> list[Any]:
    """Who speaks for a host unit: partner representatives of the unit (their role held on
    it) and the representatives of a partner organisation at that place."""

    by_role = RoleGrant.objects.filter(role=Role.PARTNER_REP, unit=host).values("user_id")
    by_partner = Partner.representatives.through.objects.filter(partner__place=host).values("user_id")
    return list(User.objects.filter(Q(pk__in=by_role) | Q(pk__in=by_partner)).order_by("pk"))


# --- meal offers ----------------------------------------------------------------------------


def _clean_price(price: Any) -> Decimal | None:
    if price in (None, ""):
        return None
    try:
        value = Decimal(str(price))
    except (InvalidOperation, ValueError):
        raise DomainError(_("The price is an amount in yuan, e.g. 12.50."), field="price") from None
    if not value.is_finite() or value < 0 or value >= Decimal("100000") or value != value.quantize(Decimal("0.01")):
        raise DomainError(_("The price is an amount in yuan, e.g. 12.50."), field="price")
    return value


def _check_dates(valid_from: date | None, valid_until: date | None) -> None:
    if valid_from is None:
        raise DomainError(_("Give the first day of the offer."), field="valid_from")
    if valid_until is not None and valid_until < valid_from:
        raise DomainError(_("The offer cannot end before it starts."), field="valid_until")


@transaction.atomic
def create_meal_offer(
    *,
    actor: Any,
    merchant: Place,
    title: str,
    hours_text: str,
    valid_from: date,
    valid_until: date | None = None,
    price: Any = None,
    discount: str = "",
    scope: Scope,
) -> MealOffer:
    """A merchant's meal offer for riders. Refuses a place that is not a merchant or has no
    coordinates ("merchant"), one outside stations.manage ("merchant"); no
    title ("title"); neither price nor discount, or a bad price ("price"); hours that do not
    parse ("hours"); an end before the start ("valid_until")."""
    if merchant is None or merchant.kind not in (Place.Kind.MERCHANT, Place.Kind.ENTERPRISE):
        raise DomainError(_("Choose a merchant."), field="merchant")
    _check_located(merchant, field="merchant")
    check_at(scope, merchant.grid.path, "stations.manage", message=_(OUTSIDE), field="merchant")
    title = plain_text(title, field="title", limit=120, required=True)
    value = _clean_price(price)
    discount = plain_text(discount, field="discount", limit=60)
    if value is None and not discount:
        raise DomainError(_("Give a price or a discount."), field="price")
    hours = parse_hours(hours_text, field="hours")
    _check_dates(valid_from, valid_until)
    offer = MealOffer.objects.create(
        merchant=merchant,
        title=title,
        price=value,
        discount=discount,
        hours_text=plain_text(hours_text, field="hours", limit=100),
        hours=hours,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    audit.record("stations.meal_offer_created", actor=actor, obj=merchant, detail={"offer": offer.pk})
    return offer


@transaction.atomic
def update_meal_offer(
    *,
    actor: Any,
    offer: MealOffer,
    title: str | None = None,
    hours_text: str | None = None,
    valid_from: date | None = None,
    valid_until: date | None = _UNSET,
    price: Any = _UNSET,
    discount: str | None = None,
    active: bool | None = None,
    scope: Scope,
) -> MealOffer:
    """Change what is given; the same checks as create_meal_offer. `active=False` withdraws it."""
    check_at(scope, offer.merchant.grid.path, "stations.manage", message=_(OUTSIDE))
    if title is not None:
        offer.title = plain_text(title, field="title", limit=120, required=True)
    if price is not _UNSET:
        offer.price = _clean_price(price)
    if discount is not None:
        offer.discount = plain_text(discount, field="discount", limit=60)
    if offer.price is None and not offer.discount:
        raise DomainError(_("Give a price or a discount."), field="price")
    if hours_text is not None:
        offer.hours = parse_hours(hours_text, field="hours")
        offer.hours_text = plain_text(hours_text, field="hours", limit=100)
    if valid_from is not None:
        offer.valid_from = valid_from
    if valid_until is not _UNSET:
        offer.valid_until = valid_until
    _check_dates(offer.valid_from, offer.valid_until)
    if active is not None:
        offer.active = bool(active)
    offer.save()
    audit.record("stations.meal_offer_changed", actor=actor, obj=offer.merchant, detail={"offer": offer.pk})
    return offer


# --- parking points -------------------------------------------------------------------------


def _grid_at(lng: Any, lat: Any) -> Area:
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        raise DomainError(_("The location is not a valid longitude/latitude."), field="location") from None
    check_point(lng, lat)
    grid = locate_grid(lng, lat)
    if grid is None:
        raise DomainError(_("This location is outside the community's grids."), field="location")
    return grid


@transaction.atomic
def create_parking_point(
    *,
    actor: Any,
    name: str,
    lng: float,
    lat: float,
    capacity: int,
    note: str = "",
    scope: Scope,
) -> ParkingPoint:
    """A free temporary parking point, in the grid containing its location. Refuses a
    location outside every grid or outside stations.manage ("location"); no
    name ("name"); a missing or bad capacity ("capacity")."""
    name = plain_text(name, field="name", limit=120, required=True)
    grid = _grid_at(lng, lat)
    check_at(scope, grid.path, "stations.manage", message=_(OUTSIDE), field="location")
    point = ParkingPoint.objects.create(
        name=name,
        lng=float(lng),
        lat=float(lat),
        grid=grid,
        capacity=_clean_capacity(capacity, required=True) or 0,
        note=plain_text(note, field="note", limit=200),
    )
    audit.record("stations.parking_point_created", actor=actor, obj=grid, detail={"parking_point": point.pk})
    return point


@transaction.atomic
def update_parking_point(
    *,
    actor: Any,
    point: ParkingPoint,
    name: str | None = None,
    lng: float | None = None,
    lat: float | None = None,
    capacity: Any = None,
    note: str | None = None,
    scope: Scope,
) -> ParkingPoint:
    """Change what is given; a move must stay within the actor's area."""
    check_at(scope, point.grid.path, "stations.manage", message=_(OUTSIDE))
    if name is not None:
        point.name = plain_text(name, field="name", limit=120, required=True)
    if lng is not None or lat is not None:
        new_lng = point.lng if lng is None else lng
        new_lat = point.lat if lat is None else lat
        grid = _grid_at(new_lng, new_lat)
        check_at(scope, grid.path, "stations.manage", message=_(OUTSIDE), field="location")
        point.lng, point.lat, point.grid = float(new_lng), float(new_lat), grid
    if capacity is not None:
        point.capacity = _clean_capacity(capacity, required=True) or 0
    if note is not None:
        point.note = plain_text(note, field="note", limit=200)
    point.save()
    audit.record("stations.parking_point_changed", actor=actor, obj=point.grid, detail={"parking_point": point.pk})
    return point


# --- green channels -------------------------------------------------------------------------


@transaction.atomic
def create_green_channel(
    *,
    actor: Any,
    compound: Place,
    gate: str,
    route: str,
    hours_text: str,
    rules: str = "",
    contact: str = "",
    scope: Scope,
) -> GreenChannel:
    """An agreed fast entry route for deliveries into a compound. Refuses a place that is not
    a compound or has no coordinates, or one outside stations.manage
    ("compound"); no gate ("gate") or route ("route"); hours that do not parse ("hours")."""
    if compound is None or compound.kind != Place.Kind.COMPOUND:
        raise DomainError(_("Choose a residential compound."), field="compound")
    _check_located(compound, field="compound")
    check_at(scope, compound.grid.path, "stations.manage", message=_(OUTSIDE), field="compound")
    channel = GreenChannel.objects.create(
        compound=compound,
        gate=plain_text(gate, field="gate", limit=60, required=True),
        route=plain_text(route, field="route", limit=300, required=True),
        hours_text=plain_text(hours_text, field="hours", limit=100),
        hours=parse_hours(hours_text, field="hours"),
        rules=plain_text(rules, field="rules", limit=500),
        contact=plain_text(contact, field="contact", limit=60),
    )
    audit.record("stations.green_channel_created", actor=actor, obj=compound, detail={"channel": channel.pk})
    return channel


@transaction.atomic
def update_green_channel(
    *,
    actor: Any,
    channel: GreenChannel,
    gate: str | None = None,
    route: str | None = None,
    hours_text: str | None = None,
    rules: str | None = None,
    contact: str | None = None,
    scope: Scope,
) -> GreenChannel:
    """Change what is given; the same checks as create_green_channel."""
    check_at(scope, channel.compound.grid.path, "stations.manage", message=_(OUTSIDE))
    if gate is not None:
        channel.gate = plain_text(gate, field="gate", limit=60, required=True)
    if route is not None:
        channel.route = plain_text(route, field="route", limit=300, required=True)
    if hours_text is not None:
        channel.hours = parse_hours(hours_text, field="hours")
        channel.hours_text = plain_text(hours_text, field="hours", limit=100)
    if rules is not None:
        channel.rules = plain_text(rules, field="rules", limit=500)
    if contact is not None:
        channel.contact = plain_text(contact, field="contact", limit=60)
    channel.save()
    audit.record("stations.green_channel_changed", actor=actor, obj=channel.compound, detail={"channel": channel.pk})
    return channel
