"""The volunteers API (/api/v1/volunteers): allowed and denied per endpoint, bad input names
the field and writes nothing."""

# ruff: noqa: F811 (the `volunteering` fixture is imported from test_signups)

import pytest
import time_machine
from django.test import Client

from nuanxin.testing import World
from nuanxin.volunteers.models import Attendance, Partner, SignUp, Volunteer
from nuanxin.volunteers.signups import actions as signups
from nuanxin.volunteers.signups import checkins
from nuanxin.volunteers.tests.test_signups import Volunteering, local, make_user, volunteer, volunteering  # noqa: F401

API = "/api/v1/volunteers"


def test_register_and_me(world: World) -> None:
    user = make_user("api-rider")
    client = Client()
    client.force_login(user)
    assert client.get(f"{API}/me").status_code == 404
    answer = client.post(
        f"{API}/register",
        {"name": "何伟", "phone": "13700003333", "group": "driver", "home_grid_id": world.grid2.pk, "skills": ["急救"]},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["phone"] == "137****3333"
    me = client.get(f"{API}/me").json()
    assert me["name"] == "何伟" and me["group"] == "driver" and me["skills"] == ["急救"]
    again = client.post(
        f"{API}/register",
        {"name": "何伟", "phone": "13700003334", "group": "driver", "home_grid_id": world.grid2.pk},
        content_type="application/json",
    )
    assert again.status_code == 400 and again.json()["field"] == "user"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "1"}, "phone"),
        ({"name": "<b>x</b>"}, "name"),
        ({"home_grid_id": None}, "home_grid_id"),
        ({"home_grid_id": 999999}, "home_grid_id"),
    ],
)
def test_register_bad_input_names_the_field(world: World, client_for, changes: dict, field: str) -> None:
    data = {"name": "张三", "phone": "13700004444", "group": "rider", "home_grid_id": world.grid1.pk} | changes
    answer = client_for("stranger").post(f"{API}/register", data, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["field"] == field
    assert not Volunteer.objects.exists()


def test_api_needs_credentials(world: World) -> None:
    assert Client().get(f"{API}/me").status_code == 401
    assert Client().post(f"{API}/checkin", {"token": "x"}, content_type="application/json").status_code == 401


def test_activities_sign_up_mine_and_cancel(volunteering: Volunteering, client_for) -> None:
    a = volunteering.cleanup
    rider = client_for("rider")
    listed = rider.get(f"{API}/activities").json()
    assert [x["id"] for x in listed] == [a.pk]
    assert rider.get(f"{API}/activities/{volunteering.draft.pk}").status_code == 404
    first = rider.post(f"{API}/activities/{a.pk}/signup", {"role": "清扫"}, content_type="application/json")
    assert first.status_code == 201 and first.json()["state"] == "confirmed"
    client_for("resident").post(f"{API}/activities/{a.pk}/signup", {}, content_type="application/json")
    late = volunteer(30)
    late_client = Client()
    late_client.force_login(late.user)
    waiting = late_client.post(f"{API}/activities/{a.pk}/signup", {}, content_type="application/json")
    assert waiting.status_code == 201 and waiting.json()["state"] == "waiting"
    twice = rider.post(f"{API}/activities/{a.pk}/signup", {}, content_type="application/json")
    assert twice.status_code == 400 and twice.json()["field"] == "activity"
    bad_role = late_client.post(f"{API}/activities/{volunteering.draft.pk}/signup", {}, content_type="application/json")
    assert bad_role.status_code == 404
    mine = rider.get(f"{API}/signups").json()
    assert [s["activity_id"] for s in mine] == [a.pk]
    signup_id = first.json()["id"]
    assert client_for("resident").post(f"{API}/signups/{signup_id}/cancel").status_code == 404
    assert client_for("grid2_worker").post(f"{API}/signups/{signup_id}/cancel").status_code == 404
    cancelled = rider.post(f"{API}/signups/{signup_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert SignUp.objects.get(pk=waiting.json()["id"]).state == "confirmed"


def test_checkin_by_token(volunteering: Volunteering, client_for) -> None:
    a, day = volunteering.cleanup, volunteering.day
    token = checkins.checkin_token(a)
    rider = client_for("rider")
    with time_machine.travel(local(day, 9), tick=False):
        answer = rider.post(f"{API}/checkin", {"token": token}, content_type="application/json")
        assert answer.status_code == 200 and answer.json()["method"] == "qr"
        again = rider.post(f"{API}/checkin", {"token": token}, content_type="application/json")
        assert again.status_code == 400 and again.json()["field"] == "volunteer"
        forged = rider.post(f"{API}/checkin", {"token": token + "x"}, content_type="application/json")
        assert forged.status_code == 400 and forged.json()["field"] == "token"
        stranger = client_for("stranger").post(f"{API}/checkin", {"token": token}, content_type="application/json")
        assert stranger.status_code == 400 and stranger.json()["field"] == "volunteer"
    with time_machine.travel(local(day, 10), tick=False):
        out = rider.post(f"{API}/checkin", {"token": token, "step": "out"}, content_type="application/json")
        assert out.status_code == 200 and out.json()["checked_out_at"]
    with time_machine.travel(local(day, 11, 30), tick=False):  # over at 11:00: too late to check in
        late = client_for("resident").post(f"{API}/checkin", {"token": token}, content_type="application/json")
        assert late.status_code == 400 and late.json()["field"] in ("activity", "volunteer")
    with time_machine.travel(local(day, 12, 30), tick=False):  # and an hour on, the code is void
        expired = client_for("resident").post(f"{API}/checkin", {"token": token}, content_type="application/json")
        assert expired.status_code == 400 and expired.json()["field"] == "token"
    assert Attendance.objects.count() == 1


def test_organiser_endpoints_allowed_and_denied(volunteering: Volunteering, client_for) -> None:
    a, day = volunteering.cleanup, volunteering.day
    signups.sign_up(actor=volunteering.rider.user, activity=a, now=volunteering.now)
    roster = client_for("grid1_worker").get(f"{API}/activities/{a.pk}/signups")
    assert roster.status_code == 200
    assert roster.json()[0]["name"] == "何*" and roster.json()[0]["phone"] == "138****5678"
    for persona in ("grid2_worker", "rider", "other_admin"):
        assert client_for(persona).get(f"{API}/activities/{a.pk}/signups").status_code == 404
        answer = client_for(persona).post(
            f"{API}/activities/{a.pk}/attendance",
            {"volunteer_id": volunteering.rider.pk},
            content_type="application/json",
        )
        assert answer.status_code == 404
    with time_machine.travel(local(day, 9), tick=False):
        bad = client_for("grid1_worker").post(
            f"{API}/activities/{a.pk}/attendance",
            {"volunteer_id": volunteering.resident.pk},
            content_type="application/json",
        )
        assert bad.status_code == 400 and bad.json()["field"] == "volunteer_id"
        good = client_for("grid1_worker").post(
            f"{API}/activities/{a.pk}/attendance",
            {"volunteer_id": volunteering.rider.pk},
            content_type="application/json",
        )
        assert good.status_code == 200 and good.json()["method"] == "by_hand"
    with time_machine.travel(local(day, 11), tick=False):
        out = client_for("grid1_worker").post(
            f"{API}/activities/{a.pk}/attendance",
            {"volunteer_id": volunteering.rider.pk, "step": "out"},
            content_type="application/json",
        )
        assert out.status_code == 200 and out.json()["checked_out_at"]


def test_publish_endpoint(volunteering: Volunteering, client_for) -> None:
    draft = volunteering.draft
    url = f"{API}/activities/{draft.pk}/publish"
    data = {"start_time": "14:00", "end_time": "16:00", "capacity": 20, "roles_needed": ["引导"], "money": "12.5"}
    assert client_for("grid2_worker").post(url, data, content_type="application/json").status_code == 404
    assert client_for("rider").post(url, data, content_type="application/json").status_code == 404
    bad = client_for("grid1_worker").post(url, data | {"capacity": 0}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "capacity"
    draft.refresh_from_db()
    assert not draft.published
    good = client_for("grid1_worker").post(url, data, content_type="application/json")
    assert good.status_code == 200 and good.json()["capacity"] == 20
    draft.refresh_from_db()
    assert draft.published and draft.resources == {"money": "12.50"}


def test_partner_endpoints(world: World, client_for) -> None:
    denied = client_for("rider").post(
        f"{API}/partners", {"name": "美团", "kind": "platform"}, content_type="application/json"
    )
    assert denied.status_code == 404
    bad = client_for("community_admin").post(
        f"{API}/partners", {"name": "美团", "kind": "bank"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["field"] == "kind"
    made = client_for("community_admin").post(
        f"{API}/partners", {"name": "美团", "kind": "platform"}, content_type="application/json"
    )
    assert made.status_code == 201
    pid = made.json()["id"]
    rep = client_for("community_admin").post(
        f"{API}/partners/{pid}/representatives", {"user_id": world.partner.pk}, content_type="application/json"
    )
    assert rep.status_code == 200
    # community staff keep volunteers but neither add partners nor grant roles
    staff = client_for("community_staff")
    assert (
        staff.post(
            f"{API}/partners", {"name": "饿了么", "kind": "platform"}, content_type="application/json"
        ).status_code
        == 404
    )
    refused = staff.post(
        f"{API}/partners/{pid}/representatives", {"user_id": world.resident.pk}, content_type="application/json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert list(Partner.objects.get(pk=pid).representatives.all()) == [world.partner]
    assert (
        client_for("rider")
        .post(f"{API}/partners/{pid}/representatives", {"user_id": world.rider.pk}, content_type="application/json")
        .status_code
        == 404
    )


def test_a_volunteer_checks_out_by_the_code_after_the_end(volunteering: Volunteering, client_for) -> None:
    """The clean-up ran late: the venue's code still checks people out for an hour."""
    a, day = volunteering.cleanup, volunteering.day
    token = checkins.checkin_token(a)
    rider = client_for("rider")
    with time_machine.travel(local(day, 9), tick=False):
        assert rider.post(f"{API}/checkin", {"token": token}, content_type="application/json").status_code == 200
    with time_machine.travel(local(day, 11, 40), tick=False):
        out = rider.post(f"{API}/checkin", {"token": token, "step": "out"}, content_type="application/json")
        assert out.status_code == 200 and out.json()["checked_out_at"]
