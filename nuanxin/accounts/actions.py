"""Writes on accounts: users, role grants, API tokens."""

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.accounts.mfa import check_second_factor
from nuanxin.accounts.models import ApiToken, RoleGrant, User
from nuanxin.accounts.roles import GLOBAL_ROLES, ROLE_LEVEL, UNIT_ROLES, Role
from nuanxin.accounts.scope import scope_of
from nuanxin.accounts.signin import signin_identifier
from nuanxin.core import audit
from nuanxin.core.audit import SYSTEM
from nuanxin.core.errors import DomainError
from nuanxin.core.validators import plain_name
from nuanxin.territory.models import Area, Place


@transaction.atomic
def create_user(*, actor: Any, username: str, password: str | None, display_name: str = "", email: str = "") -> User:
    """Create an account. A password is validated (length, common list); None makes the
    account unable to log in until a password is set."""
    username = username.strip()
    if not username:
        raise DomainError(_("A username is required."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("This username is taken."), field="username")
    display_name = plain_name(display_name, field="display_name", limit=60, required=False)
    user = User(username=username, display_name=display_name, email=email.strip())
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field="password") from None
        user.set_password(password)
    user.save()
    audit.record("accounts.user_created", actor=actor, obj=user)
    return user


@transaction.atomic
def grant_role(*, actor: Any, user: User, role: str, area: Area | None = None, unit: Place | None = None) -> RoleGrant:
    """Give `user` a role on a node (or a unit, or everywhere for global roles).

    Checks, before anything is written, that the role fits where it is held (`check_grant`)
    and that the actor may hand it out there (`check_may_grant`: accounts.manage on the node,
    a system admin for a global role; `actor=SYSTEM` for the installation itself). Raises
    DomainError otherwise ("forbidden" for an actor without the permission)."""
    check_grant(role=role, area=area, unit=unit)
    check_may_grant(actor=actor, role=role, area=area, unit=unit)
    grant, created = RoleGrant.objects.get_or_create(user=user, role=role, area=area, unit=unit)
    if role == Role.SYSTEM_ADMIN and not (user.is_staff and user.is_superuser):
        # System admins maintain reference data in the Django admin.
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    if created:
        audit.record(
            "accounts.role_granted",
            actor=actor,
            obj=user,
            area_path=area.path if area else "",
            detail=_grant_detail(grant),
        )
    _forget_roles(user)
    return grant


@transaction.atomic
def revoke_role(*, actor: Any, grant: RoleGrant) -> None:
    """Take a role away; the same permission as granting it (`check_may_grant`) is needed.
    The last system-admin grant also takes away the Django admin."""
    # The row as stored: the instance given may carry unsaved edits (an admin form's).
    grant = RoleGrant.objects.select_related("user", "area", "unit__grid").get(pk=grant.pk)
    check_may_grant(actor=actor, role=grant.role, area=grant.area, unit=grant.unit)
    user = grant.user
    detail = _grant_detail(grant)
    area_path = grant.area.path if grant.area else ""
    grant.delete()
    if detail["role"] == Role.SYSTEM_ADMIN and not user.role_grants.filter(role=Role.SYSTEM_ADMIN).exists():
        user.is_staff = user.is_superuser = False
        user.save(update_fields=["is_staff", "is_superuser"])
    audit.record("accounts.role_revoked", actor=actor, obj=user, area_path=area_path, detail=detail)
    _forget_roles(user)


def _grant_detail(grant: RoleGrant) -> dict[str, Any]:
    return {"role": grant.role, "area": grant.area.code if grant.area else None, "unit": grant.unit_id}


def _forget_roles(user: User) -> None:
    user.__dict__.pop("_nuanxin_scope", None)
    user.__dict__.pop("roles", None)


def check_grant(*, role: str, area: Area | None, unit: Place | None) -> None:
    """Whether a role may be held there: global roles on no unit (a system admin on no node),
    a partner representative on one unit, node roles on a node of their level."""
    if role not in Role.values:
        raise DomainError(_("Unknown role."), field="role")
    if role in GLOBAL_ROLES:
        if unit is not None:
            raise DomainError(_("This role is not held on a unit."), field="unit")
        if role == Role.SYSTEM_ADMIN and area is not None:
            raise DomainError(_("A system admin is held on no node."), field="area")
    elif role in UNIT_ROLES:
        if unit is None or area is not None:
            raise DomainError(_("A partner representative speaks for one unit."), field="unit")
    elif Role(role) in ROLE_LEVEL:
        level = ROLE_LEVEL[Role(role)]
        if area is None or area.level != level:
            raise DomainError(_("This role is held on a %(level)s.") % {"level": Area.Level(level).label}, field="area")
    elif area is None:
        raise DomainError(_("This role is held on a node of the territory."), field="area")


