"""Login, lockout (AUTH-3), session expiry (SESS-2), API tokens, no default accounts."""

import json

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client

from nuanxin.accounts.models import ApiToken, User
from nuanxin.core.models import AuditEntry
from nuanxin.testing import PASSWORD


@pytest.fixture
def argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]


def _login(client, username, password, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_fresh_database_has_no_accounts(db):
    assert User.objects.count() == 0


def test_passwords_are_stored_with_argon2(db, argon2):
    from nuanxin.accounts.actions import create_user

    user = create_user(actor=None, username="hashcheck", password=PASSWORD)
    assert user.password.startswith("argon2")


def test_login_succeeds_and_is_audited(world):
    client = Client()
    response = _login(client, "grid1-worker", PASSWORD)
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="accounts.login", actor_name="grid1-worker").exists()


def test_unknown_user_and_wrong_password_get_the_same_reply(world):
    wrong = _login(Client(), "grid1-worker", "not-the-password").content.decode()
    unknown = _login(Client(), "nobody-here", "not-the-password").content.decode()

    def error_of(page: str) -> str:
        return page.split('class="form-error"')[1].split("</div>")[0]

    assert error_of(wrong) == error_of(unknown)
    assert AuditEntry.objects.filter(action="accounts.login_failed").count() == 2


def test_five_failures_lock_the_account_from_every_address_for_15_minutes(world):
    for _ in range(5):
        _login(Client(), "grid1-worker", "wrong-password")
    locked = _login(Client(), "grid1-worker", PASSWORD)
    assert locked.status_code == 429 and "15" in locked.content.decode()
    assert locked["Retry-After"] == "900"
    # The account is locked wherever the right password comes from; other accounts are not.
    assert _login(Client(), "grid1-worker", PASSWORD, ip="10.0.0.2").status_code == 429
    assert _login(Client(), "grid2-worker", PASSWORD).status_code == 302


def test_lock_expires_after_15_minutes(world):
    with time_machine.travel("2026-01-01 08:00:00+08:00", tick=False) as clock:
        for _ in range(5):
            _login(Client(), "grid1-worker", "wrong-password")
        assert _login(Client(), "grid1-worker", PASSWORD).status_code != 302
        clock.shift(16 * 60)
        assert _login(Client(), "grid1-worker", PASSWORD).status_code == 302


