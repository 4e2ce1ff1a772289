"""Rate limits shared by every worker process and every app server (docs/rate-limits.md).

One mechanism: a fixed-window counter per (limit, who, window) in the cache alias
"ratelimit" — the database cache (table `nuanxin_ratelimit`, made by core migration 0007) on
the embedded default, Redis when REDIS_URL is set. Both count atomically (Redis INCR; on the
database a locked read-modify-write, see `CounterDatabaseCache`), so two gunicorn workers or
two servers never get two allowances.

Each limit is a setting `RATE_LIMIT_<NAME>`: a pair (requests, seconds), read when used. A
limit counts per address, per account or per key (an Open311 API key, a phone number);
`who_for()` picks the address for a visitor without an account. A spent allowance raises
`RateLimited` (a DomainError with code "rate_limited" and `retry_after` seconds): the API
answers 429 with Retry-After and the JSON error body, pages a 429 page saying so
(`RateLimitMiddleware`), Open311 its own error format.

The windows are clock-aligned (a 600-second window opens at :00, :10, ...), so Retry-After is
the time until the next one opens; a burst that straddles the boundary can get up to twice the
allowance, which is fine for a coarse cap.
"""

import base64
import hashlib
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, models, router, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.timezone import now as tz_now
from django.utils.translation import gettext as _

from nuanxin.core import audit
from nuanxin.core.errors import DomainError
from nuanxin.core.middleware import client_ip

CACHE_ALIAS = "ratelimit"
ADDRESS, ACCOUNT, KEY = "address", "account", "key"


@dataclass(frozen=True)
class Limit:
    setting: str  # (requests, seconds), declared in nuanxin/settings.py
    per: str


# Every limit and its setting. The defaults (nuanxin/settings.py) sit far above what a person
# does by hand (a rider reporting a few cases an hour, an office signing in in the morning) and
# far below what a script does. docs/rate-limits.md has the table.
LIMITS: dict[str, Limit] = {
    "sign_in": Limit("RATE_LIMIT_SIGN_IN", ADDRESS),
    "join": Limit("RATE_LIMIT_JOIN", ADDRESS),
    "join_attempt": Limit("RATE_LIMIT_JOIN_ATTEMPT", ADDRESS),
    "phone_code": Limit("RATE_LIMIT_PHONE_CODE", KEY),
    "report": Limit("RATE_LIMIT_REPORT", ACCOUNT),
    "report_anonymous": Limit("RATE_LIMIT_REPORT_ANONYMOUS", ADDRESS),
    "report_device": Limit("RATE_LIMIT_REPORT_DEVICE", KEY),
    "open311_post": Limit("RATE_LIMIT_OPEN311_POST", KEY),
    "people_search": Limit("RATE_LIMIT_PEOPLE_SEARCH", ACCOUNT),
    "reveal": Limit("RATE_LIMIT_REVEAL", ACCOUNT),
    "export": Limit("RATE_LIMIT_EXPORT", ACCOUNT),
    "cases_similar": Limit("RATE_LIMIT_CASES_SIMILAR", ACCOUNT),
    "cases_follow": Limit("RATE_LIMIT_CASES_FOLLOW", ACCOUNT),
}


