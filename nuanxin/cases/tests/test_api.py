"""Cases over the JSON API: intake with Idempotency-Key, scoped lists, steps."""

import json
import uuid

import pytest

from nuanxin.cases.models import Case
from nuanxin.testing import photo_upload

BODY = {"class_code": "sanitation", "description": "垃圾桶满了", "lng": 102.7011, "lat": 24.9811}


def _post(client, url, data, **headers):
    return client.post(url, data=json.dumps(data), content_type="application/json", **headers)


def test_catalogue_lists_categories_and_their_classes(client_for, catalogue):
    body = client_for("rider").get("/api/v1/categories").json()
    assert len(body) == 11
    fire = next(c for c in body if c["code"] == "fire-gas")
    assert {k["code"] for k in fire["classes"]} == {"stove-left-on", "fire-hazard"}


def test_rider_reports_and_a_retry_with_the_same_key_makes_no_second_case(client_for, catalogue):
    client = client_for("rider")
    key = str(uuid.uuid4())
    first = _post(client, "/api/v1/cases", BODY, HTTP_IDEMPOTENCY_KEY=key)
    again = _post(client, "/api/v1/cases", BODY, HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert Case.objects.count() == 1
    assert first.json()["state"] == "reported" and first.json()["grid_id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"class_code": "unicorns"}, "class_code"),
        ({"description": "<b>x</b>"}, "description"),
        ({"lng": 100.0, "lat": 20.0}, "location"),
        ({"lat": "north"}, "lat"),
        ({"reporter_phone": "999"}, "reporter_phone"),
        ({"class_code": "noise"}, "attribute[when]"),
    ],
)
def test_bad_reports_name_the_field_and_write_nothing(client_for, catalogue, change, field):
    response = _post(client_for("rider"), "/api/v1/cases", BODY | change)
    assert response.status_code in (400, 422)
    assert response.json()["field"] == field
    assert Case.objects.count() == 0


def test_reporter_sees_own_case_but_not_others(client_for, world, report):
    own = report("sanitation", by=world.rider)
    other = report("sanitation", by=world.resident)
    client = client_for("rider")
    assert client.get(f"/api/v1/cases/{own.pk}").status_code == 200
    assert client.get(f"/api/v1/cases/{other.pk}").status_code == 404
    assert {c["id"] for c in client.get("/api/v1/cases").json()["items"]} == {own.pk}


def test_staff_lists_are_scoped_by_grid(client_for, world, report):
    in_grid1 = report("sanitation")
    in_grid2 = report("sanitation", lng=102.7031)
    ids = {c["id"] for c in client_for("grid1_worker").get("/api/v1/cases").json()["items"]}
    assert ids == {in_grid1.pk}
    assert client_for("grid1_worker").get(f"/api/v1/cases/{in_grid2.pk}").status_code == 404
    both = {c["id"] for c in client_for("community_admin").get("/api/v1/cases").json()["items"]}
    assert both == {in_grid1.pk, in_grid2.pk}
    assert client_for("other_admin").get("/api/v1/cases").json()["count"] == 0


def test_emergencies_come_first(client_for, world, report):
    report("sanitation")
    urgent = report("stove-left-on")
    report("noise")
    first = client_for("community_admin").get("/api/v1/cases").json()["items"][0]
    assert first["id"] == urgent.pk and first["emergency"] is True


def test_filters(client_for, world, report):
    report("sanitation")
    report("illegal-occupation")
    client = client_for("community_admin")
    assert client.get("/api/v1/cases?level=community").json()["count"] == 1
    assert client.get("/api/v1/cases?class_code=sanitation").json()["count"] == 1
    assert client.get("/api/v1/cases?state=closed").json()["count"] == 0
    assert client.get("/api/v1/cases?overdue=true").json()["count"] == 0
    assert client.get("/api/v1/cases?state=exploded").status_code == 422


