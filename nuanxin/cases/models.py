"""Cases (事件): the catalogue, the case with its state and level, and its timeline.

A case moves through the closed loop report → accept → dispatch → handle → verify → close
(`STATE_FLOW` in actions.py) and between levels grid → community → street → agency. Every
move is a `CaseEvent`, appended and never changed.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nuanxin.core.fields import EncryptedTextField
from nuanxin.core.models import PhotoRecord
from nuanxin.core.scoping import ScopedQuerySet, Scoping
from nuanxin.territory.models import Area, Place


class Level(models.TextChoices):
    """Where a case is handled: "small matters stay in the grid, big matters in the community"."""

    GRID = "grid", _("grid")
    COMMUNITY = "community", _("community")
    STREET = "street", _("street")
    AGENCY = "agency", _("outside agency")


LEVEL_ORDER = [Level.GRID, Level.COMMUNITY, Level.STREET, Level.AGENCY]
# Street and district staff handle the cases escalated to them (docs/scope.md): their
# cases.manage acts on a case at street level or above, never on one still in its grid or
# community (admins and the community's and grid's roles act at every level below them).
ESCALATED_ONLY_ROLES = frozenset({"street_staff", "district_staff"})
ESCALATED_LEVELS = frozenset({Level.STREET, Level.AGENCY})


class Category(models.Model):
    """A plain public category: what a rider or resident picks."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("public category")
        verbose_name_plural = _("public categories")

    def __str__(self) -> str:
        return self.name


