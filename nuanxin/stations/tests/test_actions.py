from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from nuanxin.accounts.scope import scope_of
from nuanxin.cases.models import Case
from nuanxin.core.coords import route_links
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.stations import actions
from nuanxin.stations.directions import walking
from nuanxin.stations.models import GreenChannel, MealOffer, ParkingPoint, Station, StationCheckIn
from nuanxin.stations.queries import nearest_stations
from nuanxin.stations.tests.conftest import Stations, make_station
from nuanxin.territory.models import Place
from nuanxin.testing import SYSTEM_SCOPE, World

pytestmark = pytest.mark.django_db


def refused(field: str | None, call: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as exc:
        call(**kwargs)
    assert exc.value.field == field, exc.value.as_dict()
    return exc.value


def station_kwargs(place: Place, **extra: Any) -> dict[str, Any]:
    return {
        "actor": None,
        "scope": SYSTEM_SCOPE,
        "place": place,
        "code": "YXQ-02",
        "opening_hours_text": "09:00-22:00",
        "amenities": [],
    } | extra


def test_create_station_parses_hours_and_orders_amenities(stations: Stations) -> None:
    station = actions.create_station(
        **station_kwargs(stations.bare, opening_hours_text="08:30-12:00，14:00-21:00", amenities=["toilet", "wifi"])
    )
    assert station.opening_hours == [["08:30", "12:00"], ["14:00", "21:00"]]
    assert station.amenities == ["wifi", "toilet"]
    assert AuditEntry.objects.filter(action="stations.station_created").count() == 2


def test_bad_station_input_names_the_field_and_writes_nothing(world: World, stations: Stations) -> None:
    before = Station.objects.count()
    refused("place", actions.create_station, **station_kwargs(world.compound1))  # not a station place
    refused("place", actions.create_station, **station_kwargs(world.station))  # already has a record
    refused("opening_hours", actions.create_station, **station_kwargs(stations.bare, opening_hours_text="早上九点"))
    refused("amenities", actions.create_station, **station_kwargs(stations.bare, amenities=["sauna"]))
    refused("code", actions.create_station, **station_kwargs(stations.bare, code="yxq-01"))  # taken, any case
    refused("code", actions.create_station, **station_kwargs(stations.bare, code="有 空格"))
    refused("contact_phone", actions.create_station, **station_kwargs(stations.bare, contact_phone="call me"))
    refused("host", actions.create_station, **station_kwargs(stations.bare, host=world.station))
    assert Station.objects.count() == before


def test_place_without_coordinates_is_refused(stations: Stations) -> None:
    Place.objects.filter(pk=stations.bare.pk).update(lng=0, lat=0)
    stations.bare.refresh_from_db()
    error = refused("place", actions.create_station, **station_kwargs(stations.bare))
    assert "coordinates" in error.message or error.message


def test_manage_is_needed_where_the_place_is(world: World, stations: Stations) -> None:
    refused("place", actions.create_station, **station_kwargs(stations.bare, scope=scope_of(world.grid1_worker)))
    refused("place", actions.create_station, **station_kwargs(stations.bare, scope=scope_of(world.other_admin)))
    station = actions.create_station(**station_kwargs(stations.bare, scope=scope_of(world.community_staff)))
    assert station.code == "YXQ-02"
    with pytest.raises(DomainError) as exc:
        actions.set_station_status(
            actor=world.grid1_worker, station=station, status="closed", scope=scope_of(world.grid1_worker)
        )
    assert exc.value.code == "forbidden"


def test_update_and_status(world: World, stations: Stations) -> None:
    station = actions.update_station(
        actor=world.community_admin,
        scope=SYSTEM_SCOPE,
        station=stations.station,
        opening_hours_text="24小时",
        amenities=["first_aid"],
    )
    assert station.opening_hours == [["00:00", "24:00"]] and station.amenities == ["first_aid"]
    refused(
        "opening_hours", actions.update_station, actor=None, scope=SYSTEM_SCOPE, station=station, opening_hours_text="x"
    )
    actions.set_station_status(actor=None, scope=SYSTEM_SCOPE, station=station, status="closed", note="维修中")
    station.refresh_from_db()
    assert station.status == "closed" and station.note == "维修中" and station.amenities == ["first_aid"]
    refused("status", actions.set_station_status, actor=None, scope=SYSTEM_SCOPE, station=station, status="gone")


def test_check_in_once_per_half_hour(world: World, stations: Stations) -> None:
    now = timezone.now()
    first, created = actions.check_in(actor=world.rider, station=stations.station, now=now)
    assert created
    again, created = actions.check_in(actor=world.rider, station=stations.station, now=now + timedelta(minutes=29))
    assert not created and again.pk == first.pk
    _later, created = actions.check_in(actor=world.rider, station=stations.station, now=now + timedelta(minutes=31))
    assert created
    assert StationCheckIn.objects.filter(user=world.rider).count() == 2


def test_feedback_becomes_a_case_at_the_station_for_its_host(world: World, stations: Stations) -> None:
    case = actions.give_feedback(actor=world.rider, station=stations.station, message="微波炉坏了")
    assert isinstance(case, Case)
    assert case.place_id == world.station.pk and case.grid_id == world.grid2.pk
    assert case.case_class.code == "damaged-facility" and case.channel == "phone_page"
    assert "微波炉坏了" in case.description and "YXQ-01" in case.description
    assert stations.host.name in case.address
    assert case.reporter_id == world.rider.pk
    refused("message", actions.give_feedback, actor=world.rider, station=stations.station, message="  ")
    refused("message", actions.give_feedback, actor=world.rider, station=stations.station, message="<script>x</script>")
    assert Case.objects.count() == 1


def test_meal_offer_checks(world: World, stations: Stations) -> None:
    kwargs = {
        "actor": None,
        "scope": SYSTEM_SCOPE,
        "merchant": stations.merchant,
        "title": "骑手套餐",
        "hours_text": "11:00-14:00,17:00-20:00",
        "valid_from": date(2024, 1, 1),
        "price": "15.00",
    }
    offer = actions.create_meal_offer(**kwargs)
    assert offer.hours == [["11:00", "14:00"], ["17:00", "20:00"]]
    refused("merchant", actions.create_meal_offer, **(kwargs | {"merchant": world.compound1}))
    refused("price", actions.create_meal_offer, **(kwargs | {"price": None}))
    refused("price", actions.create_meal_offer, **(kwargs | {"price": "abc"}))
    refused("hours", actions.create_meal_offer, **(kwargs | {"hours_text": "lunch"}))
    refused("valid_until", actions.create_meal_offer, **(kwargs | {"valid_until": date(2023, 12, 31)}))
    refused("merchant", actions.create_meal_offer, **(kwargs | {"scope": scope_of(world.grid1_worker)}))
    assert MealOffer.objects.count() == 1
    actions.update_meal_offer(actor=None, scope=SYSTEM_SCOPE, offer=offer, discount="八折", price=None)
    offer.refresh_from_db()
    assert offer.price is None and offer.discount == "八折"


def test_parking_point_lies_in_a_grid(world: World, stations: Stations) -> None:
    point = actions.create_parking_point(
        actor=None, scope=SYSTEM_SCOPE, name="临时停靠点", lng=102.7005, lat=24.9805, capacity=10
    )
    assert point.grid_id == world.grid1.pk
    refused(
        "location",
        actions.create_parking_point,
        actor=None,
        scope=SYSTEM_SCOPE,
        name="远",
        lng=100.0,
        lat=20.0,
        capacity=3,
    )
    refused(
        "capacity",
        actions.create_parking_point,
        actor=None,
        scope=SYSTEM_SCOPE,
        name="x",
        lng=102.7005,
        lat=24.9805,
        capacity=None,
    )
    refused(
        "location",
        actions.create_parking_point,
        actor=None,
        name="x",
        lng=102.7005,
        lat=24.9805,
        capacity=3,
        scope=scope_of(world.other_admin),
    )
    assert ParkingPoint.objects.count() == 1


def test_green_channel_checks(world: World, stations: Stations) -> None:
    kwargs = {
        "actor": None,
        "scope": SYSTEM_SCOPE,
        "compound": world.compound1,
        "gate": "东门",
        "route": "东门进，沿主路到各楼",
        "hours_text": "24h",
    }
    channel = actions.create_green_channel(**kwargs)
    assert channel.hours == [["00:00", "24:00"]]
    refused("compound", actions.create_green_channel, **(kwargs | {"compound": stations.merchant}))
    refused("gate", actions.create_green_channel, **(kwargs | {"gate": ""}))
    refused("hours", actions.create_green_channel, **(kwargs | {"hours_text": "白天"}))
    assert GreenChannel.objects.count() == 1


def test_nearest_orders_by_distance_with_walking_figures(world: World, stations: Stations) -> None:
    far = make_station(world, "远驿站", 102.7015, 24.9818, "YXQ-09")
    near = make_station(world, "近驿站", 102.7001, 24.9801, "YXQ-08")
    rows = nearest_stations(102.7000, 24.9800, limit=2)
    assert [r.obj.pk for r in rows] == [near.pk, far.pk]
    assert rows[0].distance_m is not None and rows[0].distance_m < rows[1].distance_m  # type: ignore[operator]
    assert rows[0].walking_m == round(rows[0].distance_m * 1.3)  # type: ignore[operator]
    assert set(rows[0].links) == {"amap", "baidu", "tencent"}
    # All three when asked for more than the box first holds: the box widens.
    assert len(nearest_stations(102.7000, 24.9800, limit=10)) == 3


def test_closed_station_is_listed_but_not_open(world: World, stations: Stations) -> None:
    actions.set_station_status(actor=None, scope=SYSTEM_SCOPE, station=stations.station, status="closed")
    rows = nearest_stations(102.7035, 24.9815, limit=1)
    assert rows[0].obj.pk == stations.station.pk and rows[0].open_now is False


def test_nearest_is_exact_beyond_the_box_corner(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # With a 150 m first box, A sits in its corner (187 m away) and B just outside its east
    # side (162 m): the box finds A alone, and widening to A's distance finds B, nearer.
    from nuanxin.stations import queries

    monkeypatch.setattr(queries, "FIRST_RADIUS_M", 150)
    make_station(world, "A", 102.7013, 24.9812, "A-1")
    make_station(world, "B", 102.7016, 24.9801, "B-1")
    rows = nearest_stations(102.7000, 24.9800, limit=1)
    assert [r.name for r in rows] == ["B"]


def test_walking_and_links() -> None:
    assert walking(800) == (1040, 13)
    links = route_links("温新驿站", 102.7035, 24.9815, from_lng=102.70, from_lat=24.98)
    assert links["amap"].startswith("https://uri.amap.com/navigation?")
    assert "mode=walk" in links["amap"] and "coordinate=gaode" in links["amap"]
    assert (
        "mode=walking" in links["baidu"] and "coord_type=bd09ll" in links["baidu"] and "output=html" in links["baidu"]
    )
    assert "type=walk" in links["tencent"] and "tocoord=" in links["tencent"] and "referer=" in links["tencent"]
    # Amap takes lng,lat in GCJ-02; Tencent lat,lng in GCJ-02; Baidu lat,lng in BD-09.
    from urllib.parse import parse_qs, urlsplit

    amap = parse_qs(urlsplit(links["amap"]).query)
    tencent = parse_qs(urlsplit(links["tencent"]).query)
    glng, glat = (float(x) for x in amap["to"][0].split(",")[:2])
    tlat, tlng = (float(x) for x in tencent["tocoord"][0].split(","))
    assert (glng, glat) == pytest.approx((tlng, tlat))
    assert glng != pytest.approx(102.7035, abs=1e-4)


def test_the_hosts_representatives_follow_the_feedback_case_and_see_it(
    world: World, stations: Stations, client_for: Any
) -> None:
    """A case "for its host": whoever speaks for the host unit sees it and hears how it ends."""
    from nuanxin.accounts import actions as accounts
    from nuanxin.cases.models import CaseFollower

    accounts.grant_role(actor=world.system_admin, user=world.partner, role="partner_rep", unit=stations.host)
    case = actions.give_feedback(actor=world.rider, station=stations.station, message="热水器不热了")
    follower = CaseFollower.objects.get(case=case, user=world.partner)
    assert follower.why == "host"
    assert Case.objects.visible_to(scope_of(world.partner)).filter(pk=case.pk).exists()
    assert client_for("partner").get(f"/cases/{case.pk}/").status_code == 200
    # Someone who speaks for another unit does not.
    assert not CaseFollower.objects.filter(case=case, user=world.other_admin).exists()
