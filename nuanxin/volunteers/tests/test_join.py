"""Joining without an account (/volunteers/join/), in two steps: the mobile number gets a
one-time code by text message (here the demo mode's development sink), then the code and the
registration make the account (with a made-up username) and the volunteer registration, and
sign the person in; they can sign in with phone and password later. Bad input is shown at its
field and writes nothing; a honeypot and per-address allowances keep bots out."""

# ruff: noqa: F811 (the `volunteering` fixture is imported from test_signups)

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from nuanxin.accounts.models import User
from nuanxin.accounts.scope import scope_of
from nuanxin.core import notifications
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.core.validators import normalize_mobile
from nuanxin.testing import World
from nuanxin.volunteers.models import Volunteer
from nuanxin.volunteers.signups import actions as signups
from nuanxin.volunteers.signups import checkins
from nuanxin.volunteers.tests.test_signups import Volunteering, local, volunteering  # noqa: F401

PASSWORD = "warm-tea-4-riders"
PHONE = "137 0000 1111"
URL = "/volunteers/join/"


@pytest.fixture(autouse=True)
def _demo_sink(settings: Any) -> Any:
    """Codes go to the development sink (demo mode, no SMS gateway)."""
    settings.NUANXIN_DEMO = True
    settings.NUANXIN_PRODUCTION = False
    settings.NUANXIN_SMS_WEBHOOK_URL = ""
    notifications.dev_texts.clear()
    yield
    notifications.dev_texts.clear()


def account_of(phone: str) -> Any:
    """The account that joined with this phone (its username is made up, not the phone)."""
    return Volunteer.objects.select_related("user").get(phone_index=signups.phone_index(phone)).user


def code_sent_to(phone: str) -> str:
    """The code in the last text message the development sink took for this phone."""
    number = normalize_mobile(phone)
    texts = [text for to, text in notifications.dev_texts if to == number]
    assert texts, f"no code went to {number}"
    found = re.search(r"\d{6}", texts[-1])
    assert found is not None
    return found.group(0)


def form(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "step": "join",
        "name": "阿卜杜热合曼·买买提",
        "password": PASSWORD,
        "password2": PASSWORD,
        "group": "rider",
        "employer": "饿了么",
        "home_grid": world.grid1.pk,
        "website": "",
    }
    return data | changes


def send_code(client: Client, phone: str = PHONE, **extra: Any) -> Any:
    return client.post(URL, {"step": "phone", "phone": phone, "website": ""} | extra)


def join(client: Client, world: World, phone: str = PHONE, **changes: Any) -> Any:
    """Both steps: the number, then the code with the registration (`changes` to the second)."""
    sent = send_code(client, phone, **({"next": changes["next"]} if "next" in changes else {}))
    assert sent.status_code == 200, sent.context["form"].errors if sent.context else sent.status_code
    second = form(world, code=code_sent_to(phone), phone_token=sent.context["phone_token"]) | changes
    return client.post(URL, second)


def test_join_page_is_for_visitors(world: World, client_for) -> None:
    page = Client().get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="phone"' in html and 'name="website"' in html and "<script>" not in html
    assert 'name="password"' not in html  # the number comes first
    # Signed in already: a volunteer goes home, anyone else to the registration form.
    assert client_for("stranger").get(URL)["Location"] == reverse("volunteers:register")
    signups.register_volunteer(
        actor=world.resident,
        scope=scope_of(world.resident),
        user=world.resident,
        name="欧阳娜娜",
        phone="13912345678",
        group="resident",
    )
    assert client_for("resident").get(URL)["Location"] == reverse("field")


def test_the_code_step_asks_for_the_code_and_shows_the_demo_text(world: World) -> None:
    page = send_code(Client())
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="code"' in html and 'name="password"' in html
    assert world.grid1.name in html and world.grid2.name in html
    assert "137****1111" in html and "13700001111" not in html
    assert "data-dev-sink" in html and code_sent_to(PHONE) in html
    assert not User.objects.filter(display_name="阿卜杜热合曼·买买提").exists()
    sent = AuditEntry.objects.get(action="phone_code.sent")
    assert sent.detail == {"purpose": "join", "channel": "dev"}


def test_a_rider_joins_with_the_code_and_signs_in_with_phone_and_password(world: World) -> None:
    client = Client()
    answer = join(client, world)
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


def test_a_resident_joins_too(world: World) -> None:
    answer = join(Client(), world, phone="13900002222", group="resident", employer="")
    assert answer.status_code == 302
    user = account_of("13900002222")
    assert Volunteer.objects.get(user=user).group == "resident"
    assert not user.role_grants.exists()


