"""Cancelling a published activity (`signups.cancel_activity` and the form on the organiser's
page): everyone confirmed or waiting is told why, nothing more can be signed up or checked in,
and refusals name their field and change nothing."""

# ruff: noqa: F811 (the `volunteering` fixture is imported from test_signups)

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry, Notification
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.models import Activity, SignUp
from nuanxin.volunteers.signups import actions as signups
from nuanxin.volunteers.signups import checkins
from nuanxin.volunteers.tests.test_signups import Volunteering, local, volunteer, volunteering  # noqa: F401


def _fill(v: Volunteering) -> tuple[SignUp, SignUp, SignUp, SignUp]:
    """Two confirmed (capacity 2), one waiting, one cancelled."""
    a = v.cleanup
    first = signups.sign_up(actor=v.rider.user, activity=a, now=v.now)
    second = signups.sign_up(actor=v.resident.user, activity=a, now=v.now)
    third_v = volunteer(3)
    waiting = signups.sign_up(actor=third_v.user, activity=a, now=v.now)
    fourth_v = volunteer(4)
    gone = signups.sign_up(actor=fourth_v.user, activity=a, now=v.now)
    signups.cancel_signup(actor=fourth_v.user, scope=SYSTEM_SCOPE, signup=gone, now=v.now)
    return first, second, waiting, gone


def test_cancel_tells_confirmed_and_waiting_and_closes_everything(volunteering: Volunteering, world: World) -> None:
    v = volunteering
    first, second, waiting, gone = _fill(v)
    assert waiting.state == SignUp.State.WAITING
    Notification.objects.all().delete()
    signups.cancel_activity(
        actor=world.grid1_worker, activity=v.cleanup, reason="暴雨预警", scope=scope_of(world.grid1_worker), now=v.now
    )
    a = Activity.objects.get(pk=v.cleanup.pk)
    assert a.cancelled
    told = Notification.objects.filter(kind="volunteers.activity_cancelled")
    assert {n.recipient_id for n in told} == {
        first.volunteer.user_id,
        second.volunteer.user_id,
        waiting.volunteer.user_id,
    }
    assert all("暴雨预警" in n.body for n in told)
    entry = AuditEntry.objects.get(action="volunteers.activity_cancelled")
    assert entry.actor_id == world.grid1_worker.pk and entry.detail["notified"] == 3
    # The sign-ups stay on record as they were.
    assert SignUp.objects.get(pk=first.pk).state == SignUp.State.CONFIRMED
    # Nothing more: no sign-up, no check-in by the code, no reminders.
    late = volunteer(5)
    with pytest.raises(DomainError) as exc:
        signups.sign_up(actor=late.user, activity=a, now=v.now)
    assert exc.value.field == "activity"
    with pytest.raises(DomainError) as exc:
        checkins.activity_for_token(checkins.checkin_token(a), now=local(v.day, 9))
    assert exc.value.field == "token"
    assert signups.send_reminders(now=local(v.day - timedelta(days=1), 9)) == 0


@pytest.mark.parametrize(
    ("reason", "when", "field"),
    [
        ("", None, "reason"),
        ("   ", None, "reason"),
        ("<script>x</script>", None, "reason"),
        ("很" * 201, None, "reason"),
        ("下雨", "ended", "activity"),
    ],
)
def test_bad_cancellations_name_the_field_and_change_nothing(
    volunteering: Volunteering, world: World, reason: str, when: str | None, field: str
) -> None:
    v = volunteering
    _fill(v)
    before = Notification.objects.count()
    now = local(v.day, 12) if when == "ended" else v.now
    with pytest.raises(DomainError) as exc:
        signups.cancel_activity(
            actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=v.cleanup, reason=reason, now=now
        )
    assert exc.value.field == field
    assert not Activity.objects.get(pk=v.cleanup.pk).cancelled
    assert Notification.objects.count() == before
    assert not AuditEntry.objects.filter(action="volunteers.activity_cancelled").exists()


def test_an_activity_under_way_may_still_be_cancelled(volunteering: Volunteering, world: World) -> None:
    v = volunteering
    signups.cancel_activity(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=v.cleanup, reason="停电", now=local(v.day, 10)
    )
    assert Activity.objects.get(pk=v.cleanup.pk).cancelled


def test_drafts_twice_and_outsiders_are_refused(volunteering: Volunteering, world: World) -> None:
    v = volunteering
    with pytest.raises(DomainError) as exc:
        signups.cancel_activity(
            actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=v.draft, reason="不办了", now=v.now
        )
    assert exc.value.field == "activity"
    for persona in ("grid2_worker", "other_admin", "rider"):
        user = world.users[persona]
        with pytest.raises(DomainError) as exc:
            signups.cancel_activity(actor=user, activity=v.cleanup, reason="x", scope=scope_of(user), now=v.now)
        assert exc.value.code == "forbidden"
    assert not Activity.objects.get(pk=v.cleanup.pk).cancelled
    signups.cancel_activity(
        actor=world.community_admin, scope=SYSTEM_SCOPE, activity=v.cleanup, reason="下雨", now=v.now
    )
    with pytest.raises(DomainError) as exc:
        signups.cancel_activity(
            actor=world.community_admin, scope=SYSTEM_SCOPE, activity=v.cleanup, reason="下雨", now=v.now
        )
    assert exc.value.field == "activity"


