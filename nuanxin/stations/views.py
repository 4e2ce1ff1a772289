"""Station pages: the public map, the phone's nearest-station finder, a station's page with
check-in, feedback and a two-tap report, the rider-service lists, and the staff pages that
keep them (stations.manage) and show a station's use."""

from collections.abc import Callable
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.cases.forms import ReportForm
from nuanxin.cases.models import Case
from nuanxin.cases.views import EMERGENCY_NUMBERS, report_from_form
from nuanxin.core.access import get_in_scope_or_404, require, require_at
from nuanxin.core.coords import route_links
from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.core.photos import photo_response
from nuanxin.stations import actions
from nuanxin.stations.forms import (
    ChannelForm,
    FeedbackForm,
    MealOfferForm,
    ParkingForm,
    StationForm,
    StatusForm,
    show_error,
)
from nuanxin.stations.models import Amenity, GreenChannel, MealOffer, ParkingPoint, Station, StationPhoto
from nuanxin.stations.queries import (
    channel_rows,
    is_open_now,
    nearest_stations,
    offer_rows,
    parking_rows,
    station_or_404,
    station_rows,
    stations_for,
    use_of,
)

AMENITY_LABELS = dict(Amenity.choices)
NEAREST = 10


def _origin(request: ScopedRequest) -> tuple[tuple[float, float] | None, str]:
    """The phone's location from ?lng=&lat=, or None, and an error to show when unreadable."""
    raw_lng, raw_lat = request.GET.get("lng", ""), request.GET.get("lat", "")
    if not raw_lng and not raw_lat:
        return None, ""
    try:
        lng, lat = float(raw_lng), float(raw_lat)
    except ValueError:
        return None, _("The location is not a valid longitude/latitude.")
    if not (-180 <= lng <= 180 and -90 <= lat <= 90) or lng != lng or lat != lat:
        return None, _("The location is not a valid longitude/latitude.")
    return (lng, lat), ""


def _amenities(codes: list[str]) -> list[tuple[str, str]]:
    return [(code, str(AMENITY_LABELS.get(code, code))) for code in codes]


def _manages(request: ScopedRequest, station: Station) -> bool:
    return request.scope.has_at("stations.manage", station.place.grid.path)


# --- public pages: anyone may open them, signed in or not (Station.scoping is anonymous) ----


def station_map(request: ScopedRequest) -> HttpResponse:
    """Stations, meal offers, parking points and green channels as map layers."""
    scope = request.scope
    now = timezone.now()
    stations = [
        {
            "name": s.place.name,
            "lng": s.place.lng,
            "lat": s.place.lat,
            "url": reverse("stations:detail", args=[s.code]),
            "hours": s.opening_hours_text,
            "open": is_open_now(s, now),
            "status": s.get_status_display(),
            "amenities": [label for _code, label in _amenities(s.amenities)],
        }
        for s in stations_for(scope)
    ]
    offers = [
        {
            "name": r.obj.merchant.name,
            "lng": r.lng,
            "lat": r.lat,
            "title": r.obj.title,
            "price": str(r.obj.price) if r.obj.price is not None else "",
            "discount": r.obj.discount,
            "hours": r.obj.hours_text,
        }
        for r in offer_rows(scope, None, now)
    ]
    parking = [
        {"name": r.name, "lng": r.lng, "lat": r.lat, "capacity": r.obj.capacity, "note": r.obj.note}
        for r in parking_rows(scope, None)
    ]
    channels = [
        {"name": r.name, "lng": r.lng, "lat": r.lat, "route": r.obj.route, "hours": r.obj.hours_text}
        for r in channel_rows(scope, None, now)
    ]
    layers = {"stations": stations, "offers": offers, "parking": parking, "channels": channels}
    return render(request, "stations/map.html", {"layers": layers, "counts": {k: len(v) for k, v in layers.items()}})


def near(request: ScopedRequest) -> HttpResponse:
    """The phone finder: the nearest stations to ?lng=&lat= (the page's script asks the phone
    for its location and reloads with them), with walking distance and route links."""
    origin, error = _origin(request)
    if origin is not None:
        rows = nearest_stations(origin[0], origin[1], NEAREST, scope=request.scope)
    else:
        rows = station_rows(stations_for(request.scope), None)
    for row in rows:
        row.amenities = _amenities(row.obj.amenities)  # type: ignore[attr-defined]
    return render(
        request,
        "stations/near.html",
        {"rows": rows, "origin": origin, "error": error},
        status=400 if error else 200,
    )


