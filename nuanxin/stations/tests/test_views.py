from typing import Any

import pytest
from django.urls import reverse

from nuanxin.cases.models import Case
from nuanxin.stations import actions
from nuanxin.stations.models import MealOffer, ParkingPoint, Station, StationCheckIn
from nuanxin.stations.tests.conftest import Stations
from nuanxin.testing import SYSTEM_SCOPE, World, photo_upload

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["stations:map", "stations:near", "stations:meals", "stations:parking", "stations:channels"]


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_for_a_rider(stations: Stations, client_for: Any, name: str) -> None:
    response = client_for("rider").get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_open_without_signing_in(stations: Stations, client: Any, name: str) -> None:
    """A rider looks for a station before having an account."""
    response = client.get(reverse(name))
    assert response.status_code == 200


def test_a_visitor_sees_the_station_and_is_asked_to_sign_in_to_act(stations: Stations, client: Any) -> None:
    page = client.get(reverse("stations:detail", args=["YXQ-01"]))
    assert page.status_code == 200
    body = page.content.decode()
    assert reverse("stations:checkin", args=["YXQ-01"]) not in body  # no check-in form
    assert reverse("accounts:login") in body and reverse("volunteers:join") in body
    # Staff pages stay closed.
    assert client.get(reverse("stations:use", args=["YXQ-01"])).status_code == 302
    assert client.get(reverse("stations:manage")).status_code == 302


