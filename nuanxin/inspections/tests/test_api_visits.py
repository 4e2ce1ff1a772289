"""The API for one visit, its photos and recording, and rectification orders."""

import json
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nuanxin.inspections import actions
from nuanxin.inspections.models import Rectification, Visit, VisitPhoto
from nuanxin.inspections.tests.conftest import Watch
from nuanxin.inspections.tests.test_record import FIRE_CLEAN, FIRE_HAZARD, FOOD_CLEAN, due
from nuanxin.testing import SYSTEM_SCOPE, World, image_bytes

API = "/api/v1/inspections"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def post_json(client: Any, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def test_a_visit_with_its_checklist(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    response = client_for("grid1_worker").get(f"{API}/visits/{visit.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "小面馆" and body["state"] == "due" and body["kind"] == "routine"
    assert [i["code"] for i in body["items"]][:2] == ["licence_shown", "health_certificates"]


def test_a_resident_visit_gives_the_masked_name(client_for: Any, watch: Watch) -> None:
    body = client_for("grid1_worker").get(f"{API}/visits/{due(watch.special_target).pk}").json()
    assert body["name"] == "张*" and "张三" not in json.dumps(body, ensure_ascii=False)


def test_hidden_and_out_of_scope_visits_are_404(client_for: Any, watch: Watch) -> None:
    key = due(watch.key_target)
    restaurant = due(watch.restaurant_target)
    worker = client_for("grid1_worker")
    missing = worker.get(f"{API}/visits/999999").json()
    assert worker.get(f"{API}/visits/{key.pk}").json() == missing
    assert post_json(worker, f"{API}/visits/{key.pk}/record", {"answers": {}}).status_code == 404
    assert client_for("grid2_worker").get(f"{API}/visits/{restaurant.pk}").status_code == 404
    assert client_for("stranger").get(f"{API}/visits/{restaurant.pk}").status_code == 404
    assert client_for("grid1_leader").get(f"{API}/visits/{key.pk}").status_code == 200


def test_recording_over_the_api(client_for: Any, watch: Watch) -> None:
    visit = due(watch.hotel_target)
    client = client_for("grid2_worker")
    upload = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
    photos = client.post(f"{API}/visits/{visit.pk}/photos", {"item": "photo", "photos": [upload]})
    assert photos.status_code == 201 and photos.json()[0]["item"] == "photo"
    response = post_json(
        client,
        f"{API}/visits/{visit.pk}/record",
        {"answers": FIRE_HAZARD, "lng": watch.hotel.lng, "lat": watch.hotel.lat, "note": "现场整改中"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "done" and body["checked_in_distance"] == 0 and body["far"] is False
    assert body["answers"]["photo"] == 1 and len(body["photos"]) == 1
    order = Rectification.objects.get(visit=visit)
    assert body["rectification_id"] == order.pk
    again = post_json(client, f"{API}/visits/{visit.pk}/record", {"answers": FIRE_CLEAN})
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"answers": FOOD_CLEAN | {"licence_shown": "yes"}}, "answers.licence_shown"),
        ({"answers": FOOD_CLEAN | {"extra": 1}}, "answers.extra"),
        ({"answers": {}}, "answers.licence_shown"),
        ({"answers": FOOD_CLEAN, "lng": 102.7}, "lat"),
        ({"answers": FOOD_CLEAN, "lng": 500, "lat": 24.9}, "lng"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    client_for: Any, watch: Watch, payload: dict[str, Any], field: str
) -> None:
    visit = due(watch.restaurant_target)
    response = post_json(client_for("grid1_worker"), f"{API}/visits/{visit.pk}/record", payload)
    assert response.status_code == 400 and response.json()["field"] == field
    assert Visit.objects.get(pk=visit.pk).state == "due"


def test_a_malformed_body_is_a_422(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    response = post_json(client_for("grid1_worker"), f"{API}/visits/{visit.pk}/record", {"answers": [1]})
    assert response.status_code == 422 and response.json()["field"].startswith("answers")


def test_recording_a_visit_one_may_see_but_not_record_is_403(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    response = post_json(client_for("street_staff"), f"{API}/visits/{visit.pk}/record", {"answers": FOOD_CLEAN})
    assert response.status_code == 403
    upload = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
    photos = client_for("street_staff").post(f"{API}/visits/{visit.pk}/photos", {"photos": [upload]})
    assert photos.status_code == 403
    assert Visit.objects.get(pk=visit.pk).state == "due" and not VisitPhoto.objects.exists()


def test_a_bad_photo_names_its_item(client_for: Any, watch: Watch) -> None:
    visit = due(watch.hotel_target)
    bad = SimpleUploadedFile("p.jpg", b"not an image", content_type="image/jpeg")
    response = client_for("grid2_worker").post(f"{API}/visits/{visit.pk}/photos", {"item": "photo", "photos": [bad]})
    assert response.status_code == 400 and response.json()["field"] == "answers.photo"
    good = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
    wrong = client_for("grid2_worker").post(f"{API}/visits/{visit.pk}/photos", {"item": "wiring", "photos": [good]})
    assert wrong.status_code == 400 and wrong.json()["field"] == "answers.wiring"
    assert not VisitPhoto.objects.exists()


@pytest.fixture
def orders(world: World, watch: Watch) -> tuple[Rectification, Rectification]:
    actions.record_visit(
        actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=due(watch.hotel_target), answers=FIRE_HAZARD
    )
    actions.record_visit(
        actor=world.grid1_leader,
        scope=SYSTEM_SCOPE,
        visit=due(watch.key_target),
        answers={"met_in_person": False, "stable": True, "address_same": True},
    )
    return Rectification.objects.get(grid=world.grid2), Rectification.objects.get(grid=world.grid1)


def test_orders_list_and_detail(client_for: Any, world: World, orders: Any) -> None:
    hotel, key = orders
    admin = client_for("community_admin")
    listed = admin.get(f"{API}/rectifications").json()
    assert listed["count"] == 2
    only = admin.get(f"{API}/rectifications?grid_id={world.grid2.pk}&state=open").json()
    assert [o["number"] for o in only["items"]] == [hotel.number]
    detail = admin.get(f"{API}/rectifications/{hotel.pk}").json()
    assert detail["responsible_party"] == "快捷旅馆" and len(detail["hazards"]) == 3
    assert len(detail["recheck_ids"]) == 1
    assert admin.get(f"{API}/rectifications?state=nonsense").status_code == 422
    Rectification.objects.filter(pk=hotel.pk).update(deadline=date(2024, 1, 1))  # past, still open
    late = admin.get(f"{API}/rectifications?overdue=true").json()
    assert [o["number"] for o in late["items"]] == [hotel.number]
    refused = admin.get(f"{API}/rectifications?overdue=maybe")
    assert refused.status_code == 422 and "overdue" in refused.content.decode()


def test_key_person_orders_are_invisible_to_a_worker(client_for: Any, orders: Any) -> None:
    _hotel, key = orders
    worker = client_for("grid1_worker")
    assert worker.get(f"{API}/rectifications").json()["count"] == 0
    assert worker.get(f"{API}/rectifications/{key.pk}").json() == worker.get(f"{API}/rectifications/999999").json()
    assert (
        post_json(
            worker, f"{API}/rectifications/{key.pk}/deadline", {"deadline": "2099-01-01", "reason": "x"}
        ).status_code
        == 404
    )
    assert client_for("stranger").get(f"{API}/rectifications").status_code == 404


def test_moving_a_deadline_over_the_api(client_for: Any, orders: Any) -> None:
    hotel, _key = orders
    client = client_for("grid2_worker")
    url = f"{API}/rectifications/{hotel.pk}/deadline"
    past = post_json(client, url, {"deadline": "2020-01-01", "reason": "太早"})
    assert past.status_code == 400 and past.json()["field"] == "deadline"
    assert post_json(client, url, {"deadline": "not a date", "reason": "x"}).status_code == 422
    ok = post_json(client, url, {"deadline": "2099-01-01", "reason": "商户申请延期"})
    assert ok.status_code == 200 and ok.json()["deadline"] == "2099-01-01"
    denied = post_json(client_for("street_staff"), url, {"deadline": "2099-02-01", "reason": "x"})
    assert denied.status_code == 403
    hotel.refresh_from_db()
    assert hotel.deadline.isoformat() == "2099-01-01"


def test_the_visit_list_flags_a_far_check_in(client_for: Any, world: World, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    actions.record_visit(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, visit=visit, answers=FOOD_CLEAN, lng=102.72, lat=24.9805
    )
    rows = client_for("grid1_worker").get(f"{API}/visits?mine=true").json()["items"]
    row = next(r for r in rows if r["id"] == visit.pk)
    assert row["far"] is True and row["checked_in_distance"] > 1000
