"""Rate limits (core/ratelimit.py, docs/rate-limits.md): counted in the shared "ratelimit"
cache, so every worker process and server shares one allowance; each limited path lets N
requests through and answers the next with 429 and Retry-After (JSON in the API, a page
elsewhere, the Open311 error format on Open311). Limits are lowered here with `settings`."""

import json
import os
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.test import Client, RequestFactory

from nuanxin.cases.catalogue import install_catalogue
from nuanxin.core import ratelimit
from nuanxin.core.models import AuditEntry
from nuanxin.core.ratelimit import RateLimited
from nuanxin.testing import PASSWORD, SYSTEM_SCOPE

# A moment 100 s into a ten-minute window and 100 s into a clock hour.
AT = datetime(2026, 3, 2, 1, 1, 40, tzinfo=UTC)
HERE = {"lng": 102.7011, "lat": 24.9811}


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(AT, tick=False) as clock:
        yield clock


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


DATABASE_COUNTERS = {
    "BACKEND": "nuanxin.core.ratelimit.CounterDatabaseCache",
    "LOCATION": "nuanxin_ratelimit",
    "OPTIONS": {"MAX_ENTRIES": 50_000},
}


@pytest.fixture
def database_counters(settings: Any) -> None:
    """The embedded default, even where REDIS_URL points the counters at Redis."""
    settings.CACHES = {**settings.CACHES, "ratelimit": DATABASE_COUNTERS}


@pytest.fixture
def catalogue(world: Any) -> None:
    install_catalogue(actor=None)


def post_json(client: Client, url: str, payload: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(payload), content_type="application/json")


def assert_api_429(response: Any, seconds: int) -> None:
    assert response.status_code == 429, response.content
    assert response["Retry-After"] == str(seconds)
    assert response.json() == {"error": response.json()["error"], "field": None, "code": "rate_limited"}
    assert response.json()["error"]


def assert_page_429(response: Any, seconds: int) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(seconds)
    assert "data-rate-limited" in response.content.decode()


# --- the mechanism -------------------------------------------------------------------------------


