"""An account holding only the auditor role writes nothing (accounts.middleware
.ReadOnlyAccountMiddleware): every POST, PUT, PATCH and DELETE of every page and every API
operation is refused (404, saying why), with its session and with its bearer token, and
leaves no row behind; signing in and out and its own tokens still work."""

import json
import re
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from nuanxin.accounts import actions
from nuanxin.api import api
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.core.audit import SYSTEM
from nuanxin.core.models import AuditEntry
from nuanxin.core.notifications import notify
from nuanxin.stations import actions as station_actions
from nuanxin.testing import PASSWORD, SYSTEM_SCOPE, World

UNSAFE = ("post", "put", "patch", "delete")
# Where a read-only account may still write: its session, its second factor, its tokens.
OPEN = re.compile(r"^/(accounts/|api/v1/auth/|i18n/setlang/)")
# Rows that a refused request may leave: the audit trail of the refusal, sessions, sign-in
# bookkeeping, rate-limit counters.
BOOKKEEPING = {
    "core.auditentry",
    "core.auditchainhead",
    "core.auditcheckpoint",
    "sessions.session",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
}
READ_ONLY = "只读"  # the refusal's message, in the tests' language
SAMPLE = {"int": "1", "str": "x", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000001", "path": "x"}


def _page_paths() -> list[str]:
    """Every route of the URL configuration outside the API, its parameters filled in."""
    paths: list[str] = []

    def walk(patterns: Any, prefix: str) -> None:
        for p in patterns:
            if not isinstance(p.pattern, RoutePattern):
                continue  # regular expressions: the Django admin's catch-alls
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and not route.startswith("api/"):
                paths.append("/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), route))

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def _api_operations() -> list[tuple[str, str]]:
    """Every (method, path) of the API's OpenAPI document that writes."""
    operations = []
    for path, item in api.get_openapi_schema()["paths"].items():
        for method in item:
            if method in UNSAFE:
                operations.append((method, re.sub(r"\{\w+\}", "1", path)))
    return sorted(operations)


def _counts() -> dict[str, int]:
    return {
        m._meta.label_lower: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.label_lower not in BOOKKEEPING and not m._meta.proxy and m._meta.managed
    }


@pytest.fixture
def auditor_token(world: World) -> str:
    answer = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "auditor", "password": PASSWORD}),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


def test_the_walk_covers_the_known_writes() -> None:
    """The lists the walk uses hold the writes the probe found open to the auditor."""
    operations = _api_operations()
    pages = _page_paths()
    assert ("post", "/api/v1/cases") in operations
    assert ("post", "/api/v1/volunteers/register") in operations
    assert "/stations/x/checkin/" in pages and "/notifications/read-all/" in pages
    assert len(operations) > 50 and len(pages) > 80


def test_every_write_as_the_auditor_is_refused_and_writes_nothing(
    world: World, client_for: Any, auditor_token: str
) -> None:
    session = client_for("auditor")
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {auditor_token}")
    before = _counts()
    last_entry = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    tried = 0
    for method, path in _api_operations():
        if OPEN.match(path):
            continue
        for client in (session, bearer):
            answer = getattr(client, method)(path, "{}", content_type="application/json")
            assert answer.status_code == 404, (method, path, answer.status_code)
            assert answer.json()["code"] == "read_only"
            tried += 1
    for path in _page_paths():
        if OPEN.match(path):
            continue
        for method in UNSAFE:
            answer = getattr(session, method)(path, {} if method == "post" else "")
            assert answer.status_code == 404, (method, path, answer.status_code)
            assert READ_ONLY in answer.content.decode(), (method, path)
            tried += 1
    assert tried > 400
    assert _counts() == before
    written = set(AuditEntry.objects.filter(id__gt=last_entry).values_list("action", "result"))
    assert written == {("access.denied", "denied")}


def test_the_writes_the_probe_found_are_refused_but_work_for_others(world: World, client_for: Any) -> None:
    """With payloads that work for a rider: file a case, register as a volunteer, check in
    at a station, mark notifications read. The auditor gets 404 and nothing changes."""
    install_catalogue(actor=SYSTEM)
    station_actions.create_station(
        actor=None,
        scope=SYSTEM_SCOPE,
        place=world.station,
        code="YXQ-01",
        opening_hours_text="00:00-24:00",
        amenities=[],
    )
    for persona in ("auditor", "rider"):
        notify(recipients=[world.users[persona]], kind="test", title="t", body="b")
    case = {"class_code": "sanitation", "description": "垃圾桶满了", "lng": 102.7011, "lat": 24.9811}
    volunteer = {"name": "骑手甲", "phone": "13600001111", "group": "rider", "home_grid_id": world.grid1.pk}

    def attempts(client: Client) -> list[int]:
        return [
            client.post("/api/v1/cases", json.dumps(case), content_type="application/json").status_code,
            client.post(
                "/api/v1/volunteers/register", json.dumps(volunteer), content_type="application/json"
            ).status_code,
            client.post("/stations/YXQ-01/checkin/").status_code,
            client.post("/notifications/read-all/").status_code,
        ]

    before = _counts()
    assert attempts(client_for("auditor")) == [404, 404, 404, 404]
    assert _counts() == before
    assert world.auditor.notifications.filter(read_at__isnull=True).exists()
    # The same requests from a rider write: the refusals above are the auditor's alone.
    assert attempts(client_for("rider")) == [201, 201, 302, 302]
    assert _counts() != before


def test_the_auditor_still_signs_in_and_out_and_keeps_its_tokens(
    world: World, client_for: Any, auditor_token: str
) -> None:
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {auditor_token}")
    assert bearer.get("/api/v1/auth/me").status_code == 200
    assert bearer.delete("/api/v1/auth/token").status_code in (200, 204)
    assert bearer.get("/api/v1/auth/me").status_code == 401
    session = client_for("auditor")
    assert session.get("/audit/").status_code == 200  # reading is what an auditor does
    assert session.post("/accounts/logout/").status_code == 302


def test_an_auditor_who_also_holds_a_working_role_writes_with_it(world: World, client_for: Any) -> None:
    actions.grant_role(actor=SYSTEM, user=world.grid1_worker, role="auditor")
    notify(recipients=[world.grid1_worker], kind="test", title="t", body="b")
    assert client_for("grid1_worker").post("/notifications/read-all/").status_code == 302
    assert not world.grid1_worker.notifications.filter(read_at__isnull=True).exists()
