"""Disputes (矛盾纠纷) and their mediation.

A dispute lives in a grid; its parties are people or units, its mediators staff or
volunteers; mediation sessions are dated with what was said and agreed; the outcome
(agreement reached, referred, failed) and the level where it was settled (grid, community,
street) give the period figures ("small matters stay in the grid"). Parties' phones are
encrypted; names are masked wherever lists and exports show them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nuanxin.core.fields import EncryptedTextField
from nuanxin.core.scoping import ScopedQuerySet, Scoping
from nuanxin.territory.models import Area, Place


class DisputeKind(models.TextChoices):
    NEIGHBOUR = "neighbour", _("neighbours")
    FAMILY = "family", _("family")
    PROPERTY_MANAGEMENT = "property_management", _("property management")
    LANDLORD_TENANT = "landlord_tenant", _("landlord and tenant")
    LABOUR = "labour", _("labour")
    CONSUMER = "consumer", _("consumer")
    OTHER = "other", _("other")


class DisputeSource(models.TextChoices):
    REPORT = "report", _("report")
    VISIT = "visit", _("visit")
    WALK_IN = "walk_in", _("walk-in")
    REFERRAL = "referral", _("referral")


class Outcome(models.TextChoices):
    AGREEMENT = "agreement", _("agreement reached")
    REFERRED = "referred", _("referred")
    FAILED = "failed", _("mediation failed")


class SettledLevel(models.TextChoices):
    GRID = "grid", _("grid")
    COMMUNITY = "community", _("community")
    STREET = "street", _("street")


class Dispute(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("being mediated")
        CLOSED = "closed", _("closed")

    number = models.CharField(_("number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=DisputeKind.choices, db_index=True)
    summary = models.TextField(_("summary"), max_length=2000)
    source = models.CharField(_("source"), max_length=10, choices=DisputeSource.choices)
    # Where it came from, when it came from a report or a visit.
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    visit = models.ForeignKey(
        "inspections.Visit",
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes",
    )
    grid = models.ForeignKey(Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="disputes")
    received_on = models.DateField(_("received on"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    settled_level = models.CharField(_("settled at"), max_length=10, choices=SettledLevel.choices, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # The signed agreement (PDF or a photo of it), stored under a random name.
    agreement_name = models.CharField(max_length=200, blank=True)
    agreement_content_type = models.CharField(max_length=40, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scoping = Scoping(permission="disputes.view", area="grid__path")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open", outcome="", closed_on__isnull=True)
                | Q(state="closed", closed_on__isnull=False) & ~Q(outcome=""),
                name="dispute_closed_with_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="agreement") | ~Q(settled_level=""), name="dispute_agreement_has_level"
            ),
        ]
        indexes = [models.Index(fields=["grid", "received_on"]), models.Index(fields=["state", "closed_on"])]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_area_path(self) -> str:
        return self.grid.path

    @property
    def resolved(self) -> bool:
        """Settled by mediation (化解): closed with an agreement."""
        return self.outcome == Outcome.AGREEMENT


class DisputeParty(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        UNIT = "unit", _("unit")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    phone = EncryptedTextField(_("phone"), blank=True)
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("resident"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey(
        Place, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["dispute_id", "id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return f"party #{self.pk}"


class Mediator(models.Model):
    """A staff member or a volunteer mediating a dispute."""

    class Group(models.TextChoices):
        STAFF = "staff", _("staff")
        VOLUNTEER = "volunteer", _("volunteer")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="mediators")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="mediations"
    )
    name = models.CharField(_("name"), max_length=30)
    group = models.CharField(_("group"), max_length=10, choices=Group.choices)

    class Meta:
        ordering = ["dispute_id", "id"]
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "user"], condition=Q(user__isnull=False), name="mediator_once_per_dispute"
            )
        ]

    def __str__(self) -> str:
        return f"mediator #{self.pk}"


class MediationSession(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("held on"))
    location = models.CharField(_("location"), max_length=120, blank=True)
    summary = models.TextField(_("summary"), max_length=2000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dispute_id", "held_on", "id"]
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")

    def __str__(self) -> str:
        return f"mediation session #{self.pk}"
