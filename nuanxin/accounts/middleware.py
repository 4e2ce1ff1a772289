"""Per-request scope, and idle/absolute expiry of console sessions (reference SESS-2)."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from nuanxin.accounts.scope import scope_of

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
