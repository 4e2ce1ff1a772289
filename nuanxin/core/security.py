"""Request hygiene shared by every page and endpoint: NUL characters, oversized bodies, the
Content-Security-Policy, and no caching of answers that carry personal data."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from nuanxin.core import maps

_CHECKED_BODIES = ("application/json", "application/x-www-form-urlencoded")


def _nul_in(query: Any) -> bool:
    return any("\x00" in value for _key, values in query.lists() for value in values)


def _has_nul(request: HttpRequest) -> bool:
    if _nul_in(request.GET):
        return True
    if request.method == "POST" and request.content_type == "multipart/form-data":
        return _nul_in(request.POST)  # the fields, not the uploaded files
    if request.method in ("POST", "PUT", "PATCH") and request.content_type in _CHECKED_BODIES:
        body = request.body
        if b"\x00" in body:
            return True
        if request.content_type == "application/json":
            return b"\\u0000" in body
        return b"%00" in body
    return False


def declared_length(request: HttpRequest) -> int:
    """The body's length as the client declared it (0 when absent or not a number)."""
    text = request.META.get("CONTENT_LENGTH") or ""
    return int(text) if text.isascii() and text.isdigit() else 0


def max_request_bytes() -> int:
    """The largest body accepted, uploads included (settings.NUANXIN_REQUEST_MAX_BYTES)."""
    return int(settings.NUANXIN_REQUEST_MAX_BYTES)


def _refusal(request: HttpRequest, message: str, code: str, status: int) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message, "field": None, "code": code}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _carries_personal_data(request: HttpRequest) -> bool:
    """Every API answer, and every page shown to someone signed in: what a signed-in person sees
    (people, cases, exports) is theirs or their office's, never a shared cache's."""
    if request.path.startswith("/api/"):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    """Refuses a body declared longer than NUANXIN_REQUEST_MAX_BYTES with a 413 before reading
    it (a body without a declared length is not read at all: Django reads CONTENT_LENGTH bytes);
    refuses NUL characters (PostgreSQL cannot store them) with a 400 instead of a 500; sends a
    Content-Security-Policy that allows only this site's scripts and styles; and marks answers
    that carry personal data `Cache-Control: no-store`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = max_request_bytes()
        if declared_length(request) > limit:
            message = _("The request is too large: at most %(mb)d MB.") % {"mb": max(1, limit // (1024 * 1024))}
            response = _refusal(request, message, "too_large", 413)
            response["Connection"] = "close"  # the unread body must not be taken for the next request
        elif _has_nul(request):
            message = _("The request contains a NUL character, which no field accepts.")
            if request.path.startswith("/api/"):
                response = JsonResponse({"error": message, "field": None, "code": "invalid"}, status=400)
            else:
                response = HttpResponseBadRequest(message)
        else:
            response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy())
        if "Cache-Control" not in response and _carries_personal_data(request):
            response["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def policy() -> str:
        tile_origins = " ".join(maps.tile_origins())
        return "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                # Leaflet positions map panes with inline styles.
                "style-src 'self' 'unsafe-inline'",
                f"img-src 'self' data: {tile_origins}".strip(),
                "connect-src 'self'",
                "frame-ancestors 'none'",
                "base-uri 'self'",
                "form-action 'self'",
            ]
        )
