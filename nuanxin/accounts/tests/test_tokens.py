"""API tokens: revoked with the password, the account or a role; revocable by their holder and
by an admin; idle ones stop working; the photos an API answer links to open with the token."""

import json

import pytest
import time_machine
from django.test import Client

from nuanxin.accounts.models import ApiToken
from nuanxin.core.models import AuditEntry
from nuanxin.testing import PASSWORD, photo_upload


def _issue(username: str = "grid1-worker") -> str:
    answer = Client().post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": PASSWORD}),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _works(token: str) -> bool:
    status = Client().get("/api/v1/auth/me", **_bearer(token)).status_code
    assert status in (200, 401)
    return status == 200


def _revocations(reason: str) -> list[AuditEntry]:
    return [
        entry
        for entry in AuditEntry.objects.filter(action__in=["accounts.token_revoked", "accounts.tokens_revoked"])
        if entry.detail.get("reason") == reason
    ]


# Revoked with the password, the account and a role --------------------------------------


def test_a_password_change_revokes_every_token_of_the_account(world):
    token, other = _issue(), _issue("grid2-worker")
    user = world.grid1_worker
    user.set_password("another-long-passphrase-77")
    user.save()
    assert not _works(token)
    assert _works(other)  # someone else's token is untouched
    [entry] = _revocations("password_changed")
    assert entry.object_id == str(user.pk) and entry.detail["count"] == 1


def test_saving_an_account_without_a_new_password_keeps_its_tokens(world):
    token = _issue()
    user = world.grid1_worker
    user.display_name = "网格员甲"
    user.save()
    assert _works(token)
    # Signing in (which saves last_login) does not revoke either.
    assert Client().post("/accounts/login/", {"username": "grid1-worker", "password": PASSWORD}).status_code == 302
    assert _works(token)


def test_a_password_hash_upgrade_at_sign_in_is_no_password_change(world, settings):
    token = _issue()
    # The stored hash is MD5 (the tests' hasher); with Argon2 preferred, signing in re-hashes it.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert Client().post("/accounts/login/", {"username": "grid1-worker", "password": PASSWORD}).status_code == 302
    world.grid1_worker.refresh_from_db()
    assert world.grid1_worker.password.startswith("argon2")
    assert _works(token)


def test_an_unusable_password_revokes_the_tokens(world):
    token = _issue()
    user = world.grid1_worker
    user.set_unusable_password()
    user.save()
    assert not _works(token)


def test_the_admin_password_change_page_revokes_the_tokens(world, client_for):
    token = _issue()
    user = world.grid1_worker
    new = "another-long-passphrase-77"
    page = client_for("system_admin").post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    assert not _works(token)
    assert _revocations("password_changed")


def test_deactivating_an_account_revokes_its_tokens_and_reactivating_does_not_revive_them(world):
    token = _issue()
    user = world.grid1_worker
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert ApiToken.objects.filter(user=user).count() == 0
    assert _revocations("deactivated")
    user.is_active = True
    user.save()
    assert not _works(token)


def test_withdrawing_a_role_revokes_the_accounts_tokens(world):
    from nuanxin.accounts.actions import revoke_role

    token, other = _issue(), _issue("grid2-worker")
    grant = world.grid1_worker.role_grants.get()
    revoke_role(actor=world.system_admin, grant=grant)
    assert not _works(token)
    assert _works(other)
    [entry] = _revocations("role_withdrawn")
    assert entry.object_id == str(world.grid1_worker.pk)


# The holder revokes and lists their own tokens --------------------------------------------


def test_a_client_revokes_the_token_it_sends(world):
    token, second = _issue(), _issue()
    answer = Client().delete("/api/v1/auth/token", **_bearer(token))
    assert answer.status_code == 204
    assert not _works(token)
    assert _works(second)  # only the token sent is revoked
    [entry] = _revocations("client")
    assert entry.actor_name == "grid1-worker" and entry.detail["token"]


def test_revoking_the_calling_token_needs_a_token(world, client_for):
    assert Client().delete("/api/v1/auth/token").status_code == 401
    assert Client().delete("/api/v1/auth/token", **_bearer("forged")).status_code == 401
    session = client_for("grid1_worker").delete("/api/v1/auth/token")
    assert session.status_code == 400 and session.json()["code"] == "no_token"


def test_a_client_lists_its_active_tokens_without_their_secret(world):
    token, second = _issue(), _issue()
    _issue("grid2-worker")
    listing = Client().get("/api/v1/auth/tokens", **_bearer(token))
    assert listing.status_code == 200
    rows = listing.json()
    assert len(rows) == 2
    assert set(rows[0]) == {"id", "created_at", "last_used_at", "expires_at", "current"}
    assert [row["current"] for row in rows].count(True) == 1
    text = listing.content.decode()
    assert token not in text and second not in text
    assert all(digest not in text for digest in ApiToken.objects.values_list("digest", flat=True))


def test_the_token_list_needs_a_signed_in_caller(world, client_for):
    assert Client().get("/api/v1/auth/tokens").status_code == 401
    _issue()
    # A browser session lists the account's tokens too (none is "current").
    rows = client_for("grid1_worker").get("/api/v1/auth/tokens").json()
    assert len(rows) == 1 and rows[0]["current"] is False


