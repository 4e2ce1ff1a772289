"""Two-step verification (TOTP, with single-use recovery codes) for the accounts that can
reveal personal data or act on a community or above (docs/accounts-mfa.md).

Who needs it: `mfa_required`. Writes: `start_enrolment`, `confirm_enrolment`,
`verify_second_factor`, `check_second_factor` (API tokens), `reset_mfa`. The middleware keeps
a signed-in account that needs it away from every page until it has passed the second step.
"""

import re
from base64 import b32encode
from collections.abc import Callable
from typing import Any

import django_otp
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from nuanxin.accounts.roles import GLOBAL_ROLES, PERMISSIONS, ROLE_LEVEL
from nuanxin.core import audit
from nuanxin.core.errors import DomainError

# Who must use it: every role that may reveal ID numbers or see key persons, every role held
# on a community, a street or a district, and the roles that reach the whole installation
# (the system admin, and the auditor, who reads everyone's audit trail).
_SENSITIVE = {"people.reveal", "people.view_key_person"}
MFA_ROLES = frozenset(
    {role for role, permissions in PERMISSIONS.items() if permissions & _SENSITIVE}
    | {role for role, level in ROLE_LEVEL.items() if level in ("community", "street", "district")}
    | set(GLOBAL_ROLES)
)
# The logins `load_demo` creates (README "Demo logins"): exempt in demo mode only, so the
# published demo password alone still signs them in. Outside demo mode they are ordinary names.
DEMO_LOGINS = frozenset(
    {
        "admin",
        "street",
        "community",
        "grid1-leader",
        "grid1-worker",
        "grid2-worker",
        "rider1",
        "resident1",
        "partner1",
        "auditor",
    }
)
RECOVERY_CODES = 10
TOTP_NAME = "authenticator app"
RECOVERY_NAME = "recovery codes"
_TOTP_CODE = re.compile(r"\d{6}")


def mfa_required(user: Any) -> bool:
    """Whether this account must pass a second step after its password: it holds a role of
    MFA_ROLES or can use the Django admin. Never in demo mode for the demo logins, never when
    NUANXIN_MFA_REQUIRED is off (tests, benchmarks)."""
    if not settings.NUANXIN_MFA_REQUIRED or not user.is_authenticated:
        return False
    if settings.NUANXIN_DEMO and user.username in DEMO_LOGINS:
        return False
    return bool(user.is_superuser or user.is_staff or user.roles & MFA_ROLES)


