"""Two-step verification (TOTP): who needs it, enrolment, verification, recovery codes,
throttling, API tokens, the demo exemption and the admin reset (docs/accounts-mfa.md)."""

import json
import re
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from nuanxin.accounts import actions as account_actions
from nuanxin.accounts import mfa
from nuanxin.accounts.models import ApiToken
from nuanxin.accounts.roles import Role
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.testing import PASSWORD

SETUP = "/accounts/mfa/setup/"
VERIFY = "/accounts/mfa/verify/"
START = "2026-03-02 09:00:00+08:00"

# Decided per role (docs/accounts-mfa.md); a new role fails test_every_role_is_decided.
NEEDS_MFA = {
    Role.SYSTEM_ADMIN: True,
    Role.DISTRICT_ADMIN: True,
    Role.DISTRICT_STAFF: True,
    Role.STREET_ADMIN: True,
    Role.STREET_STAFF: True,
    Role.COMMUNITY_ADMIN: True,
    Role.COMMUNITY_STAFF: True,
    Role.GRID_LEADER: True,  # sees key persons, reveals ID numbers
    Role.GRID_WORKER: True,  # reveals ID numbers
    Role.GRID_HELPER: False,
    Role.MOBILE_REPORTER: False,
    Role.RESIDENT: False,
    Role.PARTNER_REP: False,
    Role.AUDITOR: True,  # reads the whole installation's audit trail
}


@pytest.fixture
def mfa_on(settings):
    settings.NUANXIN_MFA_REQUIRED = True
    settings.NUANXIN_DEMO = False


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def _login(client: Client, username: str) -> None:
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, username


def _enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = mfa.start_enrolment(actor=user)
    codes = mfa.confirm_enrolment(actor=user, code=_code(device))
    device.refresh_from_db()
    return device, codes


def _user_with(world, role: str):
    where = {
        Role.DISTRICT_ADMIN: {"area": world.district},
        Role.DISTRICT_STAFF: {"area": world.district},
        Role.STREET_ADMIN: {"area": world.street},
        Role.STREET_STAFF: {"area": world.street},
        Role.COMMUNITY_ADMIN: {"area": world.community},
        Role.COMMUNITY_STAFF: {"area": world.community},
        Role.GRID_LEADER: {"area": world.grid1},
        Role.GRID_WORKER: {"area": world.grid1},
        Role.GRID_HELPER: {"area": world.grid1},
        Role.MOBILE_REPORTER: {"area": world.community},
        Role.RESIDENT: {"area": world.community},
        Role.PARTNER_REP: {"unit": world.station},
    }.get(Role(role), {})
    user = account_actions.create_user(actor=world.system_admin, username=f"mfa-{role}", password=PASSWORD)
    account_actions.grant_role(actor=world.system_admin, user=user, role=role, **where)
    return user


# who needs it


def test_every_role_is_decided():
    assert set(NEEDS_MFA) == set(Role)


@pytest.mark.parametrize("role", list(Role))
def test_mfa_is_required_for_roles_that_reveal_or_act_on_a_community_or_above(world, mfa_on, role):
    user = _user_with(world, role)
    assert mfa.mfa_required(user) is NEEDS_MFA[role]


def test_django_admin_access_alone_needs_mfa(world, mfa_on):
    stranger = world.stranger
    assert not mfa.mfa_required(stranger)
    stranger.is_staff = True
    assert mfa.mfa_required(stranger)


def test_nobody_needs_mfa_when_it_is_turned_off(world, settings):
    settings.NUANXIN_MFA_REQUIRED = False
    assert not mfa.mfa_required(world.system_admin)


def test_demo_logins_are_exempt_in_demo_mode_only(world, mfa_on, settings):
    community = account_actions.create_user(actor=world.system_admin, username="community", password=PASSWORD)
    account_actions.grant_role(actor=world.system_admin, user=community, role="community_admin", area=world.community)
    assert mfa.mfa_required(community)
    settings.NUANXIN_DEMO = True
    assert not mfa.mfa_required(community)
    assert mfa.mfa_required(world.community_admin)  # not a demo login: no exemption in demo mode either
    client = Client()
    _login(client, "community")
    assert client.get("/console/").status_code == 200