def test_cancel_form_on_the_organisers_page(volunteering: Volunteering, world: World, client_for) -> None:
    v = volunteering
    first, *_rest = _fill(v)
    manage = reverse("volunteers:manage", args=[v.cleanup.pk])
    url = reverse("volunteers:cancel_activity", args=[v.cleanup.pk])
    with time_machine.travel(v.now, tick=False):
        page = client_for("grid1_worker").get(manage)
        assert page.status_code == 200 and url in page.content.decode()
        # Denied: outside the area, or without activities.manage (404); GET is not allowed.
        for persona in ("grid2_worker", "other_admin", "rider", "resident"):
            assert client_for(persona).post(url, {"reason": "下雨"}).status_code == 404
        assert client_for("grid1_worker").get(url).status_code == 405
        # Bad input: shown at the field, nothing changes.
        bad = client_for("grid1_worker").post(url, {"reason": ""})
        assert bad.status_code == 400 and bad.context["cancel_form"].errors.get("reason")
        assert not Activity.objects.get(pk=v.cleanup.pk).cancelled
        # Allowed.
        good = client_for("grid1_worker").post(url, {"reason": "暴雨预警"})
        assert good.status_code == 302 and good["Location"] == manage
        assert Activity.objects.get(pk=v.cleanup.pk).cancelled
        again = client_for("grid1_worker").get(manage)
        assert url not in again.content.decode()
        twice = client_for("grid1_worker").post(url, {"reason": "暴雨预警"})
        assert twice.status_code == 400 and twice.context["cancel_form"].errors
        # The volunteer sees it on their pages.
        rider = client_for("rider")
        assert "data-cancelled" in rider.get(reverse("volunteers:activity", args=[v.cleanup.pk])).content.decode()
        assert rider.get(reverse("volunteers:me")).status_code == 200
    assert Notification.objects.filter(kind="volunteers.activity_cancelled", recipient=first.volunteer.user).exists()


def test_the_reason_and_time_are_kept_and_shown(volunteering: Volunteering, world: World, client_for) -> None:
    v = volunteering
    _fill(v)
    signups.cancel_activity(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=v.cleanup, reason=" 暴雨预警 ", now=v.now
    )
    a = Activity.objects.get(pk=v.cleanup.pk)
    assert a.cancel_reason == "暴雨预警" and a.cancelled_at == v.now
    with time_machine.travel(v.now, tick=False):
        for persona, name in (("rider", "volunteers:activity"), ("grid1_worker", "volunteers:manage")):
            page = client_for(persona).get(reverse(name, args=[a.pk]))
            assert page.status_code == 200
            assert "暴雨预警" in page.content.decode()


def test_a_refused_cancellation_keeps_no_reason(volunteering: Volunteering, world: World) -> None:
    v = volunteering
    with pytest.raises(DomainError):
        signups.cancel_activity(
            actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=v.cleanup, reason="<b>x</b>", now=v.now
        )
    a = Activity.objects.get(pk=v.cleanup.pk)
    assert a.cancel_reason == "" and a.cancelled_at is None


# --- over the API -------------------------------------------------------------------------------

API = "/api/v1/volunteers"


def test_cancel_over_the_api(volunteering: Volunteering, world: World, client_for) -> None:
    v = volunteering
    first, *_rest = _fill(v)
    url = f"{API}/activities/{v.cleanup.pk}/cancel"
    with time_machine.travel(v.now, tick=False):
        # Denied: outside the area, or without activities.manage there (404).
        for persona in ("grid2_worker", "other_admin", "rider", "resident"):
            answer = client_for(persona).post(url, {"reason": "下雨"}, content_type="application/json")
            assert answer.status_code == 404, persona
        # Bad input names the field and changes nothing.
        for body, field in (({"reason": ""}, "reason"), ({"reason": "很" * 201}, "reason"), ({}, "reason")):
            bad = client_for("grid1_worker").post(url, body, content_type="application/json")
            assert bad.status_code in (400, 422) and bad.json()["field"] == field, bad.content
        assert not Activity.objects.get(pk=v.cleanup.pk).cancelled
        draft = client_for("grid1_worker").post(
            f"{API}/activities/{v.draft.pk}/cancel", {"reason": "不办了"}, content_type="application/json"
        )
        assert draft.status_code == 400 and draft.json()["field"] == "activity"
        # Allowed.
        good = client_for("grid1_worker").post(url, {"reason": "暴雨预警"}, content_type="application/json")
        assert good.status_code == 200, good.content
        body = good.json()
        assert body["cancelled"] is True and body["cancel_reason"] == "暴雨预警" and body["cancelled_at"]
        seen = client_for("rider").get(f"{API}/activities/{v.cleanup.pk}").json()
        assert seen["cancelled"] is True and seen["cancel_reason"] == "暴雨预警"
        twice = client_for("grid1_worker").post(url, {"reason": "暴雨预警"}, content_type="application/json")
        assert twice.status_code == 400 and twice.json()["field"] == "activity"
    assert Notification.objects.filter(kind="volunteers.activity_cancelled", recipient=first.volunteer.user).exists()
    assert AuditEntry.objects.filter(action="volunteers.activity_cancelled").count() == 1
