"""Open311 API keys: who may post service requests and read them, and how far they reach.

A key is stored only as its SHA-256 digest (the key is 256 random bits, so a plain hash is
enough: there is nothing to guess); its first characters are kept to tell keys apart in the
admin. A key reaches the subtree of one territory node, like a role held on that node.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nuanxin.territory.models import Area


class ApiKey(models.Model):
    name = models.CharField(
        _("name"), max_length=80, help_text=_("Who uses this key, e.g. the district 12345 platform.")
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("reaches"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The key posts and reads cases in this node's subtree only."),
    )
    prefix = models.CharField(_("key starts with"), max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("issued at"), editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def audit_area_path(self) -> str:
        return self.area.path