def test_a_client_revokes_one_of_its_own_tokens_by_id(world):
    token, lost = _issue(), _issue()
    lost_id = ApiToken.objects.get(digest=ApiToken.digest_of(lost)).pk
    answer = Client().delete(f"/api/v1/auth/tokens/{lost_id}", **_bearer(token))
    assert answer.status_code == 204
    assert not _works(lost) and _works(token)
    assert _revocations("client")


def test_nobody_revokes_another_accounts_token_by_id(world):
    mine, theirs = _issue(), _issue("grid2-worker")
    their_id = ApiToken.objects.get(digest=ApiToken.digest_of(theirs)).pk
    assert Client().delete(f"/api/v1/auth/tokens/{their_id}", **_bearer(mine)).status_code == 404
    assert _works(theirs)
    assert Client().delete(f"/api/v1/auth/tokens/{their_id}").status_code == 401
    huge = Client().delete(f"/api/v1/auth/tokens/{2**70}", **_bearer(mine))
    assert huge.status_code in (404, 422) and huge.json()["code"] in ("invalid", "not_found")
    assert not _revocations("client")


# Expiry ---------------------------------------------------------------------------------


def test_a_token_unused_for_the_idle_days_stops_working(world, settings):
    settings.API_TOKEN_DAYS = 365
    settings.API_TOKEN_IDLE_DAYS = 30
    with time_machine.travel("2026-01-01 08:00:00+08:00", tick=False) as clock:
        used, idle = _issue(), _issue()
        for _ in range(3):  # used every 20 days: stays alive past 30 days from issue
            clock.shift(20 * 86400)
            assert _works(used)
        assert not _works(idle)
        rows = Client().get("/api/v1/auth/tokens", **_bearer(used)).json()
        assert len(rows) == 1 and rows[0]["current"]
        clock.shift(31 * 86400)
        assert not _works(used)


def test_the_idle_allowance_is_a_setting(world, settings):
    settings.API_TOKEN_IDLE_DAYS = 2
    with time_machine.travel("2026-01-01 08:00:00+08:00", tick=False) as clock:
        token = _issue()
        clock.shift(1 * 86400)
        assert _works(token)
        clock.shift(3 * 86400)
        assert not _works(token)


# The admin revokes any account's tokens -------------------------------------------------


def test_an_admin_revokes_a_users_tokens_with_the_admin_action(world, client_for):
    token, kept = _issue(), _issue("grid2-worker")
    ids = list(ApiToken.objects.filter(user=world.grid1_worker).values_list("pk", flat=True))
    page = client_for("system_admin").post(
        "/admin/accounts/apitoken/", {"action": "revoke_selected", "_selected_action": [str(i) for i in ids]}
    )
    assert page.status_code == 302
    assert not _works(token) and _works(kept)
    [entry] = _revocations("admin")
    assert entry.actor_name == "system-admin" and entry.object_id == str(world.grid1_worker.pk)


def test_the_token_admin_is_closed_to_non_admins(world, client_for):
    _issue()
    token_id = ApiToken.objects.get().pk
    for persona in ("community_admin", "grid1_worker"):
        answer = client_for(persona).post(
            "/admin/accounts/apitoken/", {"action": "revoke_selected", "_selected_action": [str(token_id)]}
        )
        assert answer.status_code in (302, 403)
        assert answer.status_code == 403 or "/admin/login/" in answer["Location"]
    assert ApiToken.objects.count() == 1


# Photos linked from API answers open with the same token -------------------------------


@pytest.fixture
def case_with_photo(world):
    from nuanxin.cases.actions import report_case
    from nuanxin.cases.catalogue import install_catalogue
    from nuanxin.cases.models import CaseClass

    install_catalogue(actor=None)
    return report_case(
        actor=world.rider,
        case_class=CaseClass.objects.get(code="sanitation"),
        description="楼道里堆满了纸箱",
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
        photos=[photo_upload()],
    )


def _photo_url(token: str, case_id: int) -> str:
    answer = Client().get(f"/api/v1/cases/{case_id}", **_bearer(token))
    assert answer.status_code == 200, answer.content
    [photo] = answer.json()["photos"]
    return photo["url"]


def test_a_photo_url_from_the_api_opens_with_the_same_bearer_token(world, case_with_photo):
    token = _issue("grid1-worker")
    url = _photo_url(token, case_with_photo.pk)
    answer = Client().get(url, **_bearer(token))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("image/")


def test_a_photo_stays_out_of_scope_for_another_grids_token(world, case_with_photo):
    url = _photo_url(_issue("grid1-worker"), case_with_photo.pk)
    assert Client().get(url, **_bearer(_issue("grid2-worker"))).status_code == 404


def test_a_photo_refuses_a_bad_or_revoked_token_and_no_credentials(world, case_with_photo):
    token = _issue("grid1-worker")
    url = _photo_url(token, case_with_photo.pk)
    assert Client().get(url, **_bearer("forged")).status_code == 401
    Client().delete("/api/v1/auth/token", **_bearer(token))
    assert Client().get(url, **_bearer(token)).status_code == 401
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