def check_may_grant(*, actor: Any, role: str, area: Area | None, unit: Place | None) -> None:
    """Whether `actor` may grant or withdraw `role` there. Fails closed: only `SYSTEM` (the
    installation itself, named on purpose) passes without a check; any other actor, None
    included, needs accounts.manage on the node the role is held on (a unit: on the unit's
    grid), and a global role (system admin, auditor) needs a system admin. The account
    `createsuperuser` makes counts as one: it holds no role yet, and the Django admin gives
    it every power anyway. Raises a DomainError with code "forbidden"."""
    if actor is SYSTEM:
        return
    scope = scope_of(actor)
    if scope.is_authenticated and getattr(actor, "is_superuser", False):
        return
    if role in GLOBAL_ROLES:
        allowed = scope.everything
    elif unit is not None:
        allowed = scope.has_at("accounts.manage", unit.grid.path)
    elif area is not None:
        allowed = scope.has_at("accounts.manage", area.path)
    else:
        allowed = False
    if not allowed:
        raise DomainError(_("You may not grant or withdraw this role here."), field="role", code="forbidden")


def issue_token(
    *, request: HttpRequest | None, username: str, password: str, otp: str | None = None
) -> tuple[User, str]:
    """Check the password (through axes, so lockout applies), then the second step for an
    account that needs one (`otp`: a TOTP or recovery code; DomainError on `otp` when missing
    or wrong), and issue a bearer token."""
    # One form of the identifier for the lookup and the lockout (as on the sign-in page).
    user = authenticate(request, username=signin_identifier(username), password=password)
    if user is None or not user.is_active:
        raise DomainError(_("Wrong username or password."), field="password", code="invalid_credentials")
    check_second_factor(user=user, code=otp)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(
            user=user,
            digest=ApiToken.digest_of(token),
            expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
        )
        audit.record("accounts.token_issued", actor=user, obj=user)
    return user, token


def token_for(token: str) -> ApiToken | None:
    """The active token (`ApiToken.objects.active`: not expired, not idle too long, of an
    active account) that `token` is, with its user; None for anything else. Notes its use
    (at most every 5 minutes, so a busy client does not write on every request)."""
    now = timezone.now()
    row = ApiToken.objects.active(now).select_related("user").filter(digest=ApiToken.digest_of(token)).first()
    if row is None:
        return None
    row.last_used_at = note_token_use(row.pk, row.last_used_at, now)
    return row


# How often a used token's last_used_at is written (the idle limit counts from it).
TOKEN_USE_STEP = timedelta(minutes=5)


def note_token_use(token_id: int, last_used_at: datetime | None, now: datetime) -> datetime | None:
    """Write that a token was used, at most every TOKEN_USE_STEP (so a busy client does not
    write on every request); the token's last use as it stands after."""
    if last_used_at is None or now - last_used_at > TOKEN_USE_STEP:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        return now
    return last_used_at


class TokenRevoked:
    """Why tokens were revoked: the reason in the audit entry."""

    BY_CLIENT = "client"
    BY_ADMIN = "admin"
    PASSWORD_CHANGED = "password_changed"
    DEACTIVATED = "deactivated"
    ROLE_WITHDRAWN = "role_withdrawn"


@transaction.atomic
def revoke_token(*, actor: Any, token: ApiToken, reason: str) -> None:
    """Revoke one token (it is deleted: it stops working at once). Audited with the reason
    (a `TokenRevoked` value); who may revoke which token is the caller's check."""
    user, token_id = token.user, token.pk
    token.delete()
    audit.record("accounts.token_revoked", actor=actor, obj=user, detail={"token": token_id, "reason": reason})


@transaction.atomic
def revoke_tokens(*, actor: Any, user: User, reason: str) -> int:
    """Revoke every token of `user` (a password change, a deactivation, a role withdrawn).
    Returns how many there were; audited when there was at least one."""
    count, _deleted = ApiToken.objects.filter(user=user).delete()
    if count:
        audit.record("accounts.tokens_revoked", actor=actor, obj=user, detail={"count": count, "reason": reason})
    return count
