"""Request hygiene shared by every page and endpoint."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

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


class SecurityHeadersMiddleware:
    """Refuses NUL characters (PostgreSQL cannot store them) with a 400 instead of a 500, and
    sends a Content-Security-Policy that allows only this site's scripts and styles."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            message = _("The request contains a NUL character, which no field accepts.")
            if request.path.startswith("/api/"):
                response: HttpResponse = JsonResponse({"error": message, "field": None, "code": "invalid"}, status=400)
            else:
                response = HttpResponseBadRequest(message)
        else:
            response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy())
        return response

    @staticmethod
    def policy() -> str:
        tiles = settings.NUANXIN_TILE_URL
        tile_origin = "/".join(tiles.split("/")[:3]).replace("{s}.", "*.") if tiles else ""
        return "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                # Leaflet positions map panes with inline styles.
                "style-src 'self' 'unsafe-inline'",
                f"img-src 'self' data: {tile_origin}".strip(),
                "connect-src 'self'",
                "frame-ancestors 'none'",
                "base-uri 'self'",
                "form-action 'self'",
            ]
        )
