"""Users, the roles they hold on the territory tree, and API tokens."""

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from nuanxin.accounts.roles import CONSOLE_ROLES, Role


class User(AbstractUser):
    display_name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(self.role_grants.values_list("role", flat=True))

    @property
    def works_in_console(self) -> bool:
        return bool(self.roles & CONSOLE_ROLES)

    @property
    def audit_role(self) -> str:
        return ",".join(sorted(self.roles))


class RoleGrant(models.Model):
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    area = models.ForeignKey(
        "territory.Area", verbose_name=_("held on"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "territory.Place", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "area", "unit"], name="role_grant_unique"),
        ]

    def __str__(self) -> str:
        where = self.area or self.unit or _("everywhere")
        return f"{self.user} · {self.get_role_display()} · {where}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self, now: datetime | None = None) -> "ApiTokenQuerySet":
        """Tokens that still open the API: not past their expiry, used (or issued) within the
        last API_TOKEN_IDLE_DAYS, held by an active account."""
        now = now or timezone.now()
        idle_since = now - timedelta(days=idle_days())
        return self.filter(
            Q(last_used_at__gt=idle_since) | Q(last_used_at__isnull=True, created_at__gt=idle_since),
            expires_at__gt=now,
            user__is_active=True,
        )


def idle_days() -> int:
    """API_TOKEN_IDLE_DAYS: a token unused for this many days stops working."""
    return int(settings.API_TOKEN_IDLE_DAYS)


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only a SHA-256 of the token is stored. A revoked
    token is deleted (the audit log keeps the revocation)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d}"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def usable_until(self) -> datetime:
        return usable_until(self.created_at, self.expires_at, self.last_used_at)


def usable_until(created_at: datetime, expires_at: datetime, last_used_at: datetime | None) -> datetime:
    """When a token stops working if it is not used again: its expiry, or the end of its idle
    allowance, whichever comes first (the same limits as `ApiTokenQuerySet.active`)."""
    return min(expires_at, (last_used_at or created_at) + timedelta(days=idle_days()))
