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
    hops = int(settings.AXES_IPWARE_PROXY_COUNT)
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