def test_the_ratelimit_cache_is_the_database_by_default() -> None:
    from nuanxin.settings import CACHES

    if not os.environ.get("REDIS_URL"):
        assert CACHES["ratelimit"] == DATABASE_COUNTERS
    assert CACHES["ratelimit"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache"


def test_the_database_counter_cache_is_a_database_cache(database_counters: Any) -> None:
    backend = caches["ratelimit"]
    assert isinstance(backend, DatabaseCache) and backend._table == "nuanxin_ratelimit"
    assert backend._max_entries == 50_000  # Django's 300 would cull live counters


def test_the_count_is_shared_by_separate_cache_connections(world: Any, settings: Any, database_counters: Any) -> None:
    """Two fresh connections to the "ratelimit" cache, as two worker processes would open:
    each sees the other's uses (local memory would give each its own allowance)."""
    settings.RATE_LIMIT_EXPORT = (3, 3600)
    one, two = caches.create_connection("ratelimit"), caches.create_connection("ratelimit")
    assert one is not two
    ratelimit.hit("export", "u1", cache=one)
    ratelimit.hit("export", "u1", cache=two)
    ratelimit.hit("export", "u1", cache=one)
    assert ratelimit.count("export", "u1", cache=two) == 3
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit("export", "u1", cache=two)
    assert refused.value.retry_after == 3600 - 100 and refused.value.code == "rate_limited"
    ratelimit.hit("export", "u2", cache=two)  # someone else has their own allowance


def test_incr_keeps_the_entry_expiry_and_counts_from_the_stored_value(world: Any, database_counters: Any) -> None:
    cache = caches["ratelimit"]
    assert cache.add("k", 5, timeout=30)
    assert cache.incr("k") == 6 and cache.incr("k", 4) == 10
    with pytest.raises(ValueError):
        cache.incr("missing")
    with time_machine.travel(datetime(2026, 3, 2, 1, 2, 20, tzinfo=UTC), tick=False):  # 40 s later
        assert cache.get("k") is None
        with pytest.raises(ValueError):
            cache.incr("k")


def test_the_window_opens_again_and_one_refusal_per_window_is_audited(world: Any, settings: Any, _clock: Any) -> None:
    settings.RATE_LIMIT_CASES_FOLLOW = (1, 600)
    ratelimit.hit("cases_follow", "u7")
    for _n in range(3):
        with pytest.raises(RateLimited) as refused:
            ratelimit.hit("cases_follow", "u7")
    assert refused.value.retry_after == 500
    assert AuditEntry.objects.filter(action="ratelimit.refused", result="denied").count() == 1
    _clock.shift(500)
    ratelimit.hit("cases_follow", "u7")


def test_anonymous_reports_count_per_address(world: Any, settings: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    settings.RATE_LIMIT_REPORT_ANONYMOUS = (2, 3600)
    factory = RequestFactory()

    def request(ip: str) -> Any:
        made = factory.post("/", REMOTE_ADDR=ip)
        made.user = AnonymousUser()
        return made

    ratelimit.limit_report(request("10.0.0.1"))
    ratelimit.limit_report(request("10.0.0.1"))
    with pytest.raises(RateLimited):
        ratelimit.limit_report(request("10.0.0.1"))
    ratelimit.limit_report(request("10.0.0.2"))
    assert ratelimit.count("report_anonymous", "ip:10.0.0.1") == 3


def test_anonymous_reports_count_per_browser_by_its_hashed_csrf_secret(world: Any, settings: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    settings.RATE_LIMIT_REPORT_DEVICE = (1, 3600)
    factory = RequestFactory()

    def request(ip: str, secret: str | None) -> Any:
        made = factory.post("/", REMOTE_ADDR=ip)
        made.user = AnonymousUser()
        if secret is not None:
            made.META["CSRF_COOKIE"] = secret
        return made

    secret = "s" * 32
    device = ratelimit.device_of(request("10.0.0.1", secret))
    assert device is not None and secret not in device
    ratelimit.limit_report(request("10.0.0.1", secret))
    with pytest.raises(RateLimited):
        ratelimit.limit_report(request("10.0.0.2", secret))  # the same phone on another address
    ratelimit.limit_report(request("10.0.0.2", "t" * 32))  # another phone
    ratelimit.limit_report(request("10.0.0.3", None))  # no browser to count: the address still counts
    assert ratelimit.device_of(request("10.0.0.3", None)) is None
    assert ratelimit.count("report_anonymous", "ip:10.0.0.3") == 1


def test_limits_come_from_settings(settings: Any) -> None:
    for name, limit in ratelimit.LIMITS.items():  # each declared in settings.py, read as it is now
        count, seconds = getattr(settings, limit.setting)
        assert ratelimit.allowance(name) == (count, seconds) and count > 0 and seconds > 0, name
    assert ratelimit.allowance("report") == (40, 3600)  # the default in settings.py
    settings.RATE_LIMIT_REPORT = (7, 60)
    assert ratelimit.allowance("report") == (7, 60)


@pytest.mark.django_db(transaction=True)
def test_concurrent_counting_loses_no_use_on_postgresql(database_counters: Any) -> None:
    """Threads with their own database connections, as separate workers have: every use is
    counted once (Django's own incr reads and writes without a lock and loses some)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite test databases are in memory; real concurrency needs a server")

    def spend() -> None:
        try:
            for _n in range(10):
                ratelimit.spend("export", "u-race", cache=caches.create_connection("ratelimit"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend) for _ in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert ratelimit.count("export", "u-race") == 60
    finally:
        caches["ratelimit"].clear()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a reachable Redis)")
def test_the_count_is_shared_on_redis(world: Any, settings: Any) -> None:
    import redis

    try:
        redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable")
    options = {
        "BACKEND": "nuanxin.core.caches.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        "KEY_PREFIX": f"nuanxin-ratelimit-test-{os.getpid()}",
    }
    settings.CACHES = {**settings.CACHES, "ratelimit": options}
    settings.RATE_LIMIT_EXPORT = (2, 3600)
    one, two = caches.create_connection("ratelimit"), caches.create_connection("ratelimit")
    try:
        ratelimit.hit("export", "u1", cache=one)
        ratelimit.hit("export", "u1", cache=two)
        with pytest.raises(RateLimited):
            ratelimit.hit("export", "u1", cache=one)
        # The backend keeps its client (core/caches.py) instead of making one per call.
        assert one._cache.get_client() is one._cache.get_client()
    finally:
        one.clear()


# --- sign-in -------------------------------------------------------------------------------------


def test_sign_in_attempts_from_one_address_are_capped_on_the_page(world: Any, settings: Any) -> None:
    settings.RATE_LIMIT_SIGN_IN = (2, 600)
    client = Client(REMOTE_ADDR="10.1.1.1")
    for username in ("grid1_worker", "grid2_worker"):  # a spray over usernames, not one account
        assert client.post("/accounts/login/", {"username": username, "password": "wrong-guess-1"}).status_code == 200
    assert_page_429(client.post("/accounts/login/", {"username": "rider", "password": PASSWORD}), 500)
    # Another address signs in.
    other = Client(REMOTE_ADDR="10.1.1.2")
    assert other.post("/accounts/login/", {"username": world.rider.username, "password": PASSWORD}).status_code == 302


def test_token_requests_from_one_address_are_capped(world: Any, settings: Any) -> None:
    settings.RATE_LIMIT_SIGN_IN = (2, 600)
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _n in range(2):
        answer = post_json(client, "/api/v1/auth/token", {"username": "nobody-here", "password": "wrong-guess-1"})
        assert answer.status_code in (400, 401)
    assert_api_429(post_json(client, "/api/v1/auth/token", {"username": "x", "password": "y"}), 500)


# --- reports -------------------------------------------------------------------------------------

REPORT_FORM = {"case_class": "sanitation", "description": "垃圾桶满了", "lat": "24.9811", "lng": "102.7011"}


def test_reports_on_the_field_page_are_capped_per_account(world: Any, catalogue: Any, client_for: Any, settings: Any):
    settings.RATE_LIMIT_REPORT = (2, 3600)
    rider = client_for("rider")
    for _n in range(2):
        assert rider.post("/cases/report/", REPORT_FORM).status_code == 302
    assert_page_429(rider.post("/cases/report/", REPORT_FORM), 3500)
    assert client_for("resident").post("/cases/report/", REPORT_FORM).status_code == 302  # per account


def test_reports_through_the_api_are_capped_per_account(world: Any, catalogue: Any, client_for: Any, settings: Any):
    settings.RATE_LIMIT_REPORT = (2, 3600)
    rider = client_for("rider")
    payload = {"class_code": "sanitation", "description": "垃圾桶满了", **HERE}
    for _n in range(2):
        assert post_json(rider, "/api/v1/cases", payload).status_code == 201
    assert_api_429(post_json(rider, "/api/v1/cases", payload), 3500)
    from nuanxin.cases.models import Case

    assert Case.objects.count() == 2


def test_cases_entered_by_staff_are_capped_per_account(world: Any, catalogue: Any, client_for: Any, settings: Any):
    settings.RATE_LIMIT_REPORT = (1, 3600)
    staff = client_for("community_staff")
    form = {"case_class": "sanitation", "description": "来电：楼下垃圾没人清", "reporter_name": "王秀英"} | REPORT_FORM
    form["description"] = "来电：楼下垃圾没人清"
    assert staff.post("/cases/new/", form).status_code == 302
    assert_page_429(staff.post("/cases/new/", form), 3500)


def test_open311_posts_are_capped_per_key(world: Any, catalogue: Any, settings: Any) -> None:
    from nuanxin.open311.actions import issue_api_key

    settings.RATE_LIMIT_OPEN311_POST = (2, 60)
    _key, raw = issue_api_key(actor=world.system_admin, scope=SYSTEM_SCOPE, name="12345", area=world.community)
    _key, other = issue_api_key(actor=world.system_admin, scope=SYSTEM_SCOPE, name="app", area=world.community)
    form = {"service_code": "sanitation", "lat": "24.9811", "long": "102.7011", "description": "楼道里堆满了纸箱"}
    for _n in range(2):
        assert Client().post("/open311/v2/requests.json", form | {"api_key": raw}).status_code == 200
    refused = Client().post("/open311/v2/requests.json", form | {"api_key": raw})
    assert refused.status_code == 429 and refused["Retry-After"] == "20"
    assert refused.json()[0]["code"] == 429 and refused.json()[0]["description"]
    xml = Client().post("/open311/v2/requests.xml", form | {"api_key": raw})
    assert xml.status_code == 429 and b"<errors>" in xml.content
    assert Client().post("/open311/v2/requests.json", form | {"api_key": other}).status_code == 200


# --- people --------------------------------------------------------------------------------------


@pytest.fixture
def people(world: Any) -> Any:
    from nuanxin.people.tests.sample import build_people

    return build_people(world)


def test_reveals_are_capped_per_account_on_the_page(world: Any, people: Any, client_for: Any, settings: Any):
    settings.RATE_LIMIT_REVEAL = (2, 3600)
    leader = client_for("grid1_leader")
    url = f"/people/{people.zhang.pk}/reveal/"
    for _n in range(2):
        assert leader.post(url, {"field": "phone", "reason": "联系家属"}).status_code == 200
    refused = leader.post(url, {"field": "phone", "reason": "联系家属"})
    assert refused.status_code == 429 and refused["Retry-After"] == "3500"
    assert 'class="field-error"' in refused.content.decode()
    assert AuditEntry.objects.filter(action="people.revealed").count() == 2


def test_reveals_are_capped_per_account_in_the_api(world: Any, people: Any, client_for: Any, settings: Any):
    settings.RATE_LIMIT_REVEAL = (1, 3600)
    leader = client_for("grid1_leader")
    url = f"/api/v1/people/residents/{people.zhang.pk}/reveal"
    assert post_json(leader, url, {"field": "phone", "reason": "联系家属"}).status_code == 200
    assert_api_429(post_json(leader, url, {"field": "phone", "reason": "联系家属"}), 3500)
    assert AuditEntry.objects.filter(action="people.revealed").count() == 1


def test_exact_searches_follow_their_setting(world: Any, people: Any, client_for: Any, settings: Any):
    settings.RATE_LIMIT_PEOPLE_SEARCH = (1, 600)
    worker = client_for("grid1_worker")
    phone = people.li.phone
    assert worker.post("/people/", {"q": phone}).status_code == 200
    refused = worker.post("/people/", {"q": phone})
    assert refused.status_code == 429 and refused["Retry-After"] == "500"
    api = post_json(worker, "/api/v1/people/residents/search", {"text": phone})
    assert api.status_code == 429 and api["Retry-After"] == "500" and api.json()["code"] == "rate_limited"


# --- exports -------------------------------------------------------------------------------------


def test_case_exports_are_capped_per_account(world: Any, client_for: Any, settings: Any) -> None:
    settings.RATE_LIMIT_EXPORT = (1, 3600)
    admin = client_for("community_admin")
    assert admin.get("/cases/export.xlsx").status_code == 200
    assert_page_429(admin.get("/cases/export.xlsx"), 3500)


def test_ledger_exports_are_capped_per_account_on_pages_and_api(world: Any, client_for: Any, settings: Any):
    settings.RATE_LIMIT_EXPORT = (2, 3600)
    admin = client_for("community_admin")
    assert admin.get("/ledgers/fire-safety/export/").status_code == 200
    assert admin.get("/api/v1/ledgers/fire-safety/export").status_code == 200
    assert_page_429(admin.get("/ledgers/fire-safety/export/"), 3500)
    assert_api_429(admin.get("/api/v1/ledgers/fire-safety/export"), 3500)


# --- similar cases and follows -------------------------------------------------------------------


def test_similar_case_queries_are_capped_per_account(world: Any, catalogue: Any, client_for: Any, settings: Any):
    settings.RATE_LIMIT_CASES_SIMILAR = (2, 3600)
    rider = client_for("rider")
    query = {"class_code": "sanitation"} | HERE
    for _n in range(2):
        assert rider.get("/api/v1/cases/similar", query).status_code == 200
    assert_api_429(rider.get("/api/v1/cases/similar", query), 3500)
    assert client_for("resident").get("/api/v1/cases/similar", query).status_code == 200


def test_follows_are_capped_per_account(world: Any, catalogue: Any, client_for: Any, settings: Any) -> None:
    settings.RATE_LIMIT_CASES_FOLLOW = (2, 3600)
    rider = client_for("rider")
    for _n in range(2):
        assert post_json(rider, "/api/v1/cases/follow", {"token": "not-a-token"}).status_code == 400
    assert_api_429(post_json(rider, "/api/v1/cases/follow", {"token": "not-a-token"}), 3500)
    # The page's "follow it" button shares the allowance.
    assert_page_429(rider.post("/cases/follow/", {"token": "not-a-token"}), 3500)