@pytest.mark.parametrize(
    ("query", "field"), [("since=May", "since"), ("grid_id=0", "grid_id"), ("overdue=x", "overdue")]
)
def test_a_bad_filter_is_a_422_naming_it(client_for, world, query, field):
    bad = client_for("community_admin").get(f"/api/v1/cases?{query}")
    assert bad.status_code == 422 and bad.json()["field"] == field


def test_anonymous_reporter_is_hidden_from_staff(client_for, world, report):
    named = report("sanitation", by=world.rider, reporter_name="何伟", reporter_phone="13812345678")
    hidden = report("sanitation", by=world.rider, anonymous=True, reporter_name="李字春")
    client = client_for("community_admin")
    assert client.get(f"/api/v1/cases/{named.pk}").json()["reporter_phone_masked"] == "138****5678"
    body = client.get(f"/api/v1/cases/{hidden.pk}").json()
    assert "李字春" not in json.dumps(body, ensure_ascii=False) and body["reporter_name"] is None


def test_a_step_naming_an_account_or_grid_that_is_not_there_is_refused_at_that_field(client_for, world, report):
    case = report("sanitation", by=world.rider)
    admin = client_for("community_admin")
    url = f"/api/v1/cases/{case.pk}/steps"
    assert _post(admin, url, {"step": "accept"}).status_code == 200
    case.refresh_from_db()
    handler = case.handler_id
    for sent, field in (({"handler_id": 10**9}, "handler_id"), ({"grid_id": world.community.pk}, "grid_id")):
        refused = _post(admin, url, {"step": "dispatch", **sent})
        assert (refused.status_code, refused.json()["field"]) == (400, field), sent
    case.refresh_from_db()
    assert (case.state, case.handler_id) == ("accepted", handler)  # nothing half-written


def test_the_loop_through_steps_and_the_reporter_never_sees_internal_notes(client_for, world, report):
    case = report("sanitation", by=world.rider)
    admin = client_for("community_admin")
    worker = client_for("grid1_worker")
    url = f"/api/v1/cases/{case.pk}/steps"
    assert _post(admin, url, {"step": "accept"}).status_code == 200
    assert (
        _post(admin, url, {"step": "dispatch", "handler_id": world.grid1_worker.pk, "note": "内部:尽快"}).status_code
        == 200
    )
    assert _post(worker, url, {"step": "start"}).status_code == 200
    refused = _post(worker, url, {"step": "resolve", "note": "已清运"})
    assert refused.status_code == 400 and refused.json()["field"] == "photos"
    added = worker.post(f"/api/v1/cases/{case.pk}/photos", {"photos": [photo_upload()]})
    assert added.status_code == 201 and added.json()[0]["stage"] == "after"
    assert _post(worker, url, {"step": "resolve", "note": "已清运"}).status_code == 200
    assert _post(admin, url, {"step": "verify"}).status_code == 200
    closed = _post(admin, url, {"step": "close"}).json()
    assert (closed["state"], closed["closure"]) == ("closed", "fixed")
    rider_notes = [e["note"] for e in client_for("rider").get(f"/api/v1/cases/{case.pk}").json()["timeline"]]
    assert "内部:尽快" not in rider_notes and "已清运" in rider_notes
    staff_notes = [e["note"] for e in admin.get(f"/api/v1/cases/{case.pk}").json()["timeline"]]
    assert "内部:尽快" in staff_notes
    assert _post(client_for("rider"), url, {"step": "evaluate", "satisfaction": 5}).json()["satisfaction"] == 5


def test_refused_steps(client_for, world, report):
    case = report("sanitation")
    url = f"/api/v1/cases/{case.pk}/steps"
    wrong_order = _post(client_for("community_admin"), url, {"step": "close"})
    assert wrong_order.status_code == 400 and wrong_order.json()["code"] == "invalid_transition"
    # The grid's worker the case is routed to may accept it, but rejecting stays with managers.
    not_allowed = _post(client_for("grid1_worker"), url, {"step": "reject", "note": "不管", "closure": "no_action"})
    assert not_allowed.status_code == 403
    assert _post(client_for("grid2_worker"), url, {"step": "accept"}).status_code == 404
    assert _post(client_for("community_admin"), url, {"step": "explode"}).status_code == 422
    case.refresh_from_db()
    assert case.state == "reported" and case.version == 0


