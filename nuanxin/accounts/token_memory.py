"""A worker process's short memory of who a bearer token is and what they reach.

Without it every API request reads its token joined with the user row (password hash and all)
and then the user's role grants, two queries and a model built from each, before any work is
done (docs/performance.md: a fifth of a cases page). With it a process answers both from what it
read for the same token moments ago, as long as the account's **stamp** in the shared cache (the
`ratelimit` alias: the database on the embedded default, Redis in a city) is still the one it
read before those rows.

The stamp is a random value replaced whenever anything a remembered answer rests on changes
(accounts/signals.py): the user row saved (password, active, name, last sign-in), a role granted
or withdrawn, a token deleted (every revocation deletes). It is replaced at once and again after
the commit, so neither a request that read the rows just before the commit nor a rolled-back
change leaves a wrong entry trusted. A stamp missing from the shared cache (never set, evicted,
or the cache cleared) trusts nothing. Whatever happens, an entry is used for at most
MEMORY_SECONDS (a change written by raw SQL, which sends no signal), and the token's own expiry
and idle limit are checked on every use.

The stamp is always read *before* the rows it vouches for. A process that has never seen a
token therefore only notes whose it is on the first request and remembers it on the second.
"""

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from nuanxin.accounts.actions import note_token_use, token_for
from nuanxin.accounts.models import ApiToken, User, usable_until
from nuanxin.accounts.scope import scope_of
from nuanxin.core.ratelimit import CACHE_ALIAS
from nuanxin.core.scoping import Scope

# How long a remembered token is trusted at most, and how many a process keeps.
MEMORY_SECONDS = 60
MEMORY_ENTRIES = 10_000
# A stamp outlives any entry that could rest on it; after it lapses the next request reads again.
_STAMP_SECONDS = 24 * 3600
_USER_FIELDS = tuple(f.attname for f in User._meta.concrete_fields)


@dataclass
class _Remembered:
    stamp: str
    noted_at: float  # _clock()
    token_id: int
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    user_values: tuple[Any, ...]
    scope: Scope
    roles: frozenset[str]

    def usable(self, now: datetime) -> bool:
        return now < usable_until(self.created_at, self.expires_at, self.last_used_at)

    def user(self) -> User:
        """A fresh user object per request (a request may set attributes on its user)."""
        user = User.from_db("default", _USER_FIELDS, self.user_values)
        user._nuanxin_scope = self.scope  # type: ignore[attr-defined]
        user.__dict__["roles"] = self.roles  # User.roles is a cached_property
        return user


_remembered: dict[str, _Remembered] = {}
_owners: dict[str, int] = {}  # token digest -> user id: where to look for the stamp, trusts nothing
_lock = threading.Lock()
_clock = time.monotonic


def _stamp_key(user_id: int) -> str:
    return f"nuanxin:account-stamp:{user_id}"


def current_stamp(user_id: int) -> str:
    """The account's stamp, set now if it has none."""
    cache = caches[CACHE_ALIAS]
    key = _stamp_key(user_id)
    stamp = cache.get(key)
    if stamp is None:
        cache.add(key, uuid.uuid4().hex, _STAMP_SECONDS)
        stamp = cache.get(key)
    return str(stamp)


def restamp(user_id: int) -> None:
    """Something a remembered token of this account rests on changed: forget them all, now
    and once more when the change commits."""

    def replace() -> None:
        caches[CACHE_ALIAS].set(_stamp_key(user_id), uuid.uuid4().hex, _STAMP_SECONDS)

    replace()
    transaction.on_commit(replace)


def _keep(digest: str, entry: _Remembered) -> None:
    with _lock:
        if len(_remembered) >= MEMORY_ENTRIES:
            _remembered.clear()
        _remembered[digest] = entry


def _note_owner(digest: str, user_id: int) -> None:
    with _lock:
        if len(_owners) >= MEMORY_ENTRIES:
            _owners.clear()
        _owners[digest] = user_id


def forget_all() -> None:
    """Empty this process's memory (tests that need a cold start)."""
    with _lock:
        _remembered.clear()
        _owners.clear()


def identify(token: str) -> tuple[User, int] | None:
    """The active user a bearer token signs in, with the token's id; None for a token that is
    unknown, expired, idle too long or of an inactive account. The user carries their scope
    and roles already (`scope_of` reads no rows for them)."""
    digest = ApiToken.digest_of(token)
    now = timezone.now()
    owner = _owners.get(digest)
    stamp = current_stamp(owner) if owner is not None else None
    entry = _remembered.get(digest)
    if entry is not None and entry.stamp == stamp and _clock() - entry.noted_at < MEMORY_SECONDS and entry.usable(now):
        entry.last_used_at = note_token_use(entry.token_id, entry.last_used_at, now)
        return entry.user(), entry.token_id
    row = token_for(token)
    if row is None:
        return None
    user = row.user
    if stamp is not None and row.user_id == owner:
        scope = scope_of(user)
        _keep(
            digest,
            _Remembered(
                stamp=stamp,
                noted_at=_clock(),
                token_id=row.pk,
                created_at=row.created_at,
                expires_at=row.expires_at,
                last_used_at=row.last_used_at,
                user_values=tuple(getattr(user, name) for name in _USER_FIELDS),
                scope=scope,
                roles=user.roles,
            ),
        )
    else:
        _note_owner(digest, row.user_id)
    return user, row.pk


def identify_once(request: Any, token: str) -> tuple[User, int] | None:
    """`identify(token)` once per request: the read-only-account middleware and the API's
    bearer check both ask for a write, and each asking reads the account's stamp again."""
    asked = getattr(request, "_nuanxin_bearer", None)
    if asked is None or asked[0] != token:
        asked = (token, identify(token))
        request._nuanxin_bearer = asked
    return asked[1]  # type: ignore[no-any-return]


def user_for_token(token: str) -> User | None:
    """The user a bearer token signs in, or None."""
    found = identify(token)
    return found[0] if found is not None else None
