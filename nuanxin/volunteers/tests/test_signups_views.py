"""Volunteer pages: allowed and denied for each, bad input shown at the field, nothing written."""

# ruff: noqa: F811 (the `volunteering` fixture is imported from test_signups)

from datetime import time, timedelta

import pytest
import time_machine
from django.urls import reverse

from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.models import Attendance, ServiceRecord, SignUp, Volunteer
from nuanxin.volunteers.signups import actions as signups
from nuanxin.volunteers.signups import checkins
from nuanxin.volunteers.tests.test_signups import Volunteering, local, make_user, volunteer, volunteering  # noqa: F401


def test_register_page_registers_a_rider_in_one_post(world: World, client_for) -> None:
    user = make_user("rider-new")
    from django.test import Client

    client = Client()
    client.force_login(user)
    page = client.get(reverse("volunteers:register"))
    assert page.status_code == 200 and "一网格" in page.content.decode()
    answer = client.post(
        reverse("volunteers:register"),
        {
            "name": "阿卜杜热合曼·买买提",
            "phone": "13700001111",
            "group": "rider",
            "employer": "饿了么",
            "home_grid": world.grid1.pk,
        },
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("volunteers:me")
    v = Volunteer.objects.get(user=user)
    assert v.name == "阿卜杜热合曼·买买提" and v.home_grid == world.grid1
    assert user.role_grants.filter(role="mobile_reporter", area=world.community).exists()
    me = client.get(reverse("volunteers:me"))
    assert "137****1111" in me.content.decode() and "13700001111" not in me.content.decode()
    # Registered already: the form sends them to their page.
    assert client.get(reverse("volunteers:register")).status_code == 302


@pytest.mark.parametrize(("field", "value"), [("name", "张3"), ("phone", "555"), ("home_grid", "")])
def test_register_page_shows_bad_input_at_the_field(world: World, client_for, field: str, value: str) -> None:
    data = {"name": "张三", "phone": "13700002222", "group": "rider", "home_grid": world.grid1.pk} | {field: value}
    answer = client_for("stranger").post(reverse("volunteers:register"), data)
    assert answer.status_code == 400
    assert answer.context["form"].errors.get(field)
    assert not Volunteer.objects.exists()


def test_pages_need_a_login(world: World, volunteering: Volunteering) -> None:
    from django.test import Client

    a = volunteering.cleanup
    token = checkins.checkin_token(a)
    for url in (
        reverse("volunteers:register"),
        reverse("volunteers:me"),
        reverse("volunteers:activities"),
        reverse("volunteers:activity", args=[a.pk]),
        reverse("volunteers:manage", args=[a.pk]),
    ):
        answer = Client().get(url)
        assert answer.status_code == 302 and "login" in answer["Location"]
    # The check-in page offers a visitor "join" and "sign in", both coming back to the code;
    # checking in itself needs a login that keeps the link.
    url = reverse("volunteers:checkin", args=[token])
    with time_machine.travel(local(volunteering.day, 9), tick=False):
        page = Client().get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert f"{reverse('volunteers:join')}?next=/volunteers/checkin/" in html
        assert f"{reverse('accounts:login')}?next=/volunteers/checkin/" in html
        answer = Client().post(url, {"step": "in"})
        assert answer.status_code == 302 and "next=/volunteers/checkin/" in answer["Location"]
    assert not Attendance.objects.exists()


def test_me_without_registration_goes_to_the_form(world: World, client_for) -> None:
    answer = client_for("stranger").get(reverse("volunteers:me"))
    assert answer.status_code == 302 and answer["Location"] == reverse("volunteers:register")


def test_published_activities_are_listed_for_volunteers_and_drafts_are_not(
    volunteering: Volunteering, client_for
) -> None:
    page = client_for("rider").get(reverse("volunteers:activities"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "楼道杂物清理" in text and "中秋游园" not in text
    assert client_for("rider").get(reverse("volunteers:activity", args=[volunteering.draft.pk])).status_code == 404
    assert client_for("rider").get(reverse("volunteers:activity", args=[volunteering.cleanup.pk])).status_code == 200


def test_sign_up_and_cancel_from_the_phone(volunteering: Volunteering, client_for, world: World) -> None:
    a = volunteering.cleanup
    client = client_for("rider")
    answer = client.post(reverse("volunteers:sign_up", args=[a.pk]), {"role": "引导"})
    assert answer.status_code == 302
    signup = SignUp.objects.get(activity=a, volunteer=volunteering.rider)
    assert signup.state == "confirmed" and signup.role == "引导"
    again = client.post(reverse("volunteers:sign_up", args=[a.pk]), {"role": ""})
    assert again.status_code == 400 and again.context["form"].non_field_errors()
    # Someone else's sign-up cannot be cancelled from the phone: 404.
    assert client_for("resident").post(reverse("volunteers:cancel", args=[signup.pk])).status_code == 404
    assert client.post(reverse("volunteers:cancel", args=[signup.pk])).status_code == 302
    signup.refresh_from_db()
    assert signup.state == "cancelled"


def test_sign_up_with_an_unknown_role_is_shown_at_the_field(volunteering: Volunteering, client_for) -> None:
    answer = client_for("rider").post(reverse("volunteers:sign_up", args=[volunteering.cleanup.pk]), {"role": "厨师"})
    assert answer.status_code == 400 and answer.context["form"].errors.get("role")
    assert not SignUp.objects.exists()


def test_sign_up_needs_a_registration(volunteering: Volunteering, client_for) -> None:
    page = client_for("stranger").get(reverse("volunteers:activity", args=[volunteering.cleanup.pk]))
    assert reverse("volunteers:register") in page.content.decode()
    answer = client_for("stranger").post(reverse("volunteers:sign_up", args=[volunteering.cleanup.pk]), {})
    assert answer.status_code == 400
    assert not SignUp.objects.exists()


def test_manage_page_allowed_for_organisers_denied_to_others(volunteering: Volunteering, client_for) -> None:
    a = volunteering.cleanup
    signups.sign_up(actor=volunteering.rider.user, activity=a, now=volunteering.now)
    page = client_for("grid1_worker").get(reverse("volunteers:manage", args=[a.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "何*" in text and "何伟" not in text and "138****5678" in text
    for persona in ("grid2_worker", "rider", "other_admin", "stranger"):
        assert client_for(persona).get(reverse("volunteers:manage", args=[a.pk])).status_code == 404
    assert client_for("community_admin").get(reverse("volunteers:organise")).status_code == 200
    assert client_for("rider").get(reverse("volunteers:organise")).status_code == 404


def test_publish_from_the_manage_page(volunteering: Volunteering, client_for) -> None:
    draft = volunteering.draft
    url = reverse("volunteers:manage", args=[draft.pk])
    bad = client_for("grid1_worker").post(url, {"start_time": "10:00", "end_time": "09:00", "capacity": "5"})
    assert bad.status_code == 400 and bad.context["form"].errors.get("end_time")
    draft.refresh_from_db()
    assert not draft.published
    assert client_for("grid2_worker").post(url, {"start_time": "09:00", "end_time": "11:00"}).status_code == 404
    good = client_for("grid1_worker").post(
        url, {"start_time": "09:00", "end_time": "11:00", "capacity": "20", "roles_needed": "引导，摄影", "money": "50"}
    )
    assert good.status_code == 302
    draft.refresh_from_db()
    assert draft.published and draft.capacity == 20 and draft.roles_needed == ["引导", "摄影"]


def test_qr_page_shows_an_svg_of_the_absolute_checkin_link(volunteering: Volunteering, client_for) -> None:
    a = volunteering.cleanup
    page = client_for("grid1_worker").get(reverse("volunteers:qr", args=[a.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    figure = text[text.index("data-qr>") : text.index("</figure>")]
    assert figure.startswith("data-qr><svg") and "<script" not in figure
    assert "http://testserver/volunteers/checkin/" in text
    assert client_for("grid2_worker").get(reverse("volunteers:qr", args=[a.pk])).status_code == 404
    assert client_for("rider").get(reverse("volunteers:qr", args=[a.pk])).status_code == 404
    draft = client_for("grid1_worker").get(reverse("volunteers:qr", args=[volunteering.draft.pk]))
    assert draft.status_code == 200 and "<svg" not in draft.content.decode()


def test_checkin_page_checks_in_then_out(volunteering: Volunteering, client_for) -> None:
    a, day = volunteering.cleanup, volunteering.day
    url = reverse("volunteers:checkin", args=[checkins.checkin_token(a)])
    client = client_for("rider")
    with time_machine.travel(local(day, 8, 45), tick=False):
        assert client.get(url).status_code == 200
        assert client.post(url, {"step": "in"}).status_code == 302
        twice = client.post(url, {"step": "in"})
        assert twice.status_code == 400 and twice.context["error"]
        assert Attendance.objects.filter(activity=a).count() == 1
    with time_machine.travel(local(day, 10, 45), tick=False):
        assert client.post(url, {"step": "out"}).status_code == 302
        page = client.get(url)
        assert "data-checked-out" in page.content.decode()
    assert ServiceRecord.objects.filter(activity=a, volunteer=volunteering.rider).exists()


def test_checkin_page_refuses_expired_and_forged_codes(volunteering: Volunteering, client_for) -> None:
    a, day = volunteering.cleanup, volunteering.day
    token = checkins.checkin_token(a)
    client = client_for("rider")
    with time_machine.travel(local(day, 12, 1), tick=False):  # an hour after the 11:00 end
        expired = client.post(reverse("volunteers:checkin", args=[token]), {"step": "in"})
        assert expired.status_code == 400 and "data-invalid-code" in expired.content.decode()
    with time_machine.travel(local(day, 9), tick=False):
        forged = client.get(reverse("volunteers:checkin", args=[token[:-2] + "xx"]))
        assert forged.status_code == 400
        assert client.get(reverse("volunteers:checkin", args=["12345"])).status_code == 400
    assert not Attendance.objects.exists()


def test_checkin_page_for_someone_not_registered_offers_the_form(volunteering: Volunteering, client_for) -> None:
    url = reverse("volunteers:checkin", args=[checkins.checkin_token(volunteering.cleanup)])
    with time_machine.travel(local(volunteering.day, 9), tick=False):
        page = client_for("stranger").get(url)
        assert page.status_code == 200 and reverse("volunteers:register") in page.content.decode()
        client_for("stranger").post(url, {"step": "in"})
    assert not Attendance.objects.exists()


def test_attendance_by_hand_allowed_and_denied(volunteering: Volunteering, client_for) -> None:
    a, day = volunteering.cleanup, volunteering.day
    signups.sign_up(actor=volunteering.resident.user, activity=a, now=volunteering.now)
    url = reverse("volunteers:attendance", args=[a.pk])
    assert client_for("grid2_worker").get(url).status_code == 404
    assert client_for("resident").post(url, {"volunteer": volunteering.resident.pk, "step": "in"}).status_code == 404
    with time_machine.travel(local(day, 9), tick=False):
        page = client_for("grid1_worker").get(url)
        assert page.status_code == 200 and "欧*" in page.content.decode()
        stranger = client_for("grid1_worker").post(url, {"volunteer": volunteering.rider.pk, "step": "in"})
        assert stranger.status_code == 400
        answer = client_for("grid1_worker").post(url, {"volunteer": volunteering.resident.pk, "step": "in"})
        assert answer.status_code == 302
    attendance = Attendance.objects.get()
    assert attendance.method == "by_hand" and attendance.volunteer == volunteering.resident
    with time_machine.travel(local(day, 11), tick=False):
        assert (
            client_for("community_staff").post(url, {"volunteer": volunteering.resident.pk, "step": "out"}).status_code
            == 302
        )
    attendance.refresh_from_db()
    assert attendance.checked_out_at is not None


def test_key_pages_pin_their_query_counts(
    volunteering: Volunteering, client_for, django_assert_max_num_queries
) -> None:
    a = volunteering.cleanup
    for n in range(10, 22):
        v = volunteer(n)
        signups.sign_up(actor=v.user, activity=a, now=volunteering.now + timedelta(minutes=n))
    signups.publish_activity(
        actor=a.organiser,
        scope=SYSTEM_SCOPE,
        activity=volunteering.draft,
        start_time=time(14),
        end_time=time(16),
        capacity=None,
        now=volunteering.now,
    )
    organiser, rider = client_for("grid1_worker"), client_for("rider")
    with django_assert_max_num_queries(14):
        assert organiser.get(reverse("volunteers:manage", args=[a.pk])).status_code == 200
    with django_assert_max_num_queries(14):
        assert organiser.get(reverse("volunteers:attendance", args=[a.pk])).status_code == 200
    with django_assert_max_num_queries(12):
        assert rider.get(reverse("volunteers:activities")).status_code == 200
    with django_assert_max_num_queries(12):
        assert organiser.get(reverse("volunteers:organise")).status_code == 200


def test_register_offers_the_grids_of_the_riders_community(world: World, client_for) -> None:
    page = client_for("rider").get(reverse("volunteers:register")).content.decode()
    assert "一网格" in page and "二网格" in page and "另一网格" not in page


def test_an_organiser_cancels_a_sign_up_from_the_page_like_the_api(
    volunteering: Volunteering, client_for, world: World
) -> None:
    a = volunteering.cleanup
    signup = signups.sign_up(actor=world.rider, activity=a, now=volunteering.now)
    other = signups.sign_up(actor=world.resident, activity=a, now=volunteering.now)
    url = reverse("volunteers:cancel", args=[signup.pk])
    assert client_for("grid2_worker").post(url).status_code == 404  # organises nothing in grid 1
    assert client_for("grid1_helper").post(url).status_code == 404
    signup.refresh_from_db()
    assert signup.state == "confirmed"
    answer = client_for("grid1_worker").post(url)  # activities.manage in grid 1: an organiser
    assert answer.status_code == 302 and answer["Location"] == reverse("volunteers:manage", args=[a.pk])
    signup.refresh_from_db()
    assert signup.state == "cancelled"
    api = client_for("community_admin").post(f"/api/v1/volunteers/signups/{other.pk}/cancel")
    assert api.status_code == 200 and api.json()["state"] == "cancelled"
