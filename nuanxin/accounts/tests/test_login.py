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


def test_five_failures_lock_the_username_from_that_ip_for_15_minutes(world):
    for _ in range(5):
        _login(Client(), "grid1-worker", "wrong-password")
    locked = _login(Client(), "grid1-worker", PASSWORD)
    assert locked.status_code == 429 and "15" in locked.content.decode()
    # Another account from the same address, and the same account elsewhere, are unaffected.
    assert _login(Client(), "grid2-worker", PASSWORD).status_code == 302
    assert _login(Client(), "grid1-worker", PASSWORD, ip="10.0.0.2").status_code == 302


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


def _token(client, username, password):
    return client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": password}),
        content_type="application/json",
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
