"""Activities: the one record of everything the community organises and the people who
took part. A campaign (专项行动: a fire-safety sweep, a clean-up, a food-safety check, an
anti-fraud campaign) is an activity of a campaign kind; the checks it makes are visits
(inspections.Visit with this activity), not a record of their own. The volunteers' sign-up,
check-in, hours and points build on these same rows.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nuanxin.core.scoping import ScopedQuerySet, Scoping
from nuanxin.territory.models import Area, Place


class ActivityKind(models.TextChoices):
    FIRE_CHECK = "fire_check", _("fire-safety sweep")
    CLEANUP = "cleanup", _("clean-up")
    FOOD_SAFETY_CHECK = "food_safety_check", _("food-safety check")
    ANTI_FRAUD = "anti_fraud", _("anti-fraud campaign")
    OTHER_CAMPAIGN = "other_campaign", _("other campaign")


# The kinds that are campaigns (专项行动) and keep a campaign ledger.
CAMPAIGN_KINDS = (
    ActivityKind.FIRE_CHECK,
    ActivityKind.CLEANUP,
    ActivityKind.FOOD_SAFETY_CHECK,
    ActivityKind.ANTI_FRAUD,
    ActivityKind.OTHER_CAMPAIGN,
)


class ParticipantGroup(models.TextChoices):
    """Who took part, as the period figures count them. Riders, couriers and ride-hailing
    drivers are the new-employment workers (新就业群体)."""

    STAFF = "staff", _("community staff")
    VOLUNTEER = "volunteer", _("volunteer")
    RESIDENT = "resident", _("resident")
    RIDER = "rider", _("delivery rider")
    COURIER = "courier", _("courier")
    DRIVER = "driver", _("ride-hailing driver")
    MERCHANT = "merchant", _("merchant")
    UNIT_STAFF = "unit_staff", _("unit staff")
    PARTY_MEMBER = "party_member", _("party member")
    STUDENT = "student", _("student")


NEW_EMPLOYMENT_GROUPS = (ParticipantGroup.RIDER, ParticipantGroup.COURIER, ParticipantGroup.DRIVER)


class OrganiserKind(models.TextChoices):
    COMMUNITY = "community", _("community")
    UNIT = "unit", _("unit")
    MERCHANT = "merchant", _("merchant")


class ActivityQuerySet(ScopedQuerySet[Any]):
    def campaigns(self) -> "ActivityQuerySet":
        return self.filter(kind__in=CAMPAIGN_KINDS)


class Activity(models.Model):
    number = models.CharField(_("number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=ActivityKind.choices, db_index=True)
    title = models.CharField(_("title"), max_length=120)
    # Where it took place: a grid, or a community for one across grids.
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="activities")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    organiser_kind = models.CharField(
        _("organised by"), max_length=12, choices=OrganiserKind.choices, default=OrganiserKind.COMMUNITY
    )
    organiser_unit = models.ForeignKey(
        Place,
        verbose_name=_("organising unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organised_activities",
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="organised_activities",
    )
    # Places the activity covered (a clean-up's compounds, a sweep's streets); checks of
    # places are visits and are counted from them.
    places = models.ManyToManyField(Place, verbose_name=_("places covered"), blank=True, related_name="activities")
    findings = models.TextField(_("findings"), blank=True, max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scoping = Scoping(permission="activities.view", area="area__path", owner="participants__user_id")
    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="activity_dates")]
        indexes = [models.Index(fields=["kind", "starts_on"])]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_area_path(self) -> str:
        return self.area.path

    @property
    def is_campaign(self) -> bool:
        return self.kind in CAMPAIGN_KINDS


class Participant(models.Model):
    """One person who took part, with the group they came as. Someone with an account is
    linked to it (once per activity); others are recorded by name."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="participations",
    )
    name = models.CharField(_("name"), max_length=30)
    group = models.CharField(_("group"), max_length=16, choices=ParticipantGroup.choices, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["activity_id", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "user"], condition=Q(user__isnull=False), name="participant_once_per_activity"
            )
        ]

    def __str__(self) -> str:
        return f"participant #{self.pk}"
