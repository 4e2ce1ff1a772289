from datetime import date
from typing import Any

import pytest

from nuanxin.cases.models import Case
from nuanxin.stations import actions
from nuanxin.stations.models import GreenChannel, MealOffer, ParkingPoint, Station, StationCheckIn
from nuanxin.stations.tests.conftest import Stations
from nuanxin.testing import SYSTEM_SCOPE, World

pytestmark = pytest.mark.django_db
API = "/api/v1/stations"


def test_list_and_detail_for_any_signed_in_person(stations: Stations, client_for: Any) -> None:
    client = client_for("resident")
    rows = client.get(f"{API}/").json()
    assert [r["code"] for r in rows] == ["YXQ-01"]
    assert rows[0]["amenities"] == ["hot_water", "wifi", "microwave"] and rows[0]["open_now"] is True
    detail = client.get(f"{API}/yxq-01").json()
    assert detail["host_name"] == "二号院"
    assert client.get(f"{API}/NOPE").status_code == 404


def test_anonymous_visitor_reads_stations_and_services(world: World, stations: Stations, client: Any) -> None:
    actions.create_parking_point(actor=None, scope=SYSTEM_SCOPE, name="停靠点", lng=102.7005, lat=24.9805, capacity=8)
    assert [r["code"] for r in client.get(f"{API}/").json()] == ["YXQ-01"]
    assert [r["code"] for r in client.get(f"{API}/nearest", {"lng": 102.7, "lat": 24.98}).json()] == ["YXQ-01"]
    assert client.get(f"{API}/yxq-01").json()["host_name"] == "二号院"
    assert client.get(f"{API}/NOPE").status_code == 404
    assert [p["capacity"] for p in client.get(f"{API}/parking-points").json()] == [8]
    assert client.get(f"{API}/meal-offers").status_code == 200
    assert client.get(f"{API}/green-channels").status_code == 200


def test_anonymous_visitor_writes_nothing(stations: Stations, client: Any) -> None:
    assert client.post(f"{API}/YXQ-01/checkin").status_code == 401
    assert client.post(f"{API}/YXQ-01/feedback", {"message": "冷"}, content_type="application/json").status_code == 401
    response = client.patch(f"{API}/YXQ-01", {"capacity": 1}, content_type="application/json")
    assert response.status_code == 401
    response = client.post(f"{API}/YXQ-01/status", {"status": "closed"}, content_type="application/json")
    assert response.status_code == 401
    assert StationCheckIn.objects.count() == 0 and Station.objects.get(code="YXQ-01").status == "open"


