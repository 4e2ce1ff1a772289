"""Writes on accounts: users, role grants, API tokens."""

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.accounts.models import ApiToken, RoleGrant, User
from nuanxin.accounts.roles import GLOBAL_ROLES, ROLE_LEVEL, UNIT_ROLES, Role
from nuanxin.core import audit
from nuanxin.core.errors import DomainError
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
    user = User(username=username, display_name=display_name.strip(), email=email.strip())
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

    Checks that the role fits where it is held (`check_grant`); raises DomainError otherwise."""
    check_grant(role=role, area=area, unit=unit)
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
    """Take a role away. The last system-admin grant also takes away the Django admin."""
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


def issue_token(*, request: HttpRequest | None, username: str, password: str) -> tuple[User, str]:
    """Check the password (through axes, so lockout applies) and issue a bearer token."""
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        raise DomainError(_("Wrong username or password."), field="password", code="invalid_credentials")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(
            user=user,
            digest=ApiToken.digest_of(token),
            expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
        )
        audit.record("accounts.token_issued", actor=user, obj=user)
    return user, token


def user_for_token(token: str) -> User | None:
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(token), expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
    if row is None:
        return None
    if row.last_used_at is None or timezone.now() - row.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row.user
