"""The phone page that records a visit and shows its result, the photo, and the notice."""

from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from nuanxin.core.models import AuditEntry, IdempotencyRecord
from nuanxin.inspections import actions
from nuanxin.inspections.models import Rectification, Visit, VisitPhoto
from nuanxin.inspections.tests.conftest import Watch
from nuanxin.inspections.tests.test_record import FIRE_HAZARD, due
from nuanxin.testing import SYSTEM_SCOPE, World, image_bytes

NOW = "2024-03-05 10:00:00+08:00"
FOOD_FORM = {
    "a-licence_shown": "yes",
    "a-health_certificates": "yes",
    "a-raw_cooked_apart": "yes",
    "a-expired_food": "no",
    "a-gas_alarm_ok": "yes",
}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def url(visit: Visit) -> str:
    return f"/inspections/visits/{visit.pk}/"


def test_the_visits_list_links_to_the_record_page(client_for: Any, watch: Watch) -> None:
    with time_machine.travel(NOW, tick=False):
        html = client_for("grid1_worker").get("/inspections/visits/").content.decode()
    assert url(due(watch.restaurant_target)) in html


def test_the_worker_sees_the_checklist_form(client_for: Any, watch: Watch) -> None:
    response = client_for("grid1_worker").get(url(due(watch.restaurant_target)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "小面馆" in html and 'name="a-licence_shown"' in html and 'name="p-photo"' in html
    assert 'capture="environment"' in html and "inspections/visit.js" in html
    assert 'name="lng"' in html and "<script>" not in html


def test_each_yes_no_item_says_which_answer_is_the_hazard(client_for: Any, watch: Watch) -> None:
    """Items are phrased both ways (「公示许可证」: 否 is the hazard; 「有过期食品」: 是 is)."""
    html = client_for("grid1_worker").get(url(due(watch.restaurant_target))).content.decode()
    licence = html[html.index('id="item-licence_shown"') :].split("</fieldset>")[0]
    expired = html[html.index('id="item-expired_food"') :].split("</fieldset>")[0]
    assert "选「否」即为隐患" in licence and "选「是」即为隐患" not in licence
    assert "选「是」即为隐患" in expired and "选「否」即为隐患" not in expired


def test_recording_on_the_page_then_showing_the_result(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    client = client_for("grid1_worker")
    photo = SimpleUploadedFile("a.jpg", image_bytes(), content_type="image/jpeg")
    response = client.post(
        url(visit), FOOD_FORM | {"lng": "102.7005", "lat": "24.9805", "note": "正常", "p-photo": photo}
    )
    assert response.status_code == 302 and response["Location"] == url(visit)
    visit.refresh_from_db()
    assert visit.state == "done" and visit.answers["licence_shown"] is True and visit.checked_in_distance == 0
    photo_row = VisitPhoto.objects.get(visit=visit)
    html = client.get(url(visit)).content.decode()
    assert "data-far" not in html and f"/photos/{photo_row.pk}/" in html
    assert client.get(f"{url(visit)}photos/{photo_row.pk}/").status_code == 200
    assert client_for("grid2_worker").get(f"{url(visit)}photos/{photo_row.pk}/").status_code == 404


def test_a_far_check_in_shows_a_warning(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    client = client_for("grid1_worker")
    client.post(url(visit), FOOD_FORM | {"lng": "102.72", "lat": "24.9805"})
    html = client.get(url(visit)).content.decode()
    assert "data-far" in html


def test_a_missing_answer_is_shown_at_its_item_and_nothing_is_written(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    form = {k: v for k, v in FOOD_FORM.items() if k != "a-gas_alarm_ok"} | {"a-expired_food": "maybe"}
    response = client_for("grid1_worker").post(url(visit), form)
    assert response.status_code == 400
    items = {item["code"]: item for item in response.context["checklist"].rows()}
    assert items["gas_alarm_ok"]["error"] and items["expired_food"]["error"]
    assert not items["licence_shown"]["error"]
    assert items["licence_shown"]["value"] == "yes"  # what was typed stays
    assert Visit.objects.get(pk=visit.pk).state == "due"


def test_a_bad_location_is_shown_at_the_location(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    response = client_for("grid1_worker").post(url(visit), FOOD_FORM | {"lng": "east", "lat": "24.98"})
    assert response.status_code == 400 and response.context["checklist"].errors["lng"]
    assert Visit.objects.get(pk=visit.pk).state == "due"


def test_a_hazard_shows_the_order_and_the_notice_prints(client_for: Any, world: World, watch: Watch) -> None:
    visit = due(watch.hotel_target)
    actions.record_visit(actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=visit, answers=FIRE_HAZARD)
    order = Rectification.objects.get(visit=visit)
    client = client_for("grid2_worker")
    html = client.get(url(visit)).content.decode()
    assert order.number in html and f"/inspections/rectifications/{order.pk}/notice/" in html
    notice = client.get(f"/inspections/rectifications/{order.pk}/notice/")
    assert notice.status_code == 200
    text = notice.content.decode()
    assert order.number in text and "快捷旅馆" in text and "测试社区" in text and "安全出口" in text
    assert order.deadline.isoformat() in text and "grid2_worker" in text and "inspections/notice.js" in text
    assert AuditEntry.objects.filter(action="inspections.notice_printed", object_id=str(order.pk)).exists()
    assert client_for("grid1_worker").get(f"/inspections/rectifications/{order.pk}/notice/").status_code == 404


def test_a_resident_visit_shows_only_the_masked_name(client_for: Any, watch: Watch) -> None:
    html = client_for("grid1_worker").get(url(due(watch.special_target))).content.decode()
    assert "张*" in html and "张三" not in html and "13812345678" not in html


def test_a_key_person_visit_is_a_404_for_a_worker_without_the_permission(client_for: Any, watch: Watch) -> None:
    visit = due(watch.key_target)
    assert client_for("grid1_worker").get(url(visit)).status_code == 404
    assert client_for("grid1_worker").post(url(visit), {"a-stable": "yes"}).status_code == 404
    assert client_for("grid1_leader").get(url(visit)).status_code == 200
    assert Visit.objects.get(pk=visit.pk).state == "due"


def test_another_grid_or_no_permission_is_a_404(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    for persona in ("grid2_worker", "stranger", "rider", "other_admin"):
        assert client_for(persona).get(url(visit)).status_code == 404, persona
        assert client_for(persona).post(url(visit), FOOD_FORM).status_code == 404, persona
    assert Visit.objects.get(pk=visit.pk).state == "due"


def test_a_viewer_who_may_not_record_sees_no_form(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    client = client_for("street_staff")  # inspections.view only
    html = client.get(url(visit)).content.decode()
    assert 'name="a-licence_shown"' not in html
    assert client.post(url(visit), FOOD_FORM).status_code == 404
    assert Visit.objects.get(pk=visit.pk).state == "due"


def test_anonymous_is_sent_to_sign_in(client: Any, watch: Watch) -> None:
    assert client.get(url(due(watch.restaurant_target))).status_code == 302


def test_the_record_page_and_result_take_few_queries(
    client_for: Any, world: World, watch: Watch, django_assert_max_num_queries: Any
) -> None:
    visit = due(watch.hotel_target)
    client = client_for("grid2_worker")
    client.get(url(visit))
    with django_assert_max_num_queries(12):
        assert client.get(url(visit)).status_code == 200
    actions.record_visit(actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=visit, answers=FIRE_HAZARD)
    with django_assert_max_num_queries(14):
        assert client.get(url(visit)).status_code == 200


# The phone's outbox sends a kept visit with an Idempotency-Key (docs/offline.md).
OUTBOX_KEY = "3b9d2f6e-8a41-4c7d-b5e0-1f2a3c4d5e6f"


def test_a_visit_sent_twice_with_one_key_is_recorded_once_and_replayed(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    client = client_for("grid1_worker")
    sent = FOOD_FORM | {"lng": "102.7005", "lat": "24.9805", "note": "正常"}

    def send(csrf: str) -> Any:
        photo = SimpleUploadedFile("a.jpg", image_bytes(), content_type="image/jpeg")
        form = sent | {"p-photo": photo, "csrfmiddlewaretoken": csrf}
        return client.post(url(visit), form, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)

    first = send("token-of-the-page-it-was-filled-on")
    assert first.status_code == 200 and first.json() == {"location": url(visit)}
    recorded = AuditEntry.objects.filter(action="inspections.visit_recorded").count()
    again = send("token-of-the-page-that-sends-it-again")  # another page's CSRF token: the same request
    assert again.status_code == 200 and again.json() == {"location": url(visit)}
    assert again["Idempotent-Replayed"] == "true"
    assert VisitPhoto.objects.filter(visit=visit).count() == 1
    assert AuditEntry.objects.filter(action="inspections.visit_recorded").count() == recorded


def test_a_different_visit_form_with_a_used_key_is_refused(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    client = client_for("grid1_worker")
    assert client.post(url(visit), FOOD_FORM, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY).status_code == 200
    other = client.post(url(visit), FOOD_FORM | {"note": "改了"}, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    visit.refresh_from_db()
    assert visit.note == ""


def test_a_refused_visit_form_frees_its_key_and_shows_the_reason(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    client = client_for("grid1_worker")
    incomplete = {k: v for k, v in FOOD_FORM.items() if k != "a-gas_alarm_ok"}
    refused = client.post(url(visit), incomplete, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    assert refused.status_code == 400 and "field-error" in refused.content.decode()
    corrected = client.post(url(visit), FOOD_FORM, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    assert corrected.status_code == 200
    visit.refresh_from_db()
    assert visit.state == "done"


def test_another_workers_key_on_a_visit_not_theirs_is_a_404_kept_in_the_audit_and_claims_nothing(
    client_for: Any, watch: Watch
) -> None:
    visit = due(watch.restaurant_target)
    denied = AuditEntry.objects.filter(action="access.denied").count()
    response = client_for("grid2_worker").post(url(visit), FOOD_FORM, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action="access.denied").count() == denied + 1
    assert not IdempotencyRecord.objects.filter(key=OUTBOX_KEY).exists()
    visit.refresh_from_db()
    assert visit.state != "done"


def test_a_kept_visit_arriving_after_it_was_recorded_is_refused_with_the_reason(client_for: Any, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    client = client_for("grid1_worker")
    assert client.post(url(visit), FOOD_FORM | {"note": "先到的"}).status_code == 302
    # The phone's kept form, with its own key, arrives later: not saved, and the outbox is told
    # why (the page's error message), instead of dropping it as sent.
    late = client.post(url(visit), FOOD_FORM | {"note": "后到的"}, HTTP_IDEMPOTENCY_KEY=OUTBOX_KEY)
    assert late.status_code == 400
    assert "刚发送的答案未保存" in late.content.decode()
    assert not IdempotencyRecord.objects.filter(key=OUTBOX_KEY).exists()
    visit.refresh_from_db()
    assert visit.note == "先到的"
