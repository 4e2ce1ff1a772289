"""Per-request scope, idle/absolute expiry of console sessions (reference SESS-2), and read-only
accounts that write nothing (the auditor)."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from nuanxin.accounts.roles import READ_ONLY_ROLES
from nuanxin.accounts.scope import scope_of
from nuanxin.accounts.token_memory import identify_once
from nuanxin.core import audit

# Seconds between two restarts of a staff session's idle clock.
IDLE_CLOCK_STEP = 60


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and request.session.session_key:
            scope_of(user)  # the grants, read once: the scope and the roles asked for below
            now = int(time.time())
            login_at = request.session.setdefault("login_at", now)
            if user.works_in_console:
                if now - int(login_at) > settings.NUANXIN_STAFF_ABSOLUTE_SECONDS:
                    logout(request)
                elif now - int(request.session.get("seen_at", 0)) >= IDLE_CLOCK_STEP:
                    # The idle clock restarts at most once a step, so a busy page does not
                    # write its session on every request: it ends between IDLE - STEP and
                    # IDLE seconds after the last request, never later.
                    request.session["seen_at"] = now
                    request.session.set_expiry(settings.NUANXIN_STAFF_IDLE_SECONDS)
        request.scope = SimpleLazyObject(lambda: scope_of(request.user))  # type: ignore[attr-defined]
        return self.get_response(request)


# Unsafe requests a read-only account may still make: signing in and out, its second factor
# and password (the accounts pages), the language, and its API tokens (/api/v1/auth/).
_READ_ONLY_OPEN_NAMESPACES = frozenset({"accounts"})
_READ_ONLY_OPEN_VIEWS = frozenset({"set_language"})
_READ_ONLY_OPEN_API_PREFIX = "api/v1/auth/"


class ReadOnlyAccountMiddleware:
    """An account holding only read-only roles (`accounts.roles.READ_ONLY_ROLES`: the
    auditor) writes nothing: every POST, PUT, PATCH or DELETE it sends, with its session or
    its bearer token, is refused before any view runs, except the few above: a 404 like every
    other refusal (the view behind would have refused most of these with a 404 anyway),
    saying why, audited as access.denied. One check in the request path, so a new endpoint is
    covered without declaring anything; it fails closed (a path that does not resolve is
    refused too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            for user in _callers(request):
                if _read_only(user) and not _open_to_read_only(request):
                    return _refuse_read_only(request, user)
        return self.get_response(request)


def _callers(request: HttpRequest) -> list[object]:
    """The session's user and the bearer token's: the API takes the token first, so both
    are checked."""
    users: list[object] = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        users.append(user)
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        found = identify_once(request, token.strip())
        if found is not None:
            users.append(found[0])
    return users


def _read_only(user: object) -> bool:
    roles = frozenset(getattr(user, "roles", ()) or ())
    return bool(roles) and roles <= READ_ONLY_ROLES


def _open_to_read_only(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    if _READ_ONLY_OPEN_NAMESPACES.intersection(match.namespaces) or match.view_name in _READ_ONLY_OPEN_VIEWS:
        return True
    return "api" in match.namespaces and match.route.startswith(_READ_ONLY_OPEN_API_PREFIX)


def _refuse_read_only(request: HttpRequest, user: object) -> HttpResponse:
    audit.record(
        "access.denied",
        actor=user,
        result="denied",
        object_repr=f"read-only account: {request.method} {request.path_info}"[:200],
    )
    message = _("Your account is read-only: it cannot change anything.")
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": message, "field": None, "code": "read_only"}, status=404)
    return HttpResponse(message, status=404, content_type="text/plain; charset=utf-8")