def test_demo_logins_are_the_readme_logins():
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    table = readme.split("## Demo logins", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `([\w-]+)` \|", table, flags=re.MULTILINE)) == mfa.DEMO_LOGINS


# enrolment and verification through the pages


def test_first_sign_in_enrols_then_the_next_sign_in_verifies(world, mfa_on):
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        _login(client, "community-admin")
        response = client.get("/console/")
        assert response.status_code == 302 and response["Location"].startswith(SETUP + "?next=")
        page = client.get(response["Location"])
        assert page.status_code == 200 and "<svg" in page.content.decode()
        assert "设置两步验证" in page.content.decode()  # translated
        device = TOTPDevice.objects.get(user=world.community_admin, confirmed=False)
        assert mfa.secret_of(device) in page.content.decode()

        wrong = client.post(SETUP, {"otp": "000000" if _code(device) != "000000" else "111111"})
        assert wrong.status_code == 400 and 'class="field-error"' in wrong.content.decode()
        clock.shift(60)
        done = client.post(SETUP, {"otp": _code(device), "next": "/console/"})
        assert done.status_code == 200
        shown = re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())
        assert len(shown) == 10 and set(shown) == set(StaticToken.objects.values_list("token", flat=True))
        assert client.get("/console/").status_code == 200
        assert client.get(SETUP).status_code == 302  # shown once: no second look at the codes
        assert AuditEntry.objects.filter(action="accounts.mfa_enrolled", actor_name="community-admin").exists()
        assert AuditEntry.objects.filter(action="accounts.mfa_failed", result="failed").count() == 1

        client.post("/accounts/logout/")
        clock.shift(60)
        _login(client, "community-admin")
        response = client.get("/console/")
        assert response.status_code == 302 and response["Location"].startswith(VERIFY + "?next=")
        device.refresh_from_db()
        assert client.post(VERIFY, {"otp": "12345"}).status_code == 400
        assert client.get("/console/").status_code == 302
        clock.shift(60)
        passed = client.post(VERIFY, {"otp": _code(device), "next": "/console/"})
        assert passed.status_code == 302 and passed["Location"] == "/console/"
        assert client.get("/console/").status_code == 200
        assert AuditEntry.objects.filter(action="accounts.mfa_verified", actor_name="community-admin").exists()


def test_a_recovery_code_signs_in_once(world, mfa_on):
    _device, codes = _enrol(world.grid1_worker)
    client = Client()
    _login(client, "grid1-worker")
    assert client.post(VERIFY, {"otp": codes[0].upper()}).status_code == 302
    assert client.get("/console/").status_code == 200
    entry = AuditEntry.objects.get(action="accounts.mfa_recovery_code_used")
    assert entry.detail["left"] == 9
    again = Client()
    _login(again, "grid1-worker")
    assert again.post(VERIFY, {"otp": codes[0]}).status_code == 400
    assert again.get("/console/").status_code == 302


def test_wrong_codes_are_throttled_even_before_a_right_one(world, mfa_on):
    with time_machine.travel(START, tick=False) as clock:
        device, _codes = _enrol(world.grid1_leader)
        clock.shift(60)
        client = Client()
        _login(client, "grid1-leader")
        client.post(VERIFY, {"otp": "000000" if _code(device) != "000000" else "111111"})
        throttled = client.post(VERIFY, {"otp": _code(device)})
        assert throttled.status_code == 400 and client.get("/console/").status_code == 302
        with pytest.raises(DomainError) as refused:
            mfa.verify_second_factor(actor=world.grid1_leader, code=_code(device))
        assert refused.value.code == "throttled" and refused.value.field == "otp"
        clock.shift(5)
        assert client.post(VERIFY, {"otp": _code(device)}).status_code == 302