def test_a_bad_bearer_token_on_a_read_is_401(stations: Stations, client: Any) -> None:
    response = client.get(f"{API}/", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


def test_nearest_with_walking_and_links(world: World, stations: Stations, client_for: Any) -> None:
    actions.create_station(
        actor=None, scope=SYSTEM_SCOPE, place=stations.bare, code="YXQ-02", opening_hours_text="24h", amenities=[]
    )
    rows = client_for("rider").get(f"{API}/nearest", {"lng": 102.7008, "lat": 24.9808, "limit": 2}).json()
    assert [r["code"] for r in rows] == ["YXQ-02", "YXQ-01"]
    assert rows[0]["distance_m"] == 0 and rows[1]["walking_minutes"] >= 1
    assert set(rows[0]["links"]) == {"amap", "baidu", "tencent"}


def test_nearest_bad_input_names_the_field(stations: Stations, client_for: Any) -> None:
    response = client_for("rider").get(f"{API}/nearest", {"lng": 200, "lat": 24.98})
    assert response.status_code == 422 and response.json()["field"] == "lng"
    response = client_for("rider").get(f"{API}/nearest", {"lat": 24.98})
    assert response.status_code == 422 and response.json()["field"] == "lng"


def test_checkin_201_then_200(world: World, stations: Stations, client_for: Any) -> None:
    client = client_for("rider")
    first = client.post(f"{API}/YXQ-01/checkin")
    second = client.post(f"{API}/YXQ-01/checkin")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert StationCheckIn.objects.count() == 1


def test_feedback_creates_a_case(world: World, stations: Stations, client_for: Any) -> None:
    response = client_for("rider").post(
        f"{API}/YXQ-01/feedback", {"message": "没有热水"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert Case.objects.get(pk=response.json()["case_id"]).place_id == world.station.pk
    bad = client_for("rider").post(f"{API}/YXQ-01/feedback", {"message": " "}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "message"
    assert Case.objects.count() == 1


def test_create_station_allowed_and_denied(world: World, stations: Stations, client_for: Any) -> None:
    body = {"place_id": stations.bare.pk, "code": "YXQ-02", "opening_hours_text": "09:00-21:00", "amenities": ["wifi"]}
    assert client_for("rider").post(f"{API}/", body, content_type="application/json").status_code == 404
    assert client_for("grid1_worker").post(f"{API}/", body, content_type="application/json").status_code == 404
    other = client_for("other_admin").post(f"{API}/", body, content_type="application/json")
    assert other.status_code == 400 and other.json()["field"] == "place_id"
    bad = client_for("community_admin").post(
        f"{API}/", body | {"opening_hours_text": "随时"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["field"] == "opening_hours"
    bad = client_for("community_admin").post(f"{API}/", body | {"amenities": ["spa"]}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "amenities"
    assert not Station.objects.filter(code="YXQ-02").exists()
    ok = client_for("community_admin").post(f"{API}/", body, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["code"] == "YXQ-02"


def test_patch_and_status(world: World, stations: Stations, client_for: Any) -> None:
    admin = client_for("community_admin")
    response = admin.patch(f"{API}/YXQ-01", {"amenities": ["toilet"]}, content_type="application/json")
    assert response.status_code == 200 and response.json()["amenities"] == ["toilet"]
    response = admin.post(f"{API}/YXQ-01/status", {"status": "closed", "note": "停电"}, content_type="application/json")
    assert response.json()["status"] == "closed" and response.json()["open_now"] is False
    other = client_for("other_admin")
    denied = other.patch(f"{API}/YXQ-01", {"amenities": []}, content_type="application/json")
    assert denied.status_code == 404  # another community's station: out of scope for writing
    denied = other.post(f"{API}/YXQ-01/status", {"status": "open"}, content_type="application/json")
    assert denied.status_code == 404
    assert (
        client_for("rider").patch(f"{API}/YXQ-01", {"amenities": []}, content_type="application/json").status_code
        == 404
    )
    assert Station.objects.get(code="YXQ-01").amenities == ["toilet"]
    assert Station.objects.get(code="YXQ-01").status == "closed"


def test_services_read_and_write(world: World, stations: Stations, client_for: Any) -> None:
    staff = client_for("community_staff")
    offer = staff.post(
        f"{API}/meal-offers",
        {
            "merchant_id": stations.merchant.pk,
            "title": "骑手套餐",
            "price": "12.00",
            "hours_text": "24h",
            "valid_from": "2024-01-01",
        },
        content_type="application/json",
    )
    assert offer.status_code == 201, offer.json()
    bad = staff.post(
        f"{API}/meal-offers",
        {"merchant_id": stations.merchant.pk, "title": "x", "hours_text": "24h", "valid_from": "2024-01-01"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "price"
    parking = staff.post(
        f"{API}/parking-points",
        {"name": "停靠点", "lng": 102.7005, "lat": 24.9805, "capacity": 8},
        content_type="application/json",
    )
    assert parking.status_code == 201 and parking.json()["grid_id"] == world.grid1.pk
    channel = staff.post(
        f"{API}/green-channels",
        {"compound_id": world.compound1.pk, "gate": "北门", "route": "北门直行", "hours_text": "07:00-23:00"},
        content_type="application/json",
    )
    assert channel.status_code == 201
    rider = client_for("rider")
    assert [o["title"] for o in rider.get(f"{API}/meal-offers", {"lng": 102.7, "lat": 24.98}).json()] == ["骑手套餐"]
    assert rider.get(f"{API}/parking-points").json()[0]["capacity"] == 8
    assert rider.get(f"{API}/green-channels").json()[0]["gate"] == "北门"
    assert (
        rider.post(
            f"{API}/parking-points",
            {"name": "x", "lng": 102.7005, "lat": 24.9805, "capacity": 1},
            content_type="application/json",
        ).status_code
        == 404
    )
    patched = staff.patch(
        f"{API}/parking-points/{parking.json()['id']}", {"capacity": 3}, content_type="application/json"
    )
    assert patched.json()["capacity"] == 3
    assert MealOffer.objects.count() == 1 and ParkingPoint.objects.count() == 1 and GreenChannel.objects.count() == 1


def test_services_of_another_community_are_404_to_write(world: World, stations: Stations, client_for: Any) -> None:
    offer = actions.create_meal_offer(
        actor=None,
        scope=SYSTEM_SCOPE,
        merchant=stations.merchant,
        title="骑手套餐",
        price="12.00",
        hours_text="24h",
        valid_from=date(2024, 1, 1),
    )
    point = actions.create_parking_point(
        actor=None, scope=SYSTEM_SCOPE, name="停靠点", lng=102.7005, lat=24.9805, capacity=8
    )
    channel = actions.create_green_channel(
        actor=None,
        scope=SYSTEM_SCOPE,
        compound=world.compound1,
        gate="北门",
        route="北门直行",
        hours_text="07:00-23:00",
    )
    other, staff = client_for("other_admin"), client_for("community_staff")
    for url, body in (
        (f"{API}/meal-offers/{offer.pk}", {"title": "改"}),
        (f"{API}/parking-points/{point.pk}", {"capacity": 1}),
        (f"{API}/green-channels/{channel.pk}", {"gate": "改"}),
    ):
        assert other.patch(url, body, content_type="application/json").status_code == 404
        assert staff.patch(url, body, content_type="application/json").status_code == 200
    offer.refresh_from_db(), point.refresh_from_db(), channel.refresh_from_db()
    assert (offer.title, point.capacity, channel.gate) == ("改", 1, "改")