def detail(request: ScopedRequest, code: str) -> HttpResponse:
    station = station_or_404(request.scope, code)
    return _detail(request, station, FeedbackForm())


def _detail(request: ScopedRequest, station: Station, feedback: FeedbackForm, status: int = 200) -> HttpResponse:
    place = station.place
    return render(
        request,
        "stations/detail.html",
        {
            "station": station,
            "place": place,
            "open_now": is_open_now(station),
            "amenities": _amenities(station.amenities),
            "links": route_links(place.name, place.lng, place.lat),
            "photos": list(station.photos.all()),
            "feedback": feedback,
            "manages": _manages(request, station),
            "can_see_use": request.scope.has("stations.view"),
        },
        status=status,
    )


def photo(request: ScopedRequest, code: str, photo_id: int) -> HttpResponseBase:
    station = station_or_404(request.scope, code)
    item = StationPhoto.objects.filter(station=station, pk=photo_id).first()
    if item is None:
        raise Http404
    return photo_response(item.name)


@login_required
def checkin(request: ScopedRequest, code: str) -> HttpResponse:
    """Scanning the station's code opens this page; the button records the check-in (a GET
    never writes, so a link preview does not count as a visit)."""
    station = station_or_404(request.scope, code)
    if request.method == "POST":
        try:
            _checkin, created = actions.check_in(actor=request.user, station=station)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if created:
                messages.success(request, _("Checked in at %(name)s. Welcome!") % {"name": station.place.name})
            else:
                messages.info(request, _("You already checked in here in the last 30 minutes."))
        return redirect("stations:detail", station.code)
    return render(request, "stations/checkin.html", {"station": station, "open_now": is_open_now(station)})


@login_required
@require_POST
def feedback(request: ScopedRequest, code: str) -> HttpResponse:
    """Feedback on the station ("the microwave is broken") becomes a case for its host."""
    station = station_or_404(request.scope, code)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            case = actions.give_feedback(actor=request.user, station=station, message=form.cleaned_data["message"])
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(
                request, _("Thank you. Your feedback %(number)s is with the station's host.") % {"number": case.number}
            )
            return redirect("cases:detail", case.pk)
    return _detail(request, station, form, status=400)


@login_required
def report(request: ScopedRequest, code: str) -> HttpResponse:
    """Report a case here: the place and location are the station's, so a rider only picks
    what it is and says a few words (the second tap sends it)."""

    station = station_or_404(request.scope, code)
    place = station.place
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None:
        data["lng"], data["lat"] = str(place.lng), str(place.lat)
    form = ReportForm(data, initial={"lng": place.lng, "lat": place.lat})
    photo_error = ""
    if data is not None and form.is_valid():
        case, photo_error = report_from_form(
            request,
            form,
            location_field="description",
            channel=Case.Channel.PHONE_PAGE,
            lng=place.lng,
            lat=place.lat,
            place=place,
            address=place.address or place.name,
        )
        if case is not None:
            messages.success(
                request, _("Thank you. Your report %(number)s is with the grid.") % {"number": case.number}
            )
            return redirect("cases:detail", case.pk)
    return render(
        request,
        "stations/report.html",
        {"station": station, "form": form, "photo_error": photo_error, "emergency_numbers": EMERGENCY_NUMBERS},
        status=400 if data is not None else 200,
    )


def _list_page(request: ScopedRequest, template: str, rows_for: Any) -> HttpResponse:
    origin, error = _origin(request)
    return render(
        request,
        template,
        {"rows": rows_for(request.scope, origin), "origin": origin, "error": error, "today": timezone.localdate()},
        status=400 if error else 200,
    )


def meals(request: ScopedRequest) -> HttpResponse:
    return _list_page(request, "stations/meals.html", offer_rows)


def parking(request: ScopedRequest) -> HttpResponse:
    return _list_page(request, "stations/parking.html", parking_rows)


def channels(request: ScopedRequest) -> HttpResponse:
    return _list_page(request, "stations/channels.html", channel_rows)


# --- staff pages ----------------------------------------------------------------------------


