"""Joining without an account (/volunteers/join/): one post makes the account (with a made-up
username) and the volunteer registration, signs the person in, and they can sign in with
phone and password later. Bad input is shown at its field and writes nothing; a honeypot and
a per-address allowance keep bots out."""

# ruff: noqa: F811 (the `volunteering` fixture is imported from test_signups)

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from nuanxin.accounts.models import User
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.testing import World
from nuanxin.volunteers import signups
from nuanxin.volunteers.models import Volunteer
from nuanxin.volunteers.tests.test_signups import Volunteering, local, volunteering  # noqa: F401

PASSWORD = "warm-tea-4-riders"


@pytest.fixture(autouse=True)
def _fresh_allowances() -> Any:
    """The join allowances live in the cache, which outlives a test's database."""
    cache.clear()
    yield
    cache.clear()


def account_of(phone: str) -> Any:
    """The account that joined with this phone (its username is made up, not the phone)."""
    return Volunteer.objects.select_related("user").get(phone_index=signups.phone_index(phone)).user


def form(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "name": "阿卜杜热合曼·买买提",
        "phone": "137 0000 1111",
        "password": PASSWORD,
        "password2": PASSWORD,
        "group": "rider",
        "employer": "饿了么",
        "home_grid": world.grid1.pk,
        "website": "",
    }
    return data | changes


def test_join_page_is_for_visitors(world: World, client_for) -> None:
    page = Client().get(reverse("volunteers:join"))
    assert page.status_code == 200
    html = page.content.decode()
    assert world.grid1.name in html and world.grid2.name in html
    assert 'name="website"' in html and "<script>" not in html
    # Signed in already: a volunteer goes home, anyone else to the registration form.
    assert client_for("stranger").get(reverse("volunteers:join"))["Location"] == reverse("volunteers:register")
    signups.register_volunteer(
        actor=world.resident, user=world.resident, name="欧阳娜娜", phone="13912345678", group="resident"
    )
    assert client_for("resident").get(reverse("volunteers:join"))["Location"] == reverse("field")


def test_a_rider_joins_in_one_post_and_signs_in_with_phone_and_password(world: World) -> None:
    client = Client()
    answer = client.post(reverse("volunteers:join"), form(world))
    assert answer.status_code == 302 and answer["Location"] == reverse("field")
    user = account_of("13700001111")
    assert user.display_name == "阿卜杜热合曼·买买提" and user.check_password(PASSWORD)
    v = Volunteer.objects.get(user=user)
    assert (v.name, v.phone, v.group, v.employer, v.home_grid) == (
        "阿卜杜热合曼·买买提",
        "13700001111",
        "rider",
        "饿了么",
        world.grid1,
    )
    assert user.role_grants.filter(role="mobile_reporter", area=world.community).exists()
    # Signed in straight away.
    assert client.get(reverse("volunteers:me")).status_code == 200
    joined = AuditEntry.objects.get(action="accounts.joined")
    assert joined.actor_id == user.pk and "13700001111" not in str(joined.detail)
    assert "阿卜杜热合曼" not in joined.object_repr
    assert AuditEntry.objects.filter(action="volunteers.registered", actor_id=user.pk).exists()
    # Later, from another phone: the phone number and the password sign them in.
    other = Client()
    signed = other.post(reverse("accounts:login"), {"username": "13700001111", "password": PASSWORD})
    assert signed.status_code == 302
    assert other.get(reverse("volunteers:me")).status_code == 200
    wrong = Client().post(reverse("accounts:login"), {"username": "13700001111", "password": "wrong-one-here"})
    assert wrong.status_code == 200


def test_a_resident_joins_too(world: World) -> None:
    answer = Client().post(reverse("volunteers:join"), form(world, group="resident", employer="", phone="13900002222"))
    assert answer.status_code == 302
    user = account_of("13900002222")
    assert Volunteer.objects.get(user=user).group == "resident"
    assert not user.role_grants.exists()


def _existing_volunteer(world: World) -> None:
    signups.register_volunteer(
        actor=world.rider, user=world.rider, name="何伟", phone="13700001111", group="rider", home_grid=world.grid1
    )


def _existing_account(world: World) -> None:
    from nuanxin.accounts.actions import create_user

    create_user(actor=None, username="13700001111", password=None)