def confirmed_totp(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def secret_of(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it by hand: base32, in groups of four."""
    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@transaction.atomic
def start_enrolment(*, actor: Any) -> TOTPDevice:
    """The unconfirmed TOTP device the actor is setting up (made on the first call, the same
    one after). Raises DomainError when the actor already has a confirmed one: a second device
    is added only after an admin reset, never by whoever holds the password."""
    if confirmed_totp(actor) is not None:
        raise DomainError(_("Two-step verification is already set up for this account."), code="forbidden")
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name=TOTP_NAME, confirmed=False)
    return device


def confirm_enrolment(*, actor: Any, code: str, request: HttpRequest | None = None) -> list[str]:
    """Confirm the actor's pending TOTP device with a code from the app, mark the session
    verified, and return RECOVERY_CODES new recovery codes (replacing any old ones; shown once).

    A wrong code counts towards the device's throttle and is audited; it raises DomainError on
    `otp`. The check and its throttle are written first, so a refusal keeps them."""
    device = start_enrolment(actor=actor)
    _check_allowed(device)
    if not django_otp.verify_token(actor, device.persistent_id, _digits(code)):
        _failed(actor, "enrolment")
        raise DomainError(_("This code is not right. Check the time on your phone and try again."), field="otp")
    with transaction.atomic():
        device.refresh_from_db()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(actor)
        audit.record("accounts.mfa_enrolled", actor=actor, obj=actor)
    if request is not None:
        django_otp.login(request, device)
    return codes


def verify_second_factor(*, actor: Any, code: str, request: HttpRequest | None = None) -> Device:
    """Check a code from the actor's TOTP app, or one of their recovery codes (used up), and
    mark the session verified when `request` is given. Returns the device that accepted it.

    Raises DomainError on `otp`: no device set up (`mfa_not_enrolled`), too many wrong codes
    in a row (`throttled`, django-otp's doubling delay per device), or a wrong code (audited)."""
    totp = confirmed_totp(actor)
    if totp is None:
        raise DomainError(
            _("Two-step verification is not set up for this account: set it up in the browser first."),
            field="otp",
            code="mfa_not_enrolled",
        )
    typed = "".join(code.split()).lower()
    if _TOTP_CODE.fullmatch(typed):
        device: Device = totp
        kind = "totp"
    else:
        static = StaticDevice.objects.filter(user=actor, confirmed=True).first()
        if static is None:
            _failed(actor, "recovery_code")
            raise DomainError(_("This code is not right."), field="otp")
        device, kind = static, "recovery_code"
    _check_allowed(device)
    if not django_otp.verify_token(actor, device.persistent_id, typed):
        _failed(actor, kind)
        raise DomainError(_("This code is not right."), field="otp")
    if kind == "recovery_code":
        left = StaticToken.objects.filter(device=device).count()
        audit.record("accounts.mfa_recovery_code_used", actor=actor, obj=actor, detail={"left": left})
    else:
        audit.record("accounts.mfa_verified", actor=actor, obj=actor)
    if request is not None:
        django_otp.login(request, device)
    return device


def check_second_factor(*, user: Any, code: str | None) -> None:
    """The second step for an API token: nothing for an account that does not need it, else
    a valid TOTP or recovery code in `code` (DomainError on `otp` when missing or wrong)."""
    if not mfa_required(user):
        return
    if not (code or "").strip():
        raise DomainError(
            _("This account needs the code from its authenticator app in otp."), field="otp", code="otp_required"
        )
    verify_second_factor(actor=user, code=code or "")


@transaction.atomic
def reset_mfa(*, actor: Any, user: Any) -> None:
    """Remove all of a user's second-factor devices (a lost phone): at their next request they
    set up a new app. Only a system admin may; audited."""
    if not (actor is not None and actor.is_authenticated and actor.is_superuser):
        raise DomainError(_("Only a system admin may reset two-step verification."), code="forbidden")
    removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    audit.record("accounts.mfa_reset", actor=actor, obj=user, detail={"removed": removed})


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _digits(code: str) -> str:
    return "".join(code.split())


def _check_allowed(device: Device) -> None:
    allowed, data = device.verify_is_allowed()
    if not allowed:
        until = (data or {}).get("locked_until")
        seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
        raise DomainError(
            _("Too many wrong codes. Wait %(seconds)s seconds and try again.") % {"seconds": seconds},
            field="otp",
            code="throttled",
        )


def _failed(user: Any, kind: str) -> None:
    audit.record("accounts.mfa_failed", actor=user, obj=user, result="failed", detail={"kind": kind})


def _open_paths() -> tuple[str, ...]:
    """Where an account that still owes its second step may go."""
    return (
        reverse("accounts:logout"),
        reverse("accounts:mfa_setup"),
        reverse("accounts:mfa_verify"),
        reverse("set_language"),
        "/" + settings.STATIC_URL.lstrip("/"),
        # The phone app's worker, manifest and offline page hold nothing of the account.
        reverse("service_worker"),
        reverse("manifest"),
        reverse("offline"),
    )


class SecondFactorMiddleware:
    """A signed-in account that needs the second step and has not passed it goes to the
    verify page (or to enrolment when it has no app yet) from every page but sign-out, the
    MFA pages and static files; the API answers 403 `mfa_required`. After OTPMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.NUANXIN_MFA_REQUIRED
            and user.is_authenticated
            and mfa_required(user)
            and not getattr(user, "is_verified", lambda: False)()
            and not request.path.startswith(_open_paths())
        ):
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            message = _("Two-step verification is required: finish signing in in the browser.")
            return JsonResponse({"error": message, "field": None, "code": "mfa_required"}, status=403)
        page = "accounts:mfa_verify" if confirmed_totp(request.user) else "accounts:mfa_setup"
        url = reverse(page)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            return HttpResponseClientRedirect(url)
        return redirect(url)