@login_required
def use(request: ScopedRequest, code: str) -> HttpResponse:
    """Check-ins per hour of day and per day over the last two weeks (staff only)."""
    require(request.scope, "stations.view")
    station = station_or_404(request.scope, code)
    figures = use_of(station)
    busiest = max((n for _h, n in figures["hours"]), default=0) or 1
    hours = [(h, n, round(100 * n / busiest)) for h, n in figures["hours"]]
    busiest_day = max((n for _d, n in figures["days"]), default=0) or 1
    days = [(d, n, round(100 * n / busiest_day)) for d, n in figures["days"]]
    return render(request, "stations/use.html", {"station": station, "figures": figures, "hours": hours, "days": days})


@login_required
def qr(request: ScopedRequest, code: str) -> HttpResponse:
    """The station's check-in code to print (staff keeping the station)."""
    station = station_or_404(request.scope, code)
    require_at(request.scope, "stations.manage", station, station.place.grid.path)
    url = request.build_absolute_uri(reverse("stations:checkin", args=[station.code]))
    buffer = segno.make(url, error="m").svg_inline(scale=8, title=station.place.name)
    return HttpResponse(buffer, content_type="image/svg+xml")


@login_required
def manage(request: ScopedRequest) -> HttpResponse:
    """The console list of stations and rider services the viewer keeps."""
    require(request.scope, "stations.manage")
    scope = request.scope
    stations = [s for s in stations_for(scope).filter(scope.q("stations.manage", "place__grid__path"))]
    return render(
        request,
        "stations/manage.html",
        {
            "stations": [(s, is_open_now(s), _amenities(s.amenities)) for s in stations],
            "offers": MealOffer.objects.filter(scope.q("stations.manage", "merchant__grid__path")).select_related(
                "merchant"
            ),
            "parking": ParkingPoint.objects.filter(scope.q("stations.manage", "grid__path")).select_related("grid"),
            "channels": GreenChannel.objects.filter(scope.q("stations.manage", "compound__grid__path")).select_related(
                "compound"
            ),
            "today": timezone.localdate(),
        },
    )


def _form_page(request: ScopedRequest, form: Any, title: str, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "stations/form.html", {"form": form, "title": title, **extra}, status=status)