def test_an_enrolled_account_cannot_enrol_again_with_its_password_alone(world, mfa_on):
    _enrol(world.community_admin)
    client = Client()
    _login(client, "community-admin")
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    with pytest.raises(DomainError):
        mfa.start_enrolment(actor=world.community_admin)


def test_unverified_account_may_sign_out_and_reach_static_files_and_the_phone_app(world, mfa_on):
    client = Client()
    _login(client, "grid1-worker")
    assert client.get("/console/").status_code == 302
    assert client.get("/static/nuanxin/app.css").status_code == 200
    for url in ("/sw.js", "/manifest.webmanifest", "/offline/"):  # the phone app's, on every page
        assert client.get(url).status_code == 200, url
    out = client.post("/accounts/logout/")
    assert out.status_code == 302 and "/accounts/login/" in out["Location"]


def test_htmx_requests_are_sent_to_the_verify_page_by_header(world, mfa_on):
    _enrol(world.grid1_worker)
    client = Client()
    _login(client, "grid1-worker")
    response = client.get("/console/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(VERIFY)


def test_accounts_without_mfa_are_not_stopped(world, mfa_on):
    client = Client()
    _login(client, "grid1-helper")
    assert client.get("/console/").status_code == 200
    assert client.get(SETUP).status_code == 302  # nothing to set up: home


def test_mfa_pages_send_anonymous_visitors_to_sign_in(db, mfa_on):
    for url in (SETUP, VERIFY):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# the API


def test_session_api_call_before_the_second_step_is_403(world, mfa_on):
    client = Client()
    _login(client, "community-admin")
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 403 and response.json()["code"] == "mfa_required"


def _token(otp=None, username="grid1-worker"):
    body = {"username": username, "password": PASSWORD} | ({"otp": otp} if otp is not None else {})
    return Client().post("/api/v1/auth/token", data=json.dumps(body), content_type="application/json")


def test_api_token_needs_the_second_factor(world, mfa_on):
    with time_machine.travel(START, tick=False) as clock:
        device, _codes = _enrol(world.grid1_worker)
        clock.shift(60)
        missing = _token()
        assert missing.status_code == 400 and missing.json()["field"] == "otp"
        assert missing.json()["code"] == "otp_required"
        wrong = _token("000000" if _code(device) != "000000" else "111111")
        assert wrong.status_code == 400 and wrong.json()["field"] == "otp"
        assert ApiToken.objects.count() == 0
        clock.shift(60)
        issued = _token(_code(device))
        assert issued.status_code == 200 and issued.json()["token"]
        assert ApiToken.objects.count() == 1


def test_api_token_for_an_account_not_enrolled_asks_for_enrolment(world, mfa_on):
    response = _token("123456")
    assert response.status_code == 400 and response.json()["code"] == "mfa_not_enrolled"


def test_api_token_without_mfa_needs_no_code(world, mfa_on):
    assert _token(username="grid1-helper").status_code == 200


# the admin reset


def test_system_admin_resets_a_users_devices_from_the_admin(world, client_for):
    _enrol(world.grid1_worker)
    response = client_for("system_admin").post(
        "/admin/accounts/user/",
        {"action": "reset_two_step", "_selected_action": [str(world.grid1_worker.pk)]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.grid1_worker).exists()
    assert not StaticDevice.objects.filter(user=world.grid1_worker).exists()
    assert AuditEntry.objects.filter(action="accounts.mfa_reset", object_id=str(world.grid1_worker.pk)).exists()


def test_only_a_system_admin_may_reset(world):
    _enrol(world.grid1_worker)
    with pytest.raises(DomainError) as refused:
        mfa.reset_mfa(actor=world.community_admin, user=world.grid1_worker)
    assert refused.value.code == "forbidden"
    assert TOTPDevice.objects.filter(user=world.grid1_worker).exists()


def test_devices_are_not_edited_in_the_django_admin(world, client_for):
    assert client_for("system_admin").get("/admin/otp_totp/totpdevice/").status_code == 404