def test_a_wrong_code_makes_no_account_and_five_wrong_tries_spend_it(world: World, settings) -> None:
    client = Client()
    sent = send_code(client)
    right = code_sent_to(PHONE)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    token = sent.context["phone_token"]
    for _n in range(4):
        answer = client.post(URL, form(world, code=wrong, phone_token=token))
        assert answer.status_code == 400 and answer.context["form"].errors["code"]
    assert not Volunteer.objects.filter(phone_index=signups.phone_index("13700001111")).exists()
    # The fifth wrong try forgets the code: even the right one is refused now.
    client.post(URL, form(world, code=wrong, phone_token=token))
    refused = client.post(URL, form(world, code=right, phone_token=token))
    assert refused.status_code == 400 and refused.context["form"].errors["code"]
    assert not Volunteer.objects.filter(phone_index=signups.phone_index("13700001111")).exists()
    assert AuditEntry.objects.filter(action="phone_code.exhausted", result="denied").exists()
    # A new code works.
    assert join(client, world).status_code == 302


def test_a_code_expires(world: World) -> None:
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        sent = send_code(client)
        clock.shift(timedelta(minutes=11))
        late = client.post(URL, form(world, code=code_sent_to(PHONE), phone_token=sent.context["phone_token"]))
    assert late.status_code == 400
    assert not Volunteer.objects.filter(phone_index=signups.phone_index("13700001111")).exists()


def test_a_code_is_for_its_number_only(world: World) -> None:
    client = Client()
    mine = send_code(client, "13700002222")
    send_code(client)  # the attacker's own number gets a code; the token is for the other one
    answer = client.post(URL, form(world, code=code_sent_to(PHONE), phone_token=mine.context["phone_token"]))
    assert answer.status_code == 400 and answer.context["form"].errors["code"]
    forged = client.post(URL, form(world, code=code_sent_to(PHONE), phone_token="13700002222"))
    assert forged.status_code == 400
    indexes = [signups.phone_index(p) for p in ("13700001111", "13700002222")]
    assert not Volunteer.objects.filter(phone_index__in=indexes).exists()


def test_the_code_is_kept_hashed(world: World) -> None:
    from django.core.cache import caches
    from django.db import connection

    send_code(Client())
    code = code_sent_to(PHONE)
    assert caches["ratelimit"].__class__.__name__ == "CounterDatabaseCache"
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key, value FROM nuanxin_ratelimit")
        rows = cursor.fetchall()
    assert rows
    import base64
    import pickle

    stored = " ".join(f"{key} {pickle.loads(base64.b64decode(value))}" for key, value in rows)  # noqa: S301
    assert code not in stored and "13700001111" not in stored


def test_outside_demo_mode_without_a_gateway_joining_is_closed(world: World, settings) -> None:
    settings.NUANXIN_DEMO = False
    answer = send_code(Client())
    assert answer.status_code == 400 and answer.context["form"].errors["phone"]
    assert not notifications.dev_texts
    settings.NUANXIN_DEMO = True
    settings.NUANXIN_PRODUCTION = True  # production never uses the development sink
    assert send_code(Client()).status_code == 400 and not notifications.dev_texts


def test_codes_to_one_number_are_limited(world: World, settings) -> None:
    settings.RATE_LIMIT_PHONE_CODE = (2, 3600)
    for _n in range(2):
        assert send_code(Client(REMOTE_ADDR=f"10.0.0.{_n + 1}")).status_code == 200
    over = send_code(Client(REMOTE_ADDR="10.0.0.9"))
    assert over.status_code == 429 and int(over["Retry-After"]) > 0
    assert over.context["form"].errors["phone"]
    assert len(notifications.dev_texts) == 2


def _existing_volunteer(world: World) -> None:
    signups.register_volunteer(
        actor=world.rider,
        scope=scope_of(world.rider),
        user=world.rider,
        name="何伟",
        phone="13700001111",
        group="rider",
        home_grid=world.grid1,
    )


def _existing_account(world: World) -> None:
    from nuanxin.accounts.actions import create_user

    create_user(actor=None, username="13700001111", password=None)


@pytest.mark.parametrize(
    ("phone", "field", "before"),
    [
        (PHONE, "phone", _existing_volunteer),
        ("+86 137-0000-1111", "phone", _existing_account),
        ("555", "phone", None),
        ("", "phone", None),
    ],
)
def test_a_bad_or_registered_number_gets_no_code(world: World, phone: str, field: str, before: Any) -> None:
    if before is not None:
        before(world)
    answer = send_code(Client(), phone)
    assert answer.status_code == 400
    assert answer.context["form"].errors.get(field), answer.context["form"].errors
    assert not notifications.dev_texts


