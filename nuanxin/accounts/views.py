from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.accounts.forms import LoginForm
from nuanxin.accounts.scope import scope_of
from nuanxin.accounts.token_memory import user_for_token
from nuanxin.core import ratelimit


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A coarse cap on attempts per address, besides axes' lockout (docs/rate-limits.md).
        ratelimit.limit(request, "sign_in")
        return super().post(request, *args, **kwargs)


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """What a locked-out account or address gets (AXES_LOCKOUT_CALLABLE): JSON on the API, a
    page elsewhere; the right password too, until the cool-off has passed."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    message = _(
        "Too many failed sign-in attempts for this account or from this address. "
        "Signing in is paused for %(minutes)d minutes."
    ) % {"minutes": minutes}
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": message, "field": "password", "code": "locked_out"}, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def login_or_bearer_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """For the files an API answer links to (photos): a request with `Authorization: Bearer`
    is the token's user (401 for a token that does not work), any other needs a signed-in
    session. The view's own scope check then applies as for a page."""
    session_view = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return session_view(request, *args, **kwargs)
        user = user_for_token(token.strip())
        if user is None:
            error = {"error": _("Sign in or send a bearer token."), "field": None, "code": "unauthenticated"}
            return JsonResponse(error, status=401)
        request.user = user
        request.scope = SimpleLazyObject(lambda: scope_of(user))  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")