@pytest.mark.parametrize(
    ("changes", "field", "before"),
    [
        ({}, "phone", _existing_volunteer),
        ({"phone": "+86 137-0000-1111"}, "phone", _existing_account),
        ({"password": "12345678", "password2": "12345678"}, "password", None),
        ({"password": "short", "password2": "short"}, "password", None),
        ({"password": "13700001111", "password2": "13700001111"}, "password", None),
        ({"password2": "warm-tea-4-drivers"}, "password2", None),
        ({"website": "http://spam.example"}, "website", None),
        ({"name": "张3"}, "name", None),
        ({"name": "<b>李</b>"}, "name", None),
        ({"phone": "555"}, "phone", None),
        ({"home_grid": ""}, "home_grid", None),
        ({"home_grid": "999999"}, "home_grid", None),
        ({"group": "staff"}, "group", None),
        ({"employer": "<script>x</script>"}, "employer", None),
    ],
)
def test_bad_input_is_shown_at_the_field_and_writes_nothing(
    world: World, changes: dict[str, Any], field: str, before: Any
) -> None:
    if before is not None:
        before(world)
    users, volunteers = User.objects.count(), Volunteer.objects.count()
    entries = AuditEntry.objects.filter(action__in=["accounts.joined", "accounts.user_created"]).count()
    client = Client()
    answer = client.post(reverse("volunteers:join"), form(world, **changes))
    assert answer.status_code == 400
    assert answer.context["form"].errors.get(field), answer.context["form"].errors
    assert (User.objects.count(), Volunteer.objects.count()) == (users, volunteers)
    assert AuditEntry.objects.filter(action__in=["accounts.joined", "accounts.user_created"]).count() == entries
    assert "_auth_user_id" not in client.session
    # Passwords are never sent back.
    assert PASSWORD not in answer.content.decode()


def test_a_registered_phone_gets_one_message_whatever_it_belongs_to(world: World) -> None:
    _existing_account(world)
    by_account = Client().post(reverse("volunteers:join"), form(world)).context["form"].errors["phone"]
    User.objects.filter(username="13700001111").delete()
    _existing_volunteer(world)
    by_volunteer = Client().post(reverse("volunteers:join"), form(world)).context["form"].errors["phone"]
    assert by_account == by_volunteer


def test_join_action_refuses_a_taken_phone_naming_it(world: World) -> None:
    _existing_volunteer(world)
    accounts = User.objects.count()
    with pytest.raises(DomainError) as exc:
        signups.join(name="李雷", phone="13700001111", password=PASSWORD, group="resident", home_grid=world.grid2)
    assert exc.value.field == "phone" and exc.value.code == "registered"
    assert User.objects.count() == accounts  # no second account


def test_joins_from_one_address_are_limited(world: World, settings) -> None:
    settings.NUANXIN_JOIN_LIMIT_PER_HOUR = 2
    url = reverse("volunteers:join")
    for n in range(2):
        assert Client().post(url, form(world, phone=f"1370000000{n}")).status_code == 302
    over = Client().post(url, form(world, phone="13700000009"))
    assert over.status_code == 429
    assert not Volunteer.objects.filter(phone_index=signups.phone_index("13700000009")).exists()
    assert AuditEntry.objects.filter(action="accounts.join_limited", result="denied").exists()
    # Another address still joins; an hour later this one does again.
    assert Client(REMOTE_ADDR="10.0.0.9").post(url, form(world, phone="13700000008")).status_code == 302
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2), tick=False):
        assert Client().post(url, form(world, phone="13700000007")).status_code == 302


def test_attempts_are_limited_too(world: World, monkeypatch) -> None:
    from nuanxin.volunteers import signup_views

    monkeypatch.setattr(signup_views, "JOIN_ATTEMPTS_PER_HOUR", 3)
    url = reverse("volunteers:join")
    for _n in range(3):
        assert Client().post(url, form(world, password2="different-pass-1")).status_code == 400
    assert Client().post(url, form(world)).status_code == 429
    assert not Volunteer.objects.filter(phone_index=signups.phone_index("13700001111")).exists()


def test_the_limit_is_per_client_behind_the_trusted_proxy(world: World, settings) -> None:
    settings.NUANXIN_JOIN_LIMIT_PER_HOUR = 1
    settings.AXES_IPWARE_PROXY_COUNT = 1
    url = reverse("volunteers:join")
    first = Client(HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert first.post(url, form(world, phone="13700000001")).status_code == 302
    assert Client(HTTP_X_FORWARDED_FOR="203.0.113.5").post(url, form(world, phone="13700000002")).status_code == 429
    assert Client(HTTP_X_FORWARDED_FOR="203.0.113.6").post(url, form(world, phone="13700000003")).status_code == 302


def test_join_needs_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("volunteers:join"), form(world)).status_code == 403
    assert not Volunteer.objects.filter(phone_index=signups.phone_index("13700001111")).exists()


def test_join_from_a_checkin_code_comes_back_to_it(volunteering: Volunteering, world: World) -> None:
    token = signups.checkin_token(volunteering.cleanup)
    checkin = reverse("volunteers:checkin", args=[token])
    with time_machine.travel(local(volunteering.day, 9), tick=False):
        client = Client()
        page = client.get(f"{reverse('volunteers:join')}?next={checkin}")
        assert f'value="{checkin}"' in page.content.decode()
        answer = client.post(reverse("volunteers:join"), form(world, next=checkin))
        assert answer.status_code == 302 and answer["Location"] == checkin
        assert client.post(checkin, {"step": "in"}).status_code == 302
        assert volunteering.cleanup.attendances.filter(volunteer__user=account_of("13700001111")).exists()


def test_join_ignores_a_foreign_next(world: World) -> None:
    answer = Client().post(reverse("volunteers:join"), form(world, next="https://evil.example/x"))
    assert answer.status_code == 302 and answer["Location"] == reverse("field")


def test_the_login_page_links_to_join(world: World) -> None:
    page = Client().get(reverse("accounts:login"))
    assert reverse("volunteers:join") in page.content.decode()
