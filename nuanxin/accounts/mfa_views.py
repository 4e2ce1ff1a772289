"""The two-step verification pages: enrolment (QR code, confirm, recovery codes once) and the
verify page after the password (docs/accounts-mfa.md)."""

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from nuanxin.accounts import mfa
from nuanxin.core.errors import DomainError


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrolment for an account that needs the second step and has no app yet: the secret as
    a QR code and as text, confirmed with a code; then the recovery codes, shown this once."""
    user = request.user
    if not mfa.mfa_required(user):
        return redirect("home")
    if mfa.confirmed_totp(user) is not None:  # set up already: a new app only after an admin reset
        return redirect(reverse("accounts:mfa_verify") + "?" + urlencode({"next": _next_url(request)}))
    device = mfa.start_enrolment(actor=user)
    error = ""
    if request.method == "POST":
        try:
            codes = mfa.confirm_enrolment(actor=user, code=request.POST.get("otp", ""), request=request)
        except DomainError as exc:
            error = exc.message
        else:
            return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes, "next": _next_url(request)})
    qr = segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, light="#fff")
    context = {
        "qr": mark_safe(qr),  # noqa: S308 - segno's own markup of the otpauth URL we built
        "secret": mfa.secret_of(device),
        "error": error,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "accounts/mfa_setup.html", context, status=400 if error else 200)


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step after the password: a code from the app, or a recovery code."""
    user = request.user
    if getattr(user, "is_verified", lambda: False)():
        return redirect(_next_url(request))
    if mfa.confirmed_totp(user) is None:
        if mfa.mfa_required(user):
            return redirect("accounts:mfa_setup")
        return redirect(_next_url(request))
    error = ""
    if request.method == "POST":
        try:
            mfa.verify_second_factor(actor=user, code=request.POST.get("otp", ""), request=request)
        except DomainError as exc:
            error = exc.message
        else:
            return redirect(_next_url(request))
    context = {"error": error, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "accounts/mfa_verify.html", context, status=400 if error else 200)