def test_the_honeypot_sends_no_code(world: World) -> None:
    answer = send_code(Client(), website="http://spam.example")
    assert answer.status_code == 400 and answer.context["form"].errors["website"]
    assert not notifications.dev_texts


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "12345678", "password2": "12345678"}, "password"),
        ({"password": "short", "password2": "short"}, "password"),
        ({"password": "13700001111", "password2": "13700001111"}, "password"),
        ({"password2": "warm-tea-4-drivers"}, "password2"),
        ({"website": "http://spam.example"}, "website"),
        ({"name": "张3"}, "name"),
        ({"name": "<b>李</b>"}, "name"),
        ({"home_grid": ""}, "home_grid"),
        ({"home_grid": "999999"}, "home_grid"),
        ({"group": "staff"}, "group"),
        ({"employer": "<script>x</script>"}, "employer"),
        ({"code": ""}, "code"),
    ],
)
def test_bad_input_is_shown_at_the_field_and_writes_nothing(world: World, changes: dict[str, Any], field: str) -> None:
    users, volunteers = User.objects.count(), Volunteer.objects.count()
    entries = AuditEntry.objects.filter(action__in=["accounts.joined", "accounts.user_created"]).count()
    client = Client()
    answer = join(client, world, **changes)
    assert answer.status_code == 400
    assert answer.context["form"].errors.get(field), answer.context["form"].errors
    assert (User.objects.count(), Volunteer.objects.count()) == (users, volunteers)
    assert AuditEntry.objects.filter(action__in=["accounts.joined", "accounts.user_created"]).count() == entries
    assert "_auth_user_id" not in client.session
    # Passwords are never sent back.
    assert PASSWORD not in answer.content.decode()
    # The code still works once the mistake is put right.
    if field != "code":
        again = client.post(URL, form(world, code=code_sent_to(PHONE), phone_token=answer.context["phone_token"]))
        assert again.status_code == 302


def test_a_registered_phone_gets_one_message_whatever_it_belongs_to(world: World) -> None:
    _existing_account(world)
    by_account = send_code(Client()).context["form"].errors["phone"]
    User.objects.filter(username="13700001111").delete()
    _existing_volunteer(world)
    by_volunteer = send_code(Client()).context["form"].errors["phone"]
    assert by_account == by_volunteer


def test_join_action_refuses_a_taken_phone_naming_it(world: World) -> None:
    _existing_volunteer(world)
    accounts = User.objects.count()
    with pytest.raises(DomainError) as exc:
        signups.join(name="李雷", phone="13700001111", password=PASSWORD, group="resident", home_grid=world.grid2)
    assert exc.value.field == "phone" and exc.value.code == "registered"
    assert User.objects.count() == accounts  # no second account


def test_joins_from_one_address_are_limited(world: World, settings) -> None:
    settings.RATE_LIMIT_JOIN = (2, 3600)
    start = datetime.now(UTC).replace(minute=5, second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        for n in range(2):
            assert join(Client(), world, phone=f"1370000000{n}").status_code == 302
        over = send_code(Client(), "13700000009")
        assert over.status_code == 429 and over["Retry-After"] == str(55 * 60)
        assert "data-join-limited" in over.content.decode()
        assert all(to != "13700000009" for to, _text in notifications.dev_texts)  # no code for the refused one
        assert AuditEntry.objects.filter(action="accounts.join_limited", result="denied").exists()
        # Another address still joins.
        assert join(Client(REMOTE_ADDR="10.0.0.9"), world, phone="13700000008").status_code == 302
    # An hour later this one does again.
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        assert join(Client(), world, phone="13700000007").status_code == 302
    assert not Volunteer.objects.filter(phone_index=signups.phone_index("13700000009")).exists()


def test_attempts_are_limited_too(world: World, settings) -> None:
    settings.RATE_LIMIT_JOIN_ATTEMPT = (3, 3600)
    for _n in range(3):
        assert send_code(Client(), "555").status_code == 400
    refused = send_code(Client())
    assert refused.status_code == 429 and refused["Retry-After"]
    assert not notifications.dev_texts


def test_the_limit_is_per_client_behind_the_trusted_proxy(world: World, settings) -> None:
    settings.RATE_LIMIT_JOIN = (1, 3600)
    settings.AXES_IPWARE_PROXY_COUNT = 1
    first = Client(HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert join(first, world, phone="13700000001").status_code == 302
    assert send_code(Client(HTTP_X_FORWARDED_FOR="203.0.113.5"), "13700000002").status_code == 429
    assert join(Client(HTTP_X_FORWARDED_FOR="203.0.113.6"), world, phone="13700000003").status_code == 302


def test_join_needs_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert send_code(client).status_code == 403
    assert client.post(URL, form(world, code="123456", phone_token="x")).status_code == 403
    assert not notifications.dev_texts


def test_join_from_a_checkin_code_comes_back_to_it(volunteering: Volunteering, world: World) -> None:
    token = checkins.checkin_token(volunteering.cleanup)
    checkin = reverse("volunteers:checkin", args=[token])
    with time_machine.travel(local(volunteering.day, 9), tick=False):
        client = Client()
        page = client.get(f"{URL}?next={checkin}")
        assert f'value="{checkin}"' in page.content.decode()
        answer = join(client, world, next=checkin)
        assert answer.status_code == 302 and answer["Location"] == checkin
        assert client.post(checkin, {"step": "in"}).status_code == 302
        assert volunteering.cleanup.attendances.filter(volunteer__user=account_of("13700001111")).exists()


def test_join_ignores_a_foreign_next(world: World) -> None:
    answer = join(Client(), world, next="https://evil.example/x")
    assert answer.status_code == 302 and answer["Location"] == reverse("field")


def test_the_login_page_links_to_join(world: World) -> None:
    page = Client().get(reverse("accounts:login"))
    assert reverse("volunteers:join") in page.content.decode()