def test_near_sorts_by_distance_and_links_routes(world: World, stations: Stations, client_for: Any) -> None:
    actions.create_station(
        actor=None,
        scope=SYSTEM_SCOPE,
        place=stations.bare,
        code="YXQ-02",
        opening_hours_text="09:00-10:00",
        amenities=["toilet"],
    )
    response = client_for("rider").get(reverse("stations:near"), {"lng": "102.7008", "lat": "24.9808"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index('data-station="YXQ-02"') < body.index('data-station="YXQ-01"')
    assert "uri.amap.com/navigation" in body and "api.map.baidu.com/direction" in body
    assert "apis.map.qq.com/uri/v1/routeplan" in body
    assert 'data-amenity="microwave"' in body


def test_near_with_a_bad_location_says_so(stations: Stations, client_for: Any) -> None:
    response = client_for("rider").get(reverse("stations:near"), {"lng": "abc", "lat": "24.98"})
    assert response.status_code == 400
    assert 'data-error="location"' in response.content.decode()


def test_near_query_count_is_flat(
    world: World, stations: Stations, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    from nuanxin.stations.tests.conftest import make_station

    for i in range(8):
        make_station(world, f"驿站{i}", 102.7002 + 0.0002 * i, 24.9805, f"Q-{i}")
    client = client_for("rider")
    with django_assert_max_num_queries(12):
        client.get(reverse("stations:near"), {"lng": "102.7008", "lat": "24.9808"})
    with django_assert_max_num_queries(12):
        client.get(reverse("stations:map"))


def test_station_page_and_unknown_code(stations: Stations, client_for: Any) -> None:
    client = client_for("resident")
    response = client.get(reverse("stations:detail", args=["yxq-01"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("stations:report", args=["YXQ-01"]) in body
    assert reverse("stations:edit", args=["YXQ-01"]) not in body  # not for a resident
    assert client.get(reverse("stations:detail", args=["NOPE"])).status_code == 404


def test_checkin_by_post_once_per_half_hour(world: World, stations: Stations, client_for: Any) -> None:
    client = client_for("rider")
    url = reverse("stations:checkin", args=["YXQ-01"])
    assert client.get(url).status_code == 200
    assert StationCheckIn.objects.count() == 0  # a GET never counts
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    assert StationCheckIn.objects.filter(user=world.rider).count() == 1


def test_checkin_needs_sign_in(stations: Stations, client: Any) -> None:
    response = client.post(reverse("stations:checkin", args=["YXQ-01"]))
    assert response.status_code == 302 and "login" in response["Location"]
    assert StationCheckIn.objects.count() == 0


def test_feedback_form_makes_a_case(world: World, stations: Stations, client_for: Any) -> None:
    response = client_for("rider").post(reverse("stations:feedback", args=["YXQ-01"]), {"message": "微波炉坏了"})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.place_id == world.station.pk and "微波炉坏了" in case.description


def test_empty_feedback_is_refused_at_the_field(stations: Stations, client_for: Any) -> None:
    response = client_for("rider").post(reverse("stations:feedback", args=["YXQ-01"]), {"message": ""})
    assert response.status_code == 400
    assert response.context["feedback"].errors["message"]
    assert Case.objects.count() == 0


def test_report_from_a_station_in_two_taps(world: World, stations: Stations, client_for: Any) -> None:
    client = client_for("rider")
    page = client.get(reverse("stations:report", args=["YXQ-01"]))
    assert page.status_code == 200
    response = client.post(
        reverse("stations:report", args=["YXQ-01"]),
        {"case_class": "blocked-fire-exit", "description": "消防通道被电动车堵住", "lng": "0", "lat": "0"},
    )
    assert response.status_code == 400  # the class asks what blocks it
    assert Case.objects.count() == 0
    assert response.context["form"].questions.has_errors
    from nuanxin.cases.models import CaseClass

    free = CaseClass.objects.filter(active=True, questions=[]).exclude(emergency=True).first()
    assert free is not None
    response = client.post(
        reverse("stations:report", args=["YXQ-01"]), {"case_class": free.code, "description": "楼道堆满杂物"}
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.place_id == world.station.pk and (case.lng, case.lat) == (world.station.lng, world.station.lat)


def test_use_page_for_staff_only(world: World, stations: Stations, client_for: Any) -> None:
    actions.check_in(actor=world.rider, station=stations.station)
    url = reverse("stations:use", args=["YXQ-01"])
    response = client_for("grid1_worker").get(url)
    assert response.status_code == 200 and response.context["figures"]["total"] == 1
    assert client_for("rider").get(url).status_code == 404


def test_manage_pages_allowed_and_denied(world: World, stations: Stations, client_for: Any) -> None:
    for name, args in [
        ("stations:manage", []),
        ("stations:new", []),
        ("stations:edit", ["YXQ-01"]),
        ("stations:qr", ["YXQ-01"]),
    ]:
        assert client_for("community_staff").get(reverse(name, args=args)).status_code == 200, name
        assert client_for("grid1_worker").get(reverse(name, args=args)).status_code == 404, name
        assert client_for("rider").get(reverse(name, args=args)).status_code == 404, name
    # Another community's admin keeps stations there, not here.
    assert client_for("other_admin").get(reverse("stations:edit", args=["YXQ-01"])).status_code == 404


def test_new_station_form_shows_bad_hours_at_the_field(world: World, stations: Stations, client_for: Any) -> None:
    client = client_for("community_admin")
    data = {"place": stations.bare.pk, "code": "YXQ-02", "opening_hours_text": "白天", "amenities": ["wifi"]}
    response = client.post(reverse("stations:new"), data)
    assert response.status_code == 400 and response.context["form"].errors["opening_hours_text"]
    assert not Station.objects.filter(code="YXQ-02").exists()
    response = client.post(reverse("stations:new"), data | {"opening_hours_text": "24小时"})
    assert response.status_code == 302
    assert Station.objects.get(code="YXQ-02").amenities == ["wifi"]


def test_edit_station_status_and_photos(world: World, stations: Stations, client_for: Any) -> None:
    client = client_for("community_admin")
    url = reverse("stations:edit", args=["YXQ-01"])
    assert client.post(url, {"form": "status", "status": "closed", "note": "装修"}).status_code == 302
    assert Station.objects.get(code="YXQ-01").status == "closed"
    assert client.post(url, {"form": "photos", "photos": [photo_upload()]}).status_code == 302
    photo = stations.station.photos.get()
    assert client_for("rider").get(reverse("stations:photo", args=["YXQ-01", photo.pk])).status_code == 200
    response = client.post(url, {"form": "station", "opening_hours_text": "nope", "amenities": []})
    assert response.status_code == 400 and response.context["form"].errors["opening_hours_text"]


def test_offer_parking_and_channel_forms(world: World, stations: Stations, client_for: Any) -> None:
    client = client_for("community_staff")
    response = client.post(
        reverse("stations:offer_new"),
        {
            "merchant": stations.merchant.pk,
            "title": "骑手餐",
            "price": "",
            "discount": "",
            "hours_text": "11:00-14:00",
            "valid_from": "2024-01-01",
        },
    )
    assert response.status_code == 400 and response.context["form"].errors["price"]
    assert MealOffer.objects.count() == 0
    response = client.post(
        reverse("stations:parking_new"), {"name": "外面", "lng": "100", "lat": "20", "capacity": "5"}
    )
    assert response.status_code == 400 and response.context["form"].errors["lng"]
    response = client.post(
        reverse("stations:parking_new"), {"name": "停靠点", "lng": "102.7005", "lat": "24.9805", "capacity": "5"}
    )
    assert response.status_code == 302 and ParkingPoint.objects.count() == 1
    response = client.post(
        reverse("stations:channel_new"),
        {"compound": world.compound1.pk, "gate": "东门", "route": "东门进", "hours_text": "24h"},
    )
    assert response.status_code == 302
    assert client_for("grid1_worker").get(reverse("stations:parking_new")).status_code == 404


def test_report_a_blocked_fire_exit_from_a_station_with_its_answer(
    world: World, stations: Stations, client_for: Any
) -> None:
    url = reverse("stations:report", args=["YXQ-01"])
    client = client_for("rider")
    page = client.get(url).content.decode()
    assert 'data-class="blocked-fire-exit"' in page and 'name="attribute[what]"' in page
    assert "nuanxin/questions.js" in page
    data = {"case_class": "blocked-fire-exit", "description": "消防通道被电动车堵住", "attribute[when]": "night"}
    response = client.post(url, data | {"attribute[what]": "vehicle"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.case_class.code, case.answers, case.place_id) == (
        "blocked-fire-exit",
        {"what": "vehicle"},  # the noise question's answer is not this class's: ignored
        world.station.pk,
    )


def test_station_report_without_the_answer_shows_it_at_the_question(stations: Stations, client_for: Any) -> None:
    url = reverse("stations:report", args=["YXQ-01"])
    response = client_for("rider").post(url, {"case_class": "blocked-fire-exit", "description": "消防通道被堵"})
    assert response.status_code == 400 and Case.objects.count() == 0
    form = response.context["form"]
    assert "description" not in form.errors and not form.non_field_errors()
    page = response.content.decode()
    group = page[page.index('data-class="blocked-fire-exit"') :]
    assert group.index('class="field-error"') < group.index("</fieldset>")


def test_station_report_is_denied_out_of_reach(stations: Stations, client: Any, client_for: Any) -> None:
    url = reverse("stations:report", args=["YXQ-01"])
    data = {"case_class": "blocked-fire-exit", "description": "消防通道被堵", "attribute[what]": "goods"}
    response = client.post(url, data)
    assert response.status_code == 302 and "login" in response["Location"]
    assert client_for("rider").post(reverse("stations:report", args=["NOPE-99"]), data).status_code == 404
    assert Case.objects.count() == 0