def _save_page(request: ScopedRequest, form: Any, save: Callable[[dict[str, Any]], Any], title: str) -> HttpResponse:
    """A keeper's form for an offer, a parking point or a channel: on a valid POST, `save` the
    cleaned data through its action and go back to the list; a refusal shows at its field."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            return redirect("stations:manage")
    return _form_page(request, form, title, status=400 if request.method == "POST" else 200)


@login_required
def new_station(request: ScopedRequest) -> HttpResponse:
    require(request.scope, "stations.manage")
    form = StationForm(request.POST or None, scope=request.scope)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            station = actions.create_station(actor=request.user, scope=request.scope, **data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Station %(code)s saved.") % {"code": station.code})
            return redirect("stations:detail", station.code)
    return _form_page(request, form, _("New warm station"), status=400 if form.errors else 200)


@login_required
def edit_station(request: ScopedRequest, code: str) -> HttpResponse:
    """Hours, amenities, host, contact; the status; photos."""
    require(request.scope, "stations.manage")
    station = station_or_404(request.scope, code)
    require_at(request.scope, "stations.manage", station, station.place.grid.path)
    initial = {
        "host": station.host_id,
        "opening_hours_text": station.opening_hours_text,
        "amenities": station.amenities,
        "capacity": station.capacity,
        "contact_name": station.contact_name,
        "contact_phone": station.contact_phone,
    }
    form = StationForm(None, scope=request.scope, station=station, initial=initial)
    status_form = StatusForm(None, initial={"status": station.status, "note": station.note})
    photo_error = ""
    what = request.POST.get("form", "")
    if request.method == "POST":
        try:
            if what == "status":
                status_form = StatusForm(request.POST)
                if status_form.is_valid():
                    actions.set_station_status(
                        actor=request.user, station=station, scope=request.scope, **status_form.cleaned_data
                    )
                    return redirect("stations:edit", station.code)
            elif what == "photos":
                actions.add_station_photos(
                    actor=request.user, station=station, photos=request.FILES.getlist("photos"), scope=request.scope
                )
                return redirect("stations:edit", station.code)
            else:
                form = StationForm(request.POST, scope=request.scope, station=station)
                if form.is_valid():
                    actions.update_station(
                        actor=request.user, station=station, scope=request.scope, **form.cleaned_data
                    )
                    messages.success(request, _("Station %(code)s saved.") % {"code": station.code})
                    return redirect("stations:detail", station.code)
        except DomainError as exc:
            if what == "photos":
                photo_error = exc.message
            elif what == "status":
                show_error(status_form, exc)
            else:
                show_error(form, exc)
    failed = request.method == "POST"
    return render(
        request,
        "stations/edit.html",
        {
            "station": station,
            "form": form,
            "status_form": status_form,
            "photo_error": photo_error,
            "photos": list(station.photos.all()),
        },
        status=400 if failed else 200,
    )


def _offer_page(request: ScopedRequest, offer: MealOffer | None) -> HttpResponse:
    require(request.scope, "stations.manage")
    initial: dict[str, Any] = {}
    if offer is not None:
        require_at(request.scope, "stations.manage", offer, offer.merchant.grid.path)
        initial = {
            "title": offer.title,
            "price": offer.price,
            "discount": offer.discount,
            "hours_text": offer.hours_text,
            "valid_from": offer.valid_from,
            "valid_until": offer.valid_until,
            "active": offer.active,
        }
    else:
        initial = {"valid_from": timezone.localdate()}
    form = MealOfferForm(request.POST or None, scope=request.scope, editing=offer is not None, initial=initial)

    def save(data: dict[str, Any]) -> Any:
        if offer is None:
            return actions.create_meal_offer(actor=request.user, scope=request.scope, **data)
        return actions.update_meal_offer(actor=request.user, offer=offer, scope=request.scope, **data)

    return _save_page(request, form, save, _("Rider meal offer") if offer else _("New rider meal offer"))


@login_required
def new_offer(request: ScopedRequest) -> HttpResponse:
    return _offer_page(request, None)


@login_required
def edit_offer(request: ScopedRequest, offer_id: int) -> HttpResponse:
    offer = get_in_scope_or_404(MealOffer.objects.select_related("merchant__grid"), request.scope, pk=offer_id)
    return _offer_page(request, offer)


def _parking_page(request: ScopedRequest, point: ParkingPoint | None) -> HttpResponse:
    require(request.scope, "stations.manage")
    initial: dict[str, Any] = {}
    if point is not None:
        require_at(request.scope, "stations.manage", point, point.grid.path)
        initial = {
            "name": point.name,
            "lng": point.lng,
            "lat": point.lat,
            "capacity": point.capacity,
            "note": point.note,
        }
    form = ParkingForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> Any:
        if point is None:
            return actions.create_parking_point(actor=request.user, scope=request.scope, **data)
        return actions.update_parking_point(actor=request.user, point=point, scope=request.scope, **data)

    return _save_page(request, form, save, _("Parking point") if point else _("New parking point"))


@login_required
def new_parking(request: ScopedRequest) -> HttpResponse:
    return _parking_page(request, None)


@login_required
def edit_parking(request: ScopedRequest, point_id: int) -> HttpResponse:
    point = get_in_scope_or_404(ParkingPoint.objects.select_related("grid"), request.scope, pk=point_id)
    return _parking_page(request, point)


def _channel_page(request: ScopedRequest, channel: GreenChannel | None) -> HttpResponse:
    require(request.scope, "stations.manage")
    initial: dict[str, Any] = {}
    if channel is not None:
        require_at(request.scope, "stations.manage", channel, channel.compound.grid.path)
        initial = {
            "gate": channel.gate,
            "route": channel.route,
            "hours_text": channel.hours_text,
            "rules": channel.rules,
            "contact": channel.contact,
        }
    form = ChannelForm(request.POST or None, scope=request.scope, editing=channel is not None, initial=initial)

    def save(data: dict[str, Any]) -> Any:
        if channel is None:
            return actions.create_green_channel(actor=request.user, scope=request.scope, **data)
        return actions.update_green_channel(actor=request.user, channel=channel, scope=request.scope, **data)

    title = _("Green delivery channel") if channel else _("New green delivery channel")
    return _save_page(request, form, save, title)


@login_required
def new_channel(request: ScopedRequest) -> HttpResponse:
    return _channel_page(request, None)


@login_required
def edit_channel(request: ScopedRequest, channel_id: int) -> HttpResponse:
    channel = get_in_scope_or_404(GreenChannel.objects.select_related("compound__grid"), request.scope, pk=channel_id)
    return _channel_page(request, channel)
