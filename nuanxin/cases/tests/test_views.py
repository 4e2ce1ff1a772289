"""The phone report page, the reporter's cases, and a case's progress page."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from nuanxin.cases.actions import apply_step
from nuanxin.cases.models import Case, CasePhoto
from nuanxin.core.models import IdempotencyRecord
from nuanxin.testing import SYSTEM_SCOPE, gps_exif, image_bytes, photo_upload

FORM = {"case_class": "sanitation", "description": "垃圾桶满了", "lat": "24.9811", "lng": "102.7011"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_report_page_lists_the_catalogue_and_the_emergency_numbers(client_for, catalogue):
    page = client_for("rider").get("/cases/report/").content.decode()
    assert "忘关火" in page and "tel:119" in page and "stove-left-on" in page


def test_rider_reports_with_a_photo_whose_location_is_stripped(client_for, world, catalogue):
    photo = SimpleUploadedFile("x.jpg", image_bytes(exif=gps_exif()), content_type="image/jpeg")
    response = client_for("rider").post("/cases/report/", FORM | {"photos": [photo]})
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.channel, case.reporter, case.grid) == ("phone_page", world.rider, world.grid1)
    stored = CasePhoto.objects.get(case=case)
    with default_storage.open(stored.name, "rb") as handle:
        data = handle.read()
    assert b"GPS" not in data
    with default_storage.open(stored.name, "rb") as handle:
        assert not Image.open(handle).getexif()


def test_emergency_report_shows_the_numbers_at_once(client_for, world, catalogue):
    client = client_for("rider")
    response = client.post("/cases/report/", FORM | {"case_class": "stove-left-on", "description": "闻到煤气味"})
    page = client.get(response["Location"]).content.decode()
    assert "tel:119" in page and "tel:110" in page and "tel:120" in page


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"case_class": ""}, "case_class"),
        ({"case_class": "unicorns"}, "case_class"),
        ({"description": ""}, "description"),
        ({"description": "<script>x</script>"}, "description"),
        ({"lat": "", "lng": ""}, "lat"),
        ({"lat": "20.0", "lng": "100.0"}, "lat"),
        ({"reporter_phone": "123"}, "reporter_phone"),
    ],
)
def test_bad_report_shows_the_error_at_its_field_and_writes_nothing(client_for, catalogue, change, field):
    response = client_for("rider").post("/cases/report/", FORM | change)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Case.objects.count() == 0


def test_a_non_image_photo_is_refused_at_the_photo_field(client_for, catalogue):
    fake = SimpleUploadedFile("x.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    response = client_for("rider").post("/cases/report/", FORM | {"photos": [fake]})
    assert response.status_code == 400 and response.context["photo_error"]
    assert Case.objects.count() == 0


def test_my_reports_and_the_case_page_are_the_reporters_own(client_for, world, report):
    own = report("sanitation", by=world.rider)
    other = report("sanitation", by=world.resident)
    client = client_for("rider")
    page = client.get("/cases/mine/").content.decode()
    assert own.number in page and other.number not in page
    assert client.get(f"/cases/{own.pk}/").status_code == 200
    assert client.get(f"/cases/{other.pk}/").status_code == 404


def test_photos_are_served_only_with_their_case(client_for, world, catalogue):
    photo = SimpleUploadedFile("x.png", image_bytes("PNG"), content_type="image/png")
    client_for("rider").post("/cases/report/", FORM | {"photos": [photo]})
    case, stored = Case.objects.get(), CasePhoto.objects.get()
    url = f"/cases/{case.pk}/photos/{stored.pk}/"
    ok = client_for("rider").get(url)
    assert ok.status_code == 200 and ok["X-Content-Type-Options"] == "nosniff"
    assert client_for("grid1_worker").get(url).status_code == 200
    assert client_for("grid2_worker").get(url).status_code == 404
    assert client_for("resident").get(url).status_code == 404


def test_reporter_says_not_fixed_then_evaluates(client_for, world, report):
    from nuanxin.accounts.scope import scope_of
    from nuanxin.cases import actions

    admin, worker = world.community_admin, world.grid1_worker
    case = report("sanitation", by=world.rider)
    case = actions.accept_case(actor=admin, scope=scope_of(admin), case=case)
    case = actions.dispatch_case(actor=admin, scope=scope_of(admin), case=case, handler=worker)
    case = actions.resolve_case(
        actor=worker, case=actions.start_case(actor=worker, case=case), note="已清运", photos=[photo_upload()]
    )
    client = client_for("rider")
    assert (
        "not fixed" in client.get(f"/cases/{case.pk}/").content.decode().lower()
        or "未解决" in client.get(f"/cases/{case.pk}/").content.decode()
    )
    client.post(f"/cases/{case.pk}/reopen/", {"note": ""})  # refused: a reason is needed
    case.refresh_from_db()
    assert case.state == "resolved"
    client.post(f"/cases/{case.pk}/reopen/", {"note": "垃圾还在"})
    case.refresh_from_db()
    assert case.state == "in_progress"
    assert client_for("resident").post(f"/cases/{case.pk}/reopen/", {"note": "x"}).status_code == 404


def test_case_pages_need_sign_in_and_refuse_get_for_steps(client, client_for, world, report):
    case = report("sanitation", by=world.rider)
    assert client.get("/cases/report/").status_code == 200  # anyone reports (test_report_without_account.py)
    assert client.get(f"/cases/{case.pk}/").status_code == 302
    assert client_for("rider").get(f"/cases/{case.pk}/reopen/").status_code == 405


def test_console_list_is_scoped_and_filters(client_for, world, report):
    in_grid1, in_grid2 = report("sanitation"), report("noise", lng=102.7031)
    urgent = report("stove-left-on")
    page = client_for("grid1_worker").get("/cases/").content.decode()
    assert in_grid1.number in page and urgent.number in page and in_grid2.number not in page
    assert page.index(urgent.number) < page.index(in_grid1.number)  # emergencies first
    admin = client_for("community_admin")
    filtered = admin.get("/cases/", {"emergency": "1"}).content.decode()
    assert urgent.number in filtered and in_grid2.number not in filtered
    assert admin.get("/cases/", {"grid": "abc", "state": "nonsense", "page": "x"}).status_code == 200


def test_console_list_denied_without_case_work(client_for, world):
    for persona in ("rider", "resident", "auditor", "partner"):
        assert client_for(persona).get("/cases/").status_code == 404, persona


def test_staff_take_the_loop_through_the_case_page(client_for, world, report):
    case = report("sanitation", by=world.rider)
    admin, worker = client_for("community_admin"), client_for("grid1_worker")
    url = f"/cases/{case.pk}/step/"
    assert "accept" in admin.get(f"/cases/{case.pk}/").content.decode()
    admin.post(url, {"step": "accept"})
    admin.post(url, {"step": "dispatch", "handler": world.grid1_worker.pk, "note": "尽快"})
    worker.post(url, {"step": "start"})
    worker.post(url, {"step": "resolve", "note": "已清运", "photos": photo_upload()})
    admin.post(url, {"step": "verify"})
    admin.post(url, {"step": "close"})
    case.refresh_from_db()
    assert (case.state, case.closure) == ("closed", "fixed")


@pytest.mark.parametrize(
    "data",
    [
        {"step": "close"},  # out of order
        {"step": "reject", "closure": "fixed", "note": "x"},  # dishonest closure
        {"step": "dispatch", "handler": "abc"},  # not a person
        {"step": "transfer", "grid": "999999"},  # no such grid in reach
        {"step": "teleport"},
    ],
)
def test_refused_steps_on_the_page_change_nothing(client_for, world, report, data):
    case = report("sanitation")
    response = client_for("community_admin").post(f"/cases/{case.pk}/step/", data)
    assert response.status_code == 400  # the case page with the reason
    assert 'class="error"' in response.content.decode()
    case.refresh_from_db()
    assert case.state == "reported" and case.version == 0


def test_other_grid_staff_cannot_reach_the_step_page(client_for, world, report):
    case = report("sanitation")
    assert client_for("grid2_worker").post(f"/cases/{case.pk}/step/", {"step": "accept"}).status_code == 404
    assert client_for("grid1_helper").post(f"/cases/{case.pk}/step/", {"step": "accept"}).status_code == 400
    case.refresh_from_db()
    assert case.state == "reported"  # a grid helper sees the case but may not accept it


def test_an_anonymous_report_from_the_page_leaves_no_actor_or_address_in_the_audit_log(client_for, world, catalogue):
    from nuanxin.core.models import AuditEntry

    response = client_for("rider").post("/cases/report/", FORM | {"anonymous": "on"}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="cases.reported")
    assert (entry.actor_id, entry.actor_name, entry.ip) == (None, "", "")
    assert entry.detail["anonymous"] is True


# The phone's outbox sends a kept step with an Idempotency-Key (docs/offline.md).
OUTBOX_KEY = "7c1e4a2b-9d3f-4e5a-8b6c-0d1e2f3a4b5c"


def _dispatched_to_grid1_worker(report, world):
    case = report("sanitation", by=world.rider)
    apply_step(actor=world.community_admin, scope=SYSTEM_SCOPE, case=case, step="accept")
    return apply_step(
        actor=world.community_admin, scope=SYSTEM_SCOPE, case=case, step="dispatch", handler=world.grid1_worker
    )


def test_a_step_sent_twice_with_one_key_is_taken_once_and_replayed(client_for, world, report):
    case = _dispatched_to_grid1_worker(report, world)
    worker = client_for("grid1_worker")
    url = f"/cases/{case.pk}/step/"
    first = worker.post(url, {"step": "start", "note": "路上"}, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    assert first.status_code == 200 and first.json() == {"location": f"/cases/{case.pk}/"}
    again = worker.post(url, {"step": "start", "note": "路上"}, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    case.refresh_from_db()
    assert case.state == "in_progress"
    assert case.events.filter(kind="started").count() == 1


def test_a_step_with_a_used_key_and_another_body_is_refused(client_for, world, report):
    case = _dispatched_to_grid1_worker(report, world)
    worker = client_for("grid1_worker")
    url = f"/cases/{case.pk}/step/"
    assert worker.post(url, {"step": "start"}, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY).status_code == 200
    reused = worker.post(url, {"step": "resolve", "note": "已清运"}, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    assert reused.status_code == 422 and reused.json()["field"] == "Idempotency-Key"
    case.refresh_from_db()
    assert case.state == "in_progress"


def test_a_step_the_case_has_moved_past_is_refused_with_the_reason_and_frees_the_key(client_for, world, report):
    case = _dispatched_to_grid1_worker(report, world)
    apply_step(actor=world.community_admin, scope=SYSTEM_SCOPE, case=case, step="escalate", note="社区处理")
    worker = client_for("grid1_worker")
    refused = worker.post(f"/cases/{case.pk}/step/", {"step": "start"}, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    assert refused.status_code == 400
    assert '<li class="error">' in refused.content.decode()
    case.refresh_from_db()
    assert case.state == "accepted" and not case.events.filter(kind="started").exists()
    assert not IdempotencyRecord.objects.filter(key=OUTBOX_KEY).exists()


def test_a_kept_report_sent_after_the_session_ended_is_refused_not_filed_as_a_visitors(client, world, catalogue):
    # The outbox of a person whose session ended sends as nobody: 401, and sent again once they
    # sign in; filed as a visitor's, it would be a new anonymous case at every try.
    response = client.post("/cases/report/", FORM, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    assert response.status_code == 401
    assert response.json()["field"] == "Idempotency-Key"
    assert not Case.objects.exists() and not IdempotencyRecord.objects.exists()
    # Without the key (the visitor's own form) the report is filed as before.
    assert client.post("/cases/report/", FORM).status_code == 302
    assert Case.objects.count() == 1


def test_a_kept_report_from_a_signed_in_person_is_filed_once(client_for, world, catalogue):
    rider = client_for("rider")
    first = rider.post("/cases/report/", FORM, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    again = rider.post("/cases/report/", FORM, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    assert first.status_code == again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert Case.objects.filter(reporter=world.rider).count() == 1
