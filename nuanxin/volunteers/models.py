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
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nuanxin.core.appendonly import AppendOnlyModel, AppendOnlyQuerySet, NeverDeletedModel, NeverDeletedQuerySet
from nuanxin.core.fields import EncryptedTextField
from nuanxin.core.scoping import ScopedQuerySet, Scoping
from nuanxin.territory.models import Area, Place


class ActivityKind(models.TextChoices):
    FIRE_CHECK = "fire_check", _("fire-safety sweep")
    CLEANUP = "cleanup", _("clean-up")
    FOOD_SAFETY_CHECK = "food_safety_check", _("food-safety check")
    ANTI_FRAUD = "anti_fraud", _("anti-fraud campaign")
    OTHER_CAMPAIGN = "other_campaign", _("other campaign")
    BLOOD_DONATION = "blood_donation", _("blood donation")
    FESTIVAL = "festival", _("festival")
    HEALTH_CLINIC = "health_clinic", _("health clinic")
    FREE_HAIRCUT = "free_haircut", _("free haircut")
    ANTI_FRAUD_TALK = "anti_fraud_talk", _("anti-fraud talk")
    ELDERLY_VISIT = "elderly_visit", _("elderly visit")
    CHARITY_MEAL = "charity_meal", _("charity meal")
    OTHER = "other", _("other activity")


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


# The permissions of an activity's organisers at its area (either one): they check people in and
# out, keep its sign-ups and certify its volunteers' hours.
ORGANISER_PERMISSIONS = ("activities.manage", "volunteers.manage")
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
    # A published activity (sign-up, check-in, hours) has times on its first and last day;
    # service time is counted inside them. Campaigns recorded after the fact may have none.
    start_time = models.TimeField(_("starts at"), null=True, blank=True)
    end_time = models.TimeField(_("ends at"), null=True, blank=True)
    published = models.BooleanField(_("open for sign-up"), default=False)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    # Why and when it was cancelled (signups.cancel_activity), shown on its pages.
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # None: no limit. Sign-ups beyond it wait in line and move up when a place frees.
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    roles_needed = models.JSONField(_("roles needed"), default=list, blank=True)
    # What it used: {"venue": text, "money": yuan, "goods": text}.
    resources = models.JSONField(_("resources used"), default=dict, blank=True)
    # The secret the venue's QR code is signed with; a new one voids every printed code.
    checkin_secret = models.CharField(max_length=64, blank=True, editable=False)
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


class Partner(models.Model):
    """An organisation that brings volunteers: a unit, a merchant or a delivery platform,
    with the accounts that speak for it."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("unit")
        MERCHANT = "merchant", _("merchant")
        PLATFORM = "platform", _("platform company (delivery, ride-hailing, express)")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    place = models.ForeignKey(
        Place, verbose_name=_("place"), null=True, blank=True, on_delete=models.PROTECT, related_name="partners"
    )
    representatives = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("representatives"), blank=True, related_name="partners"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name


class Volunteer(models.Model):
    """A registered volunteer: a real name and a phone (encrypted, with a blind index so a
    phone registers once), the group they come from, their platform or employer, skills,
    availability and home grid."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.PROTECT, related_name="volunteer"
    )
    name = models.CharField(_("real name"), max_length=30)
    phone = EncryptedTextField(_("phone"))
    phone_index = models.CharField(max_length=64, unique=True, editable=False)
    group = models.CharField(_("group"), max_length=16, choices=ParticipantGroup.choices, db_index=True)
    employer = models.CharField(_("platform or employer"), max_length=120, blank=True)
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), null=True, blank=True, on_delete=models.PROTECT, related_name="volunteers"
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    availability = models.CharField(_("availability"), max_length=200, blank=True)
    home_grid = models.ForeignKey(
        Area, verbose_name=_("home grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="volunteers"
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)

    scoping = Scoping(permission="volunteers.view", area="home_grid__path", owner="user_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")

    def __str__(self) -> str:
        return f"volunteer #{self.pk}"


class SignUp(models.Model):
    """A volunteer's place at an activity: confirmed within its capacity, or waiting in line
    (ordered by when they signed up) until one frees; cancelled sign-ups stay on record."""

    class State(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        WAITING = "waiting", _("on the waiting list")
        CANCELLED = "cancelled", _("cancelled")

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="signups")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="signups")
    role = models.CharField(_("role"), max_length=60, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    signed_up_at = models.DateTimeField(_("signed up at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["activity_id", "signed_up_at", "id"]
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "volunteer"],
                condition=~Q(state="cancelled"),
                name="signup_once_per_activity",
            )
        ]
        indexes = [models.Index(fields=["activity", "state", "signed_up_at"])]

    def __str__(self) -> str:
        return f"sign-up #{self.pk}"


