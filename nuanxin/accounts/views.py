from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """What a locked-out (username, IP) gets (AXES_LOCKOUT_CALLABLE): JSON on the API, a page elsewhere."""
    message = _("Too many failed attempts. This account is locked from this address for 15 minutes.")
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message, "field": "password", "code": "locked_out"}, status=429)
    return render(request, "accounts/locked_out.html", status=429)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")