def test_staff_session_expires_after_idle_time(world, settings):
    client = Client()
    with time_machine.travel("2026-01-01 08:00:00+08:00", tick=False) as clock:
        _login(client, "grid1-worker", PASSWORD)
        assert client.get("/console/").status_code == 200
        clock.shift(settings.NUANXIN_STAFF_IDLE_SECONDS + 60)
        response = client.get("/console/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_session_is_written_once_a_minute_at_most_and_stays_alive_while_used(world, settings):
    client = Client()
    with time_machine.travel("2026-01-01 08:00:00+08:00", tick=False) as clock:
        _login(client, "grid1-worker", PASSWORD)
        key = client.cookies["sessionid"].value
        client.get("/console/")
        written = Session.objects.get(session_key=key).expire_date
        clock.shift(30)
        client.get("/console/")
        assert Session.objects.get(session_key=key).expire_date == written  # not written again
        for _ in range(4):  # a request every 20 minutes: never idle for 30
            clock.shift(20 * 60)
            assert client.get("/console/").status_code == 200
        assert Session.objects.get(session_key=key).expire_date > written
        # Idle for the whole limit after the last request (less the clock's step): signed out.
        clock.shift(settings.NUANXIN_STAFF_IDLE_SECONDS)
        assert client.get("/console/").status_code == 302


def test_staff_session_ends_after_absolute_limit_even_when_active(world, settings):
    client = Client()
    with time_machine.travel("2026-01-01 08:00:00+08:00", tick=False) as clock:
        _login(client, "grid1-worker", PASSWORD)
        for _ in range(30):  # active every 25 minutes for 12.5 hours
            clock.shift(25 * 60)
            client.get("/console/")
        response = client.get("/console/")
        assert response.status_code == 302


def test_logout_needs_post(world, client_for):
    client = client_for("grid1_worker")
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/console/").status_code == 302


def _token(client, username, password, ip="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": password}),
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def test_token_grants_bearer_access_to_the_api(world):
    client = Client()
    response = _token(client, "grid1-worker", PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.get().digest != token  # only a digest is stored
    me = Client().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200 and me.json()["username"] == "grid1-worker"
    places = Client().get("/api/v1/places", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert "二号院" not in {p["name"] for p in places["items"]}


def test_token_refused_for_wrong_password_and_bad_body(world):
    client = Client()
    wrong = _token(client, "grid1-worker", "nope")
    assert wrong.status_code == 400 and wrong.json()["field"] == "password"
    missing = client.post("/api/v1/auth/token", data="{}", content_type="application/json")
    assert missing.status_code == 422 and missing.json()["field"] in ("username", "password")
    garbage = client.post("/api/v1/auth/token", data="not json", content_type="application/json")
    assert garbage.status_code in (400, 422)
    assert ApiToken.objects.count() == 0


def test_bad_bearer_token_is_401(world):
    assert Client().get("/api/v1/places", HTTP_AUTHORIZATION="Bearer forged").status_code == 401


def test_session_post_to_api_needs_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.grid1_worker)
    response = client.post(
        "/api/v1/places",
        data=json.dumps({"kind": "merchant", "name": "x", "lng": 102.7012, "lat": 24.9812}),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)


def test_token_endpoint_shares_the_lockout(world):
    client = Client()
    for _ in range(5):
        _token(client, "grid1-worker", "wrong-password")
    locked = _token(client, "grid1-worker", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out" and "token" not in locked.json()
    assert ApiToken.objects.count() == 0


def test_empty_login_form_shows_field_errors_not_a_500(world):
    response = Client().post("/accounts/login/", {"username": "", "password": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="field-error"') == 2


def test_unknown_language_choice_is_ignored(client_for, world):
    client = client_for("community_admin")
    response = client.post("/i18n/setlang/", {"language": "xx-klingon", "next": "/console/"})
    assert response.status_code == 302
    assert '<html lang="zh-hans">' in client.get("/console/").content.decode()


def test_failed_login_with_an_unknown_username_does_not_log_what_was_typed(world):
    _login(Client(), "hunter2-my-password", "whatever")
    entry = AuditEntry.objects.get(action="accounts.login_failed")
    assert "hunter2" not in entry.object_repr and "hunter2" not in str(entry.detail)
    _login(Client(), "grid1-worker", "wrong")
    assert AuditEntry.objects.filter(action="accounts.login_failed", object_repr="grid1-worker").exists()


def test_a_bearer_token_posts_without_a_csrf_cookie(world):
    """An app or script holding a token has no CSRF cookie: its POSTs must not be refused for
    it (the test client checks CSRF only when asked to, as a browser's server would)."""
    token = _token(Client(), "rider", PASSWORD).json()["token"]
    app = Client(enforce_csrf_checks=True)
    body = json.dumps({"class_code": "no-such-class", "description": "x", "lng": 102.7011, "lat": 24.9811})
    answer = app.post("/api/v1/cases", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code != 403, answer.content  # past authentication: the class is refused
    assert answer.status_code in (400, 404, 422)
    # A browser session still needs its CSRF token.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.rider)
    assert browser.post("/api/v1/cases", body, content_type="application/json").status_code == 403


# Sign-in identifiers: one account, one count, however the number is written (issue 14).

VARIANTS = ["199 5550 1234", "+8619955501234", "0086-199-5550-1234", "１９９５５５０１２３４", "199\u200b55501234"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("19955501234", "19955501234"),
        ("199 5550 1234", "19955501234"),
        ("199-5550-1234", "19955501234"),
        ("+86 199 5550 1234", "19955501234"),
        ("+8619955501234", "19955501234"),
        ("008619955501234", "19955501234"),
        ("8619955501234", "19955501234"),
        ("１９９５５５０１２３４", "19955501234"),
        ("＋８６ １９９－５５５０－１２３４", "19955501234"),
        ("199\u200b5550\u20601234", "19955501234"),
        (" grid1-worker ", "grid1-worker"),
        ("Grid1-Worker", "Grid1-Worker"),  # usernames are matched exactly: the case is kept
        ("ｇｒｉｄ１-worker", "grid1-worker"),
        ("12345", "12345"),  # not a mobile number: left as typed
        ("+1 199 5550 1234", "+119955501234"),  # another country's code is not stripped
    ],
)
def test_signin_identifier_has_one_form_per_account(typed, expected):
    from nuanxin.accounts.signin import signin_identifier

    assert signin_identifier(typed) == expected


def test_lockout_key_ignores_the_case_of_a_username():
    from nuanxin.accounts.signin import lockout_key

    assert lockout_key("Grid1-Worker") == lockout_key(" grid1-worker") == "grid1-worker"
    assert lockout_key("x" * 500) == "x" * 150


def test_a_phone_number_is_counted_under_a_keyed_hash_never_in_the_clear(volunteer_phone):
    from axes.models import AccessAttempt

    from nuanxin.accounts.signin import lockout_key

    assert lockout_key("+86 199 5550 1234") == lockout_key("19955501234") != lockout_key("19955501235")
    _login(Client(), "199 5550 1234", "wrong-password")
    _token(Client(), "+8619955501234", "wrong-password")
    [attempt] = AccessAttempt.objects.all()
    assert attempt.username.startswith("phone:") and attempt.failures_since_start == 2
    assert "5550" not in attempt.username + attempt.post_data + attempt.get_data


@pytest.fixture
def volunteer_phone(world):
    """A volunteer who joined from the phone: they sign in with 19955501234."""
    from nuanxin.volunteers.signups import actions as signups

    signups.join(name="张三", phone="19955501234", password=PASSWORD, group="resident", home_grid=world.grid1)
    return "19955501234"


@pytest.mark.parametrize("typed", VARIANTS)
def test_every_spelling_of_a_phone_number_signs_in(volunteer_phone, typed):
    assert _login(Client(), typed, PASSWORD).status_code == 302


def test_every_spelling_of_a_phone_number_counts_against_the_same_account(volunteer_phone):
    # One wrong password in each of five spellings, each from its own address: the fifth locks.
    answers = [
        _login(Client(), typed, "wrong-password", ip=f"10.0.1.{n}").status_code for n, typed in enumerate(VARIANTS)
    ]
    assert answers == [200, 200, 200, 200, 429]
    for n, typed in enumerate([volunteer_phone, *VARIANTS]):
        locked = _login(Client(), typed, PASSWORD, ip=f"10.0.2.{n}")
        assert locked.status_code == 429, typed
        assert "15" in locked.content.decode()


def test_the_api_token_endpoint_normalises_the_number_and_shares_its_count(volunteer_phone):
    for typed in VARIANTS[:3]:
        assert _token(Client(), typed, "wrong-password").status_code == 400
    for typed in VARIANTS[3:]:
        _login(Client(), typed, "wrong-password")
    locked = _token(Client(), "+86 199 5550 1234", PASSWORD)
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    assert ApiToken.objects.count() == 0


def test_a_spelling_of_the_number_gets_a_token(volunteer_phone):
    answer = _token(Client(), "＋８６ １９９ ５５５０ １２３４", PASSWORD)
    assert answer.status_code == 200 and answer.json()["token"]


def test_failures_in_other_letter_cases_count_against_the_username(world):
    for typed in ["Grid1-Worker", "GRID1-WORKER", "grid1-WORKER", " grid1-worker", "ｇｒｉｄ１-worker"]:
        _login(Client(), typed, "wrong-password", ip="10.0.3.1")
    assert _login(Client(), "grid1-worker", PASSWORD, ip="10.0.3.2").status_code == 429


def test_a_password_spray_over_40_usernames_from_one_address_is_stopped(world, settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 20
    answers = [_login(Client(), f"user{n:02d}", "Spring2026!", ip="10.9.9.9").status_code for n in range(40)]
    # The form again ("wrong username or password") 19 times; the 20th failure locks the address.
    assert answers[:19] == [200] * 19
    assert answers[19:] == [429] * 21
    # The right password of a real account from that address is refused too, with the message...
    locked = _login(Client(), "grid2-worker", PASSWORD, ip="10.9.9.9")
    assert locked.status_code == 429
    assert "该账号或此地址的登录失败次数过多，登录已暂停 15 分钟。" in locked.content.decode()
    # ... and the API's; the same account from another address is not locked.
    api = _token(Client(), "grid2-worker", PASSWORD, ip="10.9.9.9")
    assert api.status_code == 429 and api.json()["code"] == "locked_out"
    assert _login(Client(), "grid2-worker", PASSWORD, ip="10.9.9.10").status_code == 302


def test_a_spray_through_the_api_is_stopped_too(world, settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 20
    answers = [_token(Client(), f"user{n:02d}", "Spring2026!", ip="10.9.9.8").status_code for n in range(40)]
    assert answers[:19] == [400] * 19 and answers[19:] == [429] * 21
    assert _token(Client(), "grid2-worker", PASSWORD, ip="10.9.9.8").status_code == 429
    assert ApiToken.objects.count() == 0


def test_signing_in_to_ones_own_account_does_not_reset_the_address_count(world, settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 20
    for n in range(18):
        _login(Client(), f"user{n:02d}", "Spring2026!", ip="10.9.9.7")
    assert _login(Client(), "rider", PASSWORD, ip="10.9.9.7").status_code == 302
    assert _login(Client(), "user98", "Spring2026!", ip="10.9.9.7").status_code == 200  # the 19th failure
    assert _login(Client(), "user99", "Spring2026!", ip="10.9.9.7").status_code == 429  # the 20th
    assert _login(Client(), "rider", PASSWORD, ip="10.9.9.7").status_code == 429


def test_a_success_resets_the_accounts_own_failures(world):
    for _ in range(4):
        _login(Client(), "grid1-worker", "wrong-password")
    assert _login(Client(), "grid1-worker", PASSWORD).status_code == 302
    for _ in range(4):
        _login(Client(), "grid1-worker", "wrong-password")
    assert _login(Client(), "grid1-worker", PASSWORD).status_code == 302


def test_a_success_by_phone_resets_the_phones_failures(volunteer_phone):
    for _ in range(4):
        _login(Client(), "199 5550 1234", "wrong-password")
    assert _login(Client(), "+8619955501234", PASSWORD).status_code == 302
    for _ in range(4):
        _login(Client(), volunteer_phone, "wrong-password")
    assert _login(Client(), volunteer_phone, PASSWORD).status_code == 302


def test_the_address_lock_ends_after_the_cool_off(world, settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 20
    with time_machine.travel("2026-01-01 08:00:00+08:00", tick=False) as clock:
        for n in range(20):
            _login(Client(), f"user{n:02d}", "Spring2026!", ip="10.9.9.6")
        assert _login(Client(), "rider", PASSWORD, ip="10.9.9.6").status_code == 429
        clock.shift(16 * 60)
        assert _login(Client(), "rider", PASSWORD, ip="10.9.9.6").status_code == 302
