"""A worker's memory of bearer tokens (accounts/token_memory.py): it saves the token and role
queries while the account is unchanged, and never outlives a revocation, a password change, a
deactivation or a role change, whatever path made it."""

from typing import Any

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nuanxin.accounts import token_memory
from nuanxin.accounts.actions import grant_role
from nuanxin.accounts.models import ApiToken, RoleGrant
from nuanxin.accounts.tests.test_tokens import _bearer, _issue, _works
from nuanxin.core.audit import SYSTEM


@pytest.fixture(autouse=True)
def _cold() -> None:
    token_memory.forget_all()


def _me(token: str) -> dict[str, Any]:
    answer = Client().get("/api/v1/auth/me", **_bearer(token))
    assert answer.status_code == 200, answer.content
    return answer.json()


def _auth_queries(token: str) -> list[str]:
    """The statements `identify` runs for this token."""
    with CaptureQueriesContext(connection) as queries:
        assert token_memory.identify(token) is not None
    return [q["sql"] for q in queries.captured_queries]


def test_a_remembered_token_costs_only_the_stamp_read(world):
    token = _issue()
    first, second, third = _auth_queries(token), _auth_queries(token), _auth_queries(token)
    # Unknown to the process: the token with its user; then whose it is is known, and the
    # stamp is read before the rows, which are remembered with their roles.
    assert any("accounts_apitoken" in sql for sql in first)
    assert any("accounts_apitoken" in sql for sql in second)
    assert any("accounts_rolegrant" in sql for sql in second)
    # From then on: the stamp only, no token, user or role rows.
    assert len(third) == 1 and "nuanxin_ratelimit" in third[0]
    user, token_id = token_memory.identify(token)
    assert user == world.grid1_worker and token_id == ApiToken.objects.get(user=user).pk
    assert user.roles == {"grid_worker"} and "cases.view" in user._nuanxin_scope.reach


def test_a_write_with_a_bearer_token_reads_the_stamp_once(world):
    """The read-only-account middleware and the API's bearer check both identify the caller of
    a write: one request, one identification (token_memory.identify_once)."""
    token, client = _issue(), Client()
    for _ in range(2):
        _me(token)
    with CaptureQueriesContext(connection) as queries:
        assert client.post("/api/v1/notifications/read-all", **_bearer(token)).status_code == 200
    stamps = [q["sql"] for q in queries.captured_queries if "nuanxin_ratelimit" in q["sql"]]
    assert len(stamps) == 1


def test_each_request_gets_its_own_user_object(world):
    token = _issue()
    for _ in range(3):
        token_memory.identify(token)
    one, _ = token_memory.identify(token)
    one.display_name = "改了也不算"
    two, _ = token_memory.identify(token)
    assert one is not two and two.display_name == world.grid1_worker.display_name


def test_a_revoked_token_stops_at_once(world):
    token = _issue()
    for _ in range(3):
        assert _works(token)
    assert Client().delete("/api/v1/auth/token", **_bearer(token)).status_code == 204
    assert not _works(token)


def test_a_password_change_and_a_deactivation_stop_remembered_tokens(world):
    first, second = _issue(), _issue("grid2-worker")
    for _ in range(3):
        assert _works(first) and _works(second)
    world.grid1_worker.set_password("another-long-passphrase-77")
    world.grid1_worker.save()
    world.grid2_worker.is_active = False
    world.grid2_worker.save()
    assert not _works(first)
    assert not _works(second)


def test_a_role_granted_is_seen_by_the_next_request(world):
    token = _issue()
    for _ in range(3):
        assert _me(token)["roles"] == ["grid_worker"]
    grant_role(actor=SYSTEM, user=world.grid1_worker, role="grid_leader", area=world.grid2)
    assert _me(token)["roles"] == ["grid_leader", "grid_worker"]


def test_a_role_withdrawn_outside_the_actions_is_seen_too(world):
    token = _issue()
    grant_role(actor=SYSTEM, user=world.grid1_worker, role="grid_leader", area=world.grid2)
    for _ in range(3):
        assert "grid_leader" in _me(token)["roles"]
    RoleGrant.objects.filter(user=world.grid1_worker, role="grid_leader").delete()  # as the admin would
    assert not _works(token)  # withdrawing a role revokes the tokens (signals.py)


def test_a_lost_stamp_trusts_nothing(world):
    token = _issue()
    for _ in range(3):
        _auth_queries(token)
    caches["ratelimit"].clear()
    again = _auth_queries(token)
    assert any("accounts_apitoken" in sql for sql in again)


def test_a_change_without_signals_is_seen_after_the_memory_lapses(world, monkeypatch):
    token = _issue()
    for _ in range(3):
        assert _works(token)
    # A raw update sends no signal: the stamp stays, the memory answers until it lapses.
    type(world.grid1_worker).objects.filter(pk=world.grid1_worker.pk).update(is_active=False)
    assert _works(token)
    later = token_memory._clock() + token_memory.MEMORY_SECONDS + 1
    monkeypatch.setattr(token_memory, "_clock", lambda: later)
    assert not _works(token)


def test_an_expired_token_stops_even_when_remembered(world, settings):
    settings.API_TOKEN_DAYS = 2
    with time_machine.travel("2026-01-01 08:00:00+08:00", tick=False) as clock:
        token = _issue()
        for _ in range(3):
            assert _works(token)
        clock.shift(2 * 86400 + 1)
        assert not _works(token)