class RateLimited(DomainError):
    """An allowance is spent: try again in `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field, code="rate_limited")
        self.retry_after = max(int(retry_after), 1)


def allowance(name: str) -> tuple[int, int]:
    """(requests, seconds) of the limit `name`, from its setting (read now)."""
    count, seconds = getattr(settings, LIMITS[name].setting)
    return int(count), max(int(seconds), 1)


def counter_cache() -> Any:
    return caches[CACHE_ALIAS]


def _key(name: str, who: str, window: int) -> str:
    return f"rl:{name}:{who}:{window}"


def _window(name: str) -> tuple[int, int, int, int]:
    """(allowed, seconds, the current window's number, seconds until the next one)."""
    allowed, seconds = allowance(name)
    now = int(time.time())
    window = now // seconds
    return allowed, seconds, window, (window + 1) * seconds - now


def count(name: str, who: str, *, cache: Any = None) -> int:
    """How many times `who` has used `name` in the current window."""
    _allowed, _seconds, window, _left = _window(name)
    return int((cache or counter_cache()).get(_key(name, who, window), 0) or 0)


def spend(name: str, who: str, *, cache: Any = None) -> int:
    """Count one use of `name` by `who` and return the count in this window (never raises)."""
    cache = cache or counter_cache()
    _allowed, seconds, window, _left = _window(name)
    key = _key(name, who, window)
    if cache.add(key, 1, timeout=seconds + 60):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: this window starts again
        cache.set(key, 1, timeout=seconds + 60)
        return 1


def wait_message(retry_after: int) -> str:
    if retry_after < 120:
        return _("Too many requests. Try again in %(n)d seconds.") % {"n": retry_after}
    return _("Too many requests. Try again in %(n)d minutes.") % {"n": -(-retry_after // 60)}


def _refuse(name: str, retry_after: int, *, field: str | None, first: bool) -> RateLimited:
    if first:  # one audit entry per spent window, not one per refused request of a flood
        audit.record("ratelimit.refused", result="denied", object_repr=name, detail={"limit": name})
    return RateLimited(wait_message(retry_after), retry_after=retry_after, field=field)


def hit(name: str, who: str, *, field: str | None = None, cache: Any = None) -> None:
    """Count one use of `name` by `who`; raise RateLimited once the window's allowance is
    spent (the refused request counts too, so hammering does not help)."""
    allowed, _seconds, _window_no, left = _window(name)
    used = spend(name, who, cache=cache)
    if used > allowed:
        raise _refuse(name, left, field=field, first=used == allowed + 1)


def check(name: str, who: str, *, field: str | None = None, cache: Any = None) -> None:
    """Raise RateLimited if `who` has spent the allowance of `name`, without counting (for a
    limit counted only on success, such as accounts created by joining)."""
    allowed, _seconds, _window_no, left = _window(name)
    if count(name, who, cache=cache) >= allowed:
        raise _refuse(name, left, field=field, first=False)


def who_for(request: HttpRequest, name: str) -> str:
    """Whom the limit `name` counts for this request: the signed-in account for a per-account
    limit (the address for a visitor), the client address for a per-address limit."""
    user = getattr(request, "user", None)
    if LIMITS[name].per == ACCOUNT and user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return f"ip:{client_ip(request)}"


def limit(request: HttpRequest, name: str, *, field: str | None = None) -> None:
    """Count this request against the limit `name` (see `hit`)."""
    hit(name, who_for(request, name), field=field)


def limit_account(actor: Any, name: str, *, field: str | None = None) -> None:
    """Count one use of a per-account limit by `actor` (for actions, which have no request)."""
    hit(name, f"u{getattr(actor, 'pk', None)}", field=field)


def device_of(request: HttpRequest) -> str | None:
    """The browser a request comes from, as a key: its CSRF secret (a random value in the
    browser's cookie that every page POST must carry), hashed so the cache never holds it.
    None without one. A script can drop the cookie and get a new one: the per-address limit
    is the cap it cannot shed; this one is the finer cap for one phone among many that share
    an address (a carrier's NAT, an event's Wi-Fi)."""
    secret = request.META.get("CSRF_COOKIE")
    if not secret:
        return None
    return "device:" + hashlib.sha256(str(secret).encode()).hexdigest()[:32]


def limit_report(request: HttpRequest) -> None:
    """Reports: per account when signed in; without an account, per address and per device."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        limit(request, "report")
        return
    limit(request, "report_anonymous")
    device = device_of(request)
    if device is not None:
        hit("report_device", device)


# --- answering ----------------------------------------------------------------------------------


def set_retry_after(response: HttpResponse, error: RateLimited) -> HttpResponse:
    response["Retry-After"] = str(error.retry_after)
    return response


class RateLimitMiddleware:
    """A page whose view raised RateLimited gets the 429 page with Retry-After (the API
    answers its own JSON, nuanxin/api.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RateLimited):
            return None
        response = render(
            request,
            "core/rate_limited.html",
            {"retry_after": exception.retry_after, "minutes": -(-exception.retry_after // 60)},
            status=429,
        )
        return set_retry_after(response, exception)


# --- the counter on the database ----------------------------------------------------------------


class CounterDatabaseCache(DatabaseCache):
    """Django's database cache with an atomic `incr` that keeps the entry's expiry.

    Django's own `incr` reads then writes without a lock, so two processes could both count
    "3" for the fourth request, and it resets the entry's expiry to the default timeout. Here
    the row is locked first (FOR UPDATE on PostgreSQL; SQLite takes its write lock at the
    start of the transaction, settings' transaction_mode IMMEDIATE) and only the value is
    written."""

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)  # type: ignore[attr-defined]  # set by BaseDatabaseCache
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('value')}, {quote('expires')} FROM {table} WHERE {quote('cache_key')} = %s{lock}",  # noqa: S608 (quoted names)
                [key],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            expires = row[1]
            expression = models.Expression(output_field=models.DateTimeField())
            for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
                expires = converter(expires, expression, connection)
            if expires < tz_now():
                raise ValueError(f"Key '{key}' not found.")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode())) + delta  # noqa: S301 (our own rows)
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s",  # noqa: S608 (quoted names)
                [encoded, key],
            )
        return value
