"""Case notices: who is told of each event, that nobody learns who reported, and that a failing
channel never costs the case or its in-app notice."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions
from nuanxin.cases.models import Case
from nuanxin.core.models import Delivery, Notification
from nuanxin.core.notifications import retry_deliveries
from nuanxin.core.tests.test_notifications import SECRET, Receiver, closed_port_url
from nuanxin.testing import photo_upload


@pytest.fixture(autouse=True)
def _in_app_only(settings: Any) -> None:
    settings.EMAIL_HOST = ""
    settings.NUANXIN_WEBHOOK_URL = ""


@pytest.fixture
def receiver(settings: Any) -> Any:
    server = Receiver()
    settings.NUANXIN_NOTIFY_CHANNELS = "webhook"
    settings.NUANXIN_WEBHOOK_URL = server.url
    settings.NUANXIN_WEBHOOK_SECRET = SECRET
    yield server
    server.close()


def _scope(user: Any) -> Any:
    user.__dict__.pop("_nuanxin_scope", None)
    return scope_of(user)


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def _dispatched(world: Any, case: Case) -> Case:
    staff = world.community_staff
    case = actions.accept_case(actor=staff, scope=_scope(staff), case=case)
    return actions.dispatch_case(actor=staff, scope=_scope(staff), case=case, handler=world.grid1_worker)


def _resolved(world: Any, case: Case) -> Case:
    worker = world.grid1_worker
    case = actions.start_case(actor=worker, case=_dispatched(world, case))
    return actions.resolve_case(actor=worker, case=case, note="已处理", photos=[photo_upload()])


def test_an_emergency_tells_the_grid_staff_on_duty_and_the_community_managers(world, report):
    case = report("stove-left-on", by=world.rider)
    assert told("cases.emergency") == {"grid1-leader", "grid1-worker", "community-admin", "community-staff"}
    note = Notification.objects.filter(kind="cases.emergency").first()
    assert case.number in note.title and note.url == f"/cases/{case.pk}/"


def test_an_ordinary_report_tells_the_grids_worker_and_leader(world, report):
    case = report("sanitation", by=world.rider)
    assert told("cases.reported") == {"grid1-worker", "grid1-leader"}
    note = Notification.objects.get(recipient=world.grid1_leader)
    assert case.number in note.title and note.url == f"/cases/{case.pk}/" and note.read_at is None


def test_an_ordinary_report_reaches_the_grids_people_through_the_external_channels_too(
    world, report, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = report("sanitation", by=world.rider)
    sent = [json.loads(r["body"]) for r in receiver.requests]
    assert sorted(b["recipient_id"] for b in sent) == sorted([world.grid1_worker.pk, world.grid1_leader.pk])
    assert {b["kind"] for b in sent} == {"cases.reported"} and all(case.number in b["title"] for b in sent)


def test_an_emergency_in_another_community_tells_only_its_people(world, report):
    report("stove-left-on", by=world.rider, lng=102.7105, lat=24.9905)
    assert told("cases.emergency") == {"other-admin"}


@pytest.mark.parametrize("anonymous", [True, False])
def test_no_notification_names_the_reporter(world, report, receiver, anonymous, django_capture_on_commit_callbacks):
    rider = world.rider
    rider.display_name = "王骑手"
    rider.save()
    with django_capture_on_commit_callbacks(execute=True):
        case = report(
            "stove-left-on",
            by=rider,
            anonymous=anonymous,
            reporter_name="张三丰",
            reporter_phone="13812345678",
        )
    staff = world.community_staff
    with django_capture_on_commit_callbacks(execute=True):
        actions.reject_case(actor=staff, scope=_scope(staff), case=case, reason="重复", closure="no_action")
    texts = [f"{n.title} {n.body} {n.url}" for n in Notification.objects.all()]
    texts += [r["body"].decode() for r in receiver.requests]
    assert len(receiver.requests) == Notification.objects.count() == 5  # four on duty, the reporter
    for text in texts:
        for secret in ("张三丰", "13812345678", "5678", "王骑手", "rider"):
            assert secret not in text
    assert all(json.loads(r["body"])["recipient_id"] for r in receiver.requests)


def test_dispatch_tells_the_new_handler(world, report):
    _dispatched(world, report("sanitation", by=world.rider))
    assert told("cases.dispatched") == {"grid1-worker"}


def test_not_fixed_tells_the_handler(world, report):
    case = _resolved(world, report("sanitation", by=world.rider))
    actions.reopen_case(actor=world.rider, scope=_scope(world.rider), case=case, note="还是很脏")
    assert told("cases.reopened") == {"grid1-worker"}


def test_an_escalation_tells_the_managers_at_the_new_level(world, report):
    case = report("sanitation", by=world.rider)
    leader = world.grid1_leader
    case = actions.escalate_case(actor=leader, scope=_scope(leader), case=case, reason="需要社区协调")
    assert told("cases.escalated") == {"community-admin", "community-staff"}
    actions.escalate_case(actor=world.community_admin, scope=_scope(world.community_admin), case=case, reason="街道")
    assert told("cases.escalated") == {"community-admin", "community-staff", "street-staff"}


def test_a_time_out_sends_one_supervision_notice_to_the_handler_and_the_new_level(world, report):
    case = report("sanitation", by=world.rider)
    assert case.handler == world.grid1_worker
    acted = actions.escalate_overdue_cases(now=case.deadline + timedelta(minutes=1))
    assert acted == 1
    assert told("cases.supervised") == {"grid1-worker", "community-admin", "community-staff"}
    assert told("cases.escalated") == set()  # not a second notice for the same time-out
    assert Notification.objects.filter(recipient=world.community_staff).count() == 1


def test_the_reporter_hears_of_rejection(world, report):
    case = report("sanitation", by=world.rider)
    staff = world.community_staff
    actions.reject_case(actor=staff, scope=_scope(staff), case=case, reason="不在本社区", closure="referred")
    (note,) = Notification.objects.filter(recipient=world.rider)
    assert note.kind == "cases.rejected" and note.url == f"/cases/{case.pk}/"


def test_the_reporter_hears_of_resolution_and_closure(world, report):
    case = _resolved(world, report("sanitation", by=world.rider))
    staff = world.community_staff
    case = actions.verify_case(actor=staff, scope=_scope(staff), case=case)
    actions.close_case(actor=staff, scope=_scope(staff), case=case)
    kinds = list(Notification.objects.filter(recipient=world.rider).order_by("id").values_list("kind", flat=True))
    assert kinds == ["cases.resolved", "cases.closed"]


def test_a_report_without_an_account_tells_no_reporter(world, report):
    case = report("sanitation", by=None, reporter_name="李四", reporter_phone="13900001111")
    staff = world.community_staff
    before = Notification.objects.count()  # the grid's people heard of the new case
    actions.reject_case(actor=staff, scope=_scope(staff), case=case, reason="无需处理", closure="no_action")
    assert Notification.objects.count() == before


@pytest.mark.parametrize("answer", ["500", "closed"])
def test_a_failing_webhook_never_loses_the_case_and_is_retried_later(
    world, client_for, catalogue, receiver, settings, answer, django_capture_on_commit_callbacks
):
    if answer == "closed":
        settings.NUANXIN_WEBHOOK_URL = closed_port_url()
    else:
        receiver.status = 500
    form = {
        "case_class": "stove-left-on",
        "description": "楼道里有很浓的燃气味",
        "lng": "102.7011",
        "lat": "24.9811",
        "anonymous": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("rider").post("/cases/report/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert told("cases.emergency") == {"grid1-leader", "grid1-worker", "community-admin", "community-staff"}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    page = client_for("grid1_worker").get("/notifications/").content.decode()
    assert case.number in page

    settings.NUANXIN_WEBHOOK_URL = receiver.url
    receiver.status = 200
    assert retry_deliveries(now=timezone.now() + timedelta(minutes=5)) == 4
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_reporter_of_a_merged_duplicate_hears_when_the_surviving_case_is_resolved(world, report):
    from nuanxin.accounts.scope import scope_of
    from nuanxin.cases import actions
    from nuanxin.core.models import Notification
    from nuanxin.testing import photo_upload

    admin, worker = world.community_admin, world.grid1_worker
    first = report("sanitation", by=world.rider)
    second = report("sanitation", by=world.resident)
    actions.merge_case(actor=admin, scope=scope_of(admin), case=second, into=first)
    first = actions.accept_case(actor=admin, scope=scope_of(admin), case=first)
    first = actions.dispatch_case(actor=admin, scope=scope_of(admin), case=first, handler=worker)
    first = actions.start_case(actor=worker, case=first)
    actions.resolve_case(actor=worker, case=first, note="已清运", photos=[photo_upload()])
    told = set(Notification.objects.filter(kind="cases.resolved").values_list("recipient__username", flat=True))
    assert told == {world.rider.username, world.resident.username}