def test_cases_api_needs_credentials(client, catalogue):
    assert client.get("/api/v1/cases").status_code == 401
    assert _post(client, "/api/v1/cases", BODY).status_code == 401


def test_reporter_adds_a_photo_before_the_case_is_taken_on_and_sees_it_in_the_detail(client_for, world, report):
    case = report("sanitation", by=world.rider)
    rider = client_for("rider")
    answer = rider.post(f"/api/v1/cases/{case.pk}/photos", {"photos": [photo_upload()]})
    assert answer.status_code == 201 and answer.json()[0]["stage"] == "report"
    photos = rider.get(f"/api/v1/cases/{case.pk}").json()["photos"]
    assert [p["id"] for p in photos] == [answer.json()[0]["id"]]
    assert rider.get(photos[0]["url"]).status_code == 200


def test_adding_photos_is_refused_to_others_and_out_of_scope(client_for, world, report):
    case = report("sanitation", by=world.rider)
    refused = client_for("grid1_worker").post(f"/api/v1/cases/{case.pk}/photos", {"photos": [photo_upload()]})
    assert refused.status_code == 403  # sees the case, is not its reporter nor (yet) handling it
    hidden = client_for("grid2_worker").post(f"/api/v1/cases/{case.pk}/photos", {"photos": [photo_upload()]})
    assert hidden.status_code == 404
    assert case.photos.count() == 0


def test_a_file_that_is_not_a_photo_is_refused_at_the_photos_field(client_for, world, report):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = report("sanitation", by=world.rider)
    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    answer = client_for("rider").post(f"/api/v1/cases/{case.pk}/photos", {"photos": [fake]})
    assert answer.status_code == 400 and answer.json()["field"] == "photos"
    assert case.photos.count() == 0


def test_staff_list_their_territory_and_their_own_reports_only_with_mine(client_for, world, report):
    in_grid1 = report("sanitation")
    own_in_grid2 = report("sanitation", by=world.grid1_worker, lng=102.7031)
    worker = client_for("grid1_worker")
    listed = {c["id"] for c in worker.get("/api/v1/cases").json()["items"]}
    assert listed == {in_grid1.pk}  # the territory: their own report in grid 2 is not a grid 1 case
    mine = {c["id"] for c in worker.get("/api/v1/cases?mine=true").json()["items"]}
    assert mine == {own_in_grid2.pk}
    assert worker.get(f"/api/v1/cases/{own_in_grid2.pk}").status_code == 200  # still theirs to open


def test_a_reporter_lists_only_the_cases_they_reported_or_follow(client_for, world, report):
    own = report("sanitation", by=world.rider)
    report("sanitation", by=world.resident, description="别人的上报")
    listed = client_for("rider").get("/api/v1/cases").json()
    assert [c["id"] for c in listed["items"]] == [own.pk] and listed["count"] == 1


def test_a_rejected_emergency_no_longer_comes_first(client_for, world, report):
    from nuanxin.accounts.scope import scope_of
    from nuanxin.cases.actions import reject_case

    admin = world.community_admin
    urgent = report("stove-left-on", description="闻到煤气味")
    newer = report("sanitation")
    listed = [c["id"] for c in client_for("grid1_worker").get("/api/v1/cases").json()["items"]]
    assert listed == [urgent.pk, newer.pk]
    reject_case(actor=admin, scope=scope_of(admin), case=urgent, reason="误报，已核实", closure="no_action")
    listed = [c["id"] for c in client_for("grid1_worker").get("/api/v1/cases").json()["items"]]
    assert listed == [newer.pk, urgent.pk]  # newest first once the emergency is over