class Attendance(models.Model):
    """Check-in and check-out at an activity: by the venue's QR code or by the organiser's
    hand. Once per volunteer and activity, which the database guarantees."""

    class Method(models.TextChoices):
        QR = "qr", _("QR code")
        BY_HAND = "by_hand", _("by the organiser")

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="attendances")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="attendances")
    checked_in_at = models.DateTimeField(_("checked in at"))
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["activity_id", "checked_in_at", "id"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [models.UniqueConstraint(fields=["activity", "volunteer"], name="attendance_once_per_activity")]

    def __str__(self) -> str:
        return f"attendance #{self.pk}"


class ServiceRecord(NeverDeletedModel):
    """Service hours for one attendance, as the national record rules have them: time
    actually served between check-in and check-out, within the activity's time (travel
    excluded), recorded by the system and certified by the organiser. Never deleted; a
    correction is a request of its own."""

    class State(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved")

    attendance = models.OneToOneField(Attendance, on_delete=models.PROTECT, related_name="record")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="service_records")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="service_records")
    minutes = models.PositiveIntegerField(_("minutes served"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = NeverDeletedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        indexes = [models.Index(fields=["volunteer", "state"])]

    def __str__(self) -> str:
        return f"service record #{self.pk}"


class HoursCorrection(models.Model):
    """A volunteer's request to correct a record's minutes, with a reason; the organiser
    approves (the record takes the new minutes) or declines it."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        DECLINED = "declined", _("declined")

    record = models.ForeignKey(ServiceRecord, on_delete=models.PROTECT, related_name="corrections")
    minutes = models.PositiveIntegerField(_("minutes asked for"))
    reason = models.CharField(_("reason"), max_length=500)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.REQUESTED)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("hours correction")
        verbose_name_plural = _("hours corrections")

    def __str__(self) -> str:
        return f"hours correction #{self.pk}"


class PointsRule(models.Model):
    """Points an activity kind earns: so many an approved hour, plus a fixed bonus; and the
    bonus for a verified hazard report (kind "hazard_report")."""

    kind = models.CharField(_("for"), max_length=24, unique=True)
    per_hour = models.PositiveIntegerField(_("points per hour"), default=0)
    bonus = models.PositiveIntegerField(_("fixed bonus"), default=0)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")

    def __str__(self) -> str:
        return self.kind


class PointsEntry(AppendOnlyModel):
    """One line of a volunteer's points ledger: earned (+) or spent (-). Append-only; the
    balance is the sum and never goes below zero (spending locks the volunteer's row)."""

    class Reason(models.TextChoices):
        SERVICE = "service", _("service hours")
        HAZARD_REPORT = "hazard_report", _("verified hazard report")
        REDEMPTION = "redemption", _("redemption")
        REFUND = "refund", _("redemption cancelled")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="points")
    delta = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    record = models.OneToOneField(
        ServiceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="points_entry"
    )
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    redemption = models.ForeignKey(
        "Redemption", null=True, blank=True, on_delete=models.PROTECT, related_name="points_entries"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["volunteer_id", "at", "id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(case__isnull=False), name="points_once_per_hazard_report"
            )
        ]

    def __str__(self) -> str:
        return f"points entry #{self.pk}"


class Reward(models.Model):
    """Something points buy: goods of the community's love supermarket, a merchant's coupon,
    a rider's meal voucher; with its stock and who confirms a redemption (a partner's
    representatives, or the community's staff when no partner is named)."""

    class Kind(models.TextChoices):
        GOODS = "goods", _("love supermarket goods")
        COUPON = "coupon", _("merchant coupon")
        MEAL_VOUCHER = "meal_voucher", _("rider meal voucher")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    points = models.PositiveIntegerField(_("points"))
    stock = models.PositiveIntegerField(_("stock"))
    provider = models.ForeignKey(
        Partner, verbose_name=_("provided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="rewards"
    )
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="rewards")
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["points", "name"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """A reward taken for points: a voucher code the merchant or station confirms once."""

    class State(models.TextChoices):
        ISSUED = "issued", _("issued")
        CONFIRMED = "confirmed", _("redeemed")
        CANCELLED = "cancelled", _("cancelled")

    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="redemptions")
    code = models.CharField(_("voucher code"), max_length=16, unique=True)
    points = models.PositiveIntegerField(_("points"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ISSUED)
    issued_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")

    def __str__(self) -> str:
        return self.code


class StarLevels(models.Model):
    """A community's star levels, in cumulative approved hours (default 100/300/600/1,000/1,500)."""

    community = models.OneToOneField(Area, on_delete=models.CASCADE, related_name="star_levels")
    hours = models.JSONField(_("hours for each star"))

    class Meta:
        verbose_name = _("star levels")
        verbose_name_plural = _("star levels")

    def __str__(self) -> str:
        return f"star levels of {self.community}"