class CaseClass(models.Model):
    """An internal class of case: who handles it, how fast, and what else to ask."""

    category = models.ForeignKey(
        Category, verbose_name=_("public category"), on_delete=models.PROTECT, related_name="classes"
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    level = models.CharField(_("responsible level"), max_length=10, choices=Level.choices, default=Level.GRID)
    unit = models.CharField(_("responsible unit"), max_length=80, blank=True)
    service_code = models.CharField(_("Open311 service code"), max_length=40, unique=True)
    emergency = models.BooleanField(_("emergency"), default=False)
    duplicate_radius_m = models.PositiveIntegerField(_("duplicate radius (m)"), default=50)
    # Time limit per stage: {"accept": {"hours": 2}, "handle": {"days": 3}, ...} on the work calendar.
    time_limits = models.JSONField(_("time limits"), default=dict, blank=True)
    # Extra questions (Open311 attributes): [{"code", "label", "datatype", "required", "values"}].
    questions = models.JSONField(_("extra questions"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category__order", "code"]
        verbose_name = _("case class")
        verbose_name_plural = _("case classes")

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    class State(models.TextChoices):
        REPORTED = "reported", _("reported")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        DISPATCHED = "dispatched", _("dispatched")
        IN_PROGRESS = "in_progress", _("in progress")
        RESOLVED = "resolved", _("resolved")
        VERIFIED = "verified", _("verified")
        CLOSED = "closed", _("closed")

    class Closure(models.TextChoices):
        FIXED = "fixed", _("fixed")
        DUPLICATE = "duplicate", _("duplicate")
        REFERRED = "referred", _("referred (not our responsibility)")
        NO_ACTION = "no_action", _("no action needed")
        CANCELLED = "cancelled", _("cancelled")

    class Channel(models.TextChoices):
        PHONE_PAGE = "phone_page", _("phone page")
        STAFF = "staff", _("staff on behalf of a caller")
        API = "api", _("API")
        OPEN311 = "open311", _("Open311")
        INSPECTION = "inspection", _("inspection")
        MEETING = "meeting", _("meeting")

    number = models.CharField(_("case number"), max_length=24, unique=True)
    # Indexed by cases_case_class_lat_lng below.
    case_class = models.ForeignKey(
        CaseClass, verbose_name=_("class"), on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    description = models.TextField(_("description"), max_length=2000)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    lng = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Indexed by the (grid, state, -reported_at) index and cases_case_queue below.
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    place = models.ForeignKey(
        Place, verbose_name=_("place"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    # The reporter: an account, or a name and phone given at intake (encrypted), or nobody.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = EncryptedTextField(_("reporter's name"), blank=True)
    reporter_phone = EncryptedTextField(_("reporter's phone"), blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # Indexed in Meta: only compared whole, so without the _like twin of db_index.
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.REPORTED)
    closure = models.CharField(_("closure"), max_length=10, choices=Closure.choices, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.GRID)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_cases",
    )
    emergency = models.BooleanField(_("emergency"), default=False, db_index=True)
    # An emergency still open: first in every list until it is closed or rejected.
    urgent = models.BooleanField(_("urgent"), default=False)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    deadline = models.DateTimeField(_("stage deadline"), null=True, blank=True, db_index=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Bumped by every transition: a stale edit (two handlers at once) is refused.
    version = models.PositiveIntegerField(default=0)

    # Staff through the territory; a reporter and a follower see their own cases.
    scoping = Scoping(permission="cases.view", area="grid__path", owner=("reporter_id", "followers__user_id"))
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-urgent", "-reported_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["grid", "state", "-reported_at"]),
            # Lists: a grid's (or a few grids') cases, open emergencies first, then the newest.
            models.Index(fields=["grid", "-urgent", "-reported_at", "-id"], name="cases_case_queue"),
            # Duplicate suggestions: same class, a latitude band around the point.
            models.Index(fields=["case_class", "lat", "lng"], name="cases_case_class_lat_lng"),
            models.Index(fields=["state"], name="cases_case_state"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class CaseEvent(models.Model):
    """One step of a case's timeline. `internal` notes are for staff only; the reporter sees
    the rest (without the actor's name)."""

    class Kind(models.TextChoices):
        REPORTED = "reported", _("reported")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        DISPATCHED = "dispatched", _("dispatched")
        STARTED = "started", _("handling started")
        RESOLVED = "resolved", _("resolved")
        VERIFIED = "verified", _("verified")
        REOPENED = "reopened", _("reopened: not fixed")
        CLOSED = "closed", _("closed")
        EVALUATED = "evaluated", _("evaluated")
        ESCALATED = "escalated", _("escalated")
        SUPERVISED = "supervised", _("supervision notice")
        TRANSFERRED = "transferred", _("transferred to another grid")
        MERGED = "merged", _("merged as a duplicate")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("step"), max_length=12, choices=Kind.choices)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    from_level = models.CharField(max_length=10, blank=True)
    to_level = models.CharField(max_length=10, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    internal = models.BooleanField(_("internal"), default=False)
    # The stage this step ended had passed its time limit (for the on-time rate).
    late = models.BooleanField(_("late"), default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case timeline")

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()}"


class CasePhoto(PhotoRecord):
    """A photo of a case, stored re-encoded under a random name (core.photos); served only
    through the case's scoped view."""

    class Stage(models.TextChoices):
        REPORT = "report", _("at report")
        AFTER = "after", _("after handling")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos")
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices)

    class Meta(PhotoRecord.Meta):
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")

    def __str__(self) -> str:
        return f"{self.case} {self.get_stage_display()} #{self.pk}"


class CaseFollower(models.Model):
    """Someone who follows a case and hears how it ends: its reporter, the reporters and
    followers of a case merged into it, people who said "this is the same" after filing a
    report like it (with a signed, single-use token), and a host unit's representatives.
    Only the reporter and the host's representatives see the whole case; the others see its
    public view (queries.sees_whole_case)."""

    class Why(models.TextChoices):
        REPORTER = "reporter", _("reported it")
        MERGED = "merged", _("followed a merged duplicate")
        CHOSE = "chose", _("chose to follow it")
        HOST = "host", _("speaks for the unit that hosts the place")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="followed_cases"
    )
    since = models.DateTimeField(_("since"))
    why = models.CharField(_("why"), max_length=10, choices=Why.choices)

    class Meta:
        ordering = ["since", "id"]
        verbose_name = _("case follower")
        verbose_name_plural = _("case followers")
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="case_follower_once")]

    def __str__(self) -> str:
        return f"{self.case} ← {self.user_id}"


class FollowTokenUse(models.Model):
    """A follow token that has been used (its nonce): a token follows once, never twice."""

    nonce = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField()

    class Meta:
        verbose_name = _("used follow token")
        verbose_name_plural = _("used follow tokens")

    def __str__(self) -> str:
        return self.nonce


class CaseCounter(models.Model):
    """The last case number given out on a day; locked while a number is taken."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"
