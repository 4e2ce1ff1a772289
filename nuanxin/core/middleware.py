"""Request context (id, client IP, user) for the audit log and error pages."""

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass
class RequestContext:
    request_id: str = ""
    ip: str = ""
    request: HttpRequest | None = None


_OUTSIDE_REQUESTS = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("nuanxin_request", default=None)


def current_context() -> RequestContext:
    """The running request's context; an empty one in commands, tasks and tests."""
    return _current.get() or _OUTSIDE_REQUESTS


def client_ip(request: HttpRequest) -> str:
    """The client address, trusting X-Forwarded-For only for the configured proxy hops."""
    hops = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0)
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return str(request.META.get("REMOTE_ADDR", ""))


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(RequestContext(request_id=request_id, ip=client_ip(request), request=request))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response


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


# The helpers import accounts inside: core.audit imports this module, and accounts imports
# core.audit.


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
        from nuanxin.accounts.actions import user_for_token

        token_user = user_for_token(token.strip())
        if token_user is not None:
            users.append(token_user)
    return users


def _read_only(user: object) -> bool:
    from nuanxin.accounts.roles import READ_ONLY_ROLES

    roles = frozenset(getattr(user, "roles", ()) or ())
    return bool(roles) and roles <= READ_ONLY_ROLES


def _open_to_read_only(request: HttpRequest) -> bool:
    from django.urls import Resolver404, resolve

    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    if _READ_ONLY_OPEN_NAMESPACES.intersection(match.namespaces) or match.view_name in _READ_ONLY_OPEN_VIEWS:
        return True
    return "api" in match.namespaces and match.route.startswith(_READ_ONLY_OPEN_API_PREFIX)


def _refuse_read_only(request: HttpRequest, user: object) -> HttpResponse:
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    from nuanxin.core import audit

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
