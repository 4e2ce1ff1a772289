"""The watchlist (差异化巡查重点清单), checklist templates and their versions, and visits.

A watch target is a place (a key enterprise) or a resident (a special group or a key
person) with a category, a risk tier, a responsible grid and worker, and a visit frequency
set from category × tier. Targets about people are as sensitive as the tags they reflect:
a special-group target needs people.view_special and a key-person target
people.view_key_person at its grid, on top of inspections.view; the query set applies this
everywhere (`visible_to`, `reached_by`), so no list, count, detail or answer can tell a
viewer without it that a person is on the list.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nuanxin.core.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from nuanxin.core.models import PhotoRecord
from nuanxin.core.scoping import Scope, ScopedQuerySet, Scoping
from nuanxin.territory.models import Area, Place


class Subject(models.TextChoices):
    PLACE = "place", _("place")
    RESIDENT = "resident", _("resident")


class Category(models.TextChoices):
    CATERING = "catering", _("catering")
    HAZARDOUS_GOODS = "hazardous_goods", _("hazardous goods")
    CROWDED_VENUE = "crowded_venue", _("crowded venue")
    SMALL_HOTEL = "small_hotel", _("small hotel")
    EBIKE_CHARGING = "ebike_charging", _("e-bike charging")
    CONSTRUCTION_SITE = "construction_site", _("construction site")
    OTHER_ENTERPRISE = "other_enterprise", _("other key enterprise")
    SPECIAL_GROUP = "special_group", _("special group")
    KEY_PERSON = "key_person", _("key person")


# What each category watches. The two resident categories are the resident tag kinds: a
# resident is watched as a special group or a key person only with a tag of that kind.
CATEGORY_SUBJECT: dict[str, str] = {
    **{code: Subject.PLACE for code in Category.values},
    Category.SPECIAL_GROUP: Subject.RESIDENT,
    Category.KEY_PERSON: Subject.RESIDENT,
}

# The permission a viewer needs at the target's grid, besides inspections.view, to learn
# that a resident is watched in this category (the same as for the resident's tag).
CATEGORY_PERMISSION: dict[str, str] = {
    Category.SPECIAL_GROUP: "people.view_special",
    Category.KEY_PERSON: "people.view_key_person",
}


def with_category(permission: str, category: str) -> tuple[str, ...]:
    """`permission` and, for a resident category, the permission to know of it."""
    return (permission, CATEGORY_PERMISSION[category]) if category in CATEGORY_PERMISSION else (permission,)


class Tier(models.TextChoices):
    HIGH = "high", _("high risk")
    MEDIUM = "medium", _("medium risk")
    LOW = "low", _("low risk")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")


class Severity(models.TextChoices):
    MINOR = "minor", _("minor hazard")
    MAJOR = "major", _("major hazard")


def sensitive_q(scope: Scope, grid_path: str = "grid__path", category: str = "category") -> Q:
    """Rows whose category the viewer may know about: every place category, and each
    resident category only under the subtrees where its permission holds."""
    q = ~Q(**{f"{category}__in": list(CATEGORY_PERMISSION)})
    for code, permission in CATEGORY_PERMISSION.items():
        q |= Q(**{category: code}) & scope.q(permission, grid_path)
    return q


class SensitiveScopedQuerySet(ScopedQuerySet[Any]):
    """A scoped query set that also hides the resident categories a viewer may not know of."""

    sensitive_lookups = ("grid__path", "category")

    def visible_to(self, scope: Scope) -> Any:
        return super().visible_to(scope).filter(sensitive_q(scope, *self.sensitive_lookups))

    def reached_by(self, scope: Scope) -> Any:
        return super().reached_by(scope).filter(sensitive_q(scope, *self.sensitive_lookups))


class WatchTargetQuerySet(SensitiveScopedQuerySet):
    def active(self) -> "WatchTargetQuerySet":
        return self.filter(ended_on__isnull=True)


class WatchTarget(models.Model):
    # Indexed in Meta: only compared whole, so without the _like twin of db_index.
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    place = models.ForeignKey(
        Place, verbose_name=_("place"), null=True, blank=True, on_delete=models.PROTECT, related_name="watch_targets"
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="watch_targets",
    )
    tier = models.CharField(_("risk tier"), max_length=8, choices=Tier.choices)
    frequency = models.CharField(_("visit frequency"), max_length=12, choices=Frequency.choices)
    # Visits in a row without a hazard since the frequency was last raised by one that found
    # a hazard (adaptive frequency: enough of them bring it back down a step).
    clean_streak = models.PositiveSmallIntegerField(_("clean visits in a row"), default=0)
    # Indexed by the (grid, category) index below.
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="watch_targets", db_index=False
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible worker"),
        on_delete=models.PROTECT,
        related_name="watch_targets",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    started_on = models.DateField(_("on the list since"))
    ended_on = models.DateField(_("off the list since"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scoping = Scoping(permission="inspections.view", area="grid__path")
    objects = WatchTargetQuerySet.as_manager()

    class Meta:
        ordering = ["grid__path", "category", "id"]
        verbose_name = _("watch target")
        verbose_name_plural = _("watch targets")
        constraints = [
            models.CheckConstraint(
                condition=(Q(place__isnull=False) & Q(resident__isnull=True))
                | (Q(place__isnull=True) & Q(resident__isnull=False)),
                name="watch_target_place_or_resident",
            ),
            models.UniqueConstraint(
                fields=["category", "place"],
                condition=Q(ended_on__isnull=True, place__isnull=False),
                name="watch_target_place_once_per_category",
            ),
            models.UniqueConstraint(
                fields=["category", "resident"],
                condition=Q(ended_on__isnull=True, resident__isnull=False),
                name="watch_target_resident_once_per_category",
            ),
        ]
        indexes = [
            models.Index(fields=["grid", "category"]),
            models.Index(fields=["category"], name="watch_target_category"),
        ]

    def __str__(self) -> str:
        # Never the resident's name or the category: this text lands in the audit log.
        return f"watch target #{self.pk}"

    @property
    def audit_area_path(self) -> str:
        return self.grid.path

    @property
    def is_active(self) -> bool:
        return self.ended_on is None


class WatchChange(AppendOnlyModel):
    """One change of a target's tier or frequency, with its reason. Append-only."""

    target = models.ForeignKey(WatchTarget, verbose_name=_("target"), on_delete=models.PROTECT, related_name="changes")
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    old_tier = models.CharField(_("old tier"), max_length=8, choices=Tier.choices, blank=True)
    new_tier = models.CharField(_("new tier"), max_length=8, choices=Tier.choices)
    old_frequency = models.CharField(_("old frequency"), max_length=12, choices=Frequency.choices, blank=True)
    new_frequency = models.CharField(_("new frequency"), max_length=12, choices=Frequency.choices)
    reason = models.CharField(_("reason"), max_length=500)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["target_id", "at", "id"]
        verbose_name = _("watch change")
        verbose_name_plural = _("watch changes")

    def __str__(self) -> str:
        return f"watch change #{self.pk}"


class ChecklistTemplate(models.Model):
    """A named checklist used by some categories; its content lives in its versions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # The categories whose visits use this template (codes of `Category`).
    categories = models.JSONField(_("categories"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> "ChecklistVersion | None":
        return self.versions.order_by("-number").first()


class ChecklistVersion(models.Model):
    """One published version of a template. Never changed once saved: a visit keeps the
    version it used, so publishing anew makes a new row.

    `items` is a list of {"code", "label", "kind" (yes_no | number | choice | text | photo),
    "required", "choices": [{"key", "label"}] (choice only), "hazard": {"when": [answers]
    (yes_no, choice) or "below"/"above": n (number), "severity": minor | major}}."""

    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    items = models.JSONField(_("items"))
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["template_id", "number"]
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="checklist_version_unique")]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("a published checklist version is never changed")
        super().save(*args, **kwargs)


class VisitQuerySet(SensitiveScopedQuerySet):
    # A visit carries its target's category, so hiding a resident category needs no join.
    sensitive_lookups = ("grid__path", "category")


class Visit(models.Model):
    class State(models.TextChoices):
        DUE = "due", _("due")
        DONE = "done", _("done")
        MISSED = "missed", _("missed")

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("routine visit")
        RECHECK = "recheck", _("re-check")
        CAMPAIGN = "campaign", _("campaign check")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    # A watchlist target, or for a campaign check of a place not on the watchlist (and the
    # re-check of what it found) no target and only the place.
    target = models.ForeignKey(
        WatchTarget, verbose_name=_("target"), null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    # The target's category ("" for a campaign check of a place not on the watchlist): lists
    # hide resident categories by it without a join. Indexed in Meta (no _like twin).
    category = models.CharField(_("category"), max_length=24, choices=Category.choices, blank=True)
    place = models.ForeignKey(
        Place, verbose_name=_("place"), null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    activity = models.ForeignKey(
        "volunteers.Activity",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    recheck_of = models.ForeignKey(
        "Rectification",
        verbose_name=_("re-check of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rechecks",
    )
    # The target's grid and worker when the visit was planned (history keeps who was responsible).
    # Indexed by the (grid, due_on) and the (worker, state, due_on) index below.
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="visits", db_index=False
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("worker"),
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    due_on = models.DateField(_("due on"))
    # Indexed by the (version, state, done_at) index below.
    version = models.ForeignKey(
        ChecklistVersion,
        verbose_name=_("checklist version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.DUE)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_lng = models.FloatField(_("check-in longitude"), null=True, blank=True)
    checked_in_lat = models.FloatField(_("check-in latitude"), null=True, blank=True)
    # Metres from the place (or the resident's home) at check-in; None without a location.
    checked_in_distance = models.PositiveIntegerField(_("distance at check-in (m)"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scoping = Scoping(permission="inspections.view", area="grid__path")
    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.UniqueConstraint(
                fields=["target", "due_on"],
                condition=Q(kind="routine"),
                name="visit_once_per_target_and_day",
            ),
            models.CheckConstraint(
                condition=Q(target__isnull=False) | Q(kind__in=["campaign", "recheck"], place__isnull=False),
                name="visit_target_or_campaign_place",
            ),
        ]
        indexes = [
            models.Index(fields=["worker", "state", "due_on"]),
            models.Index(fields=["grid", "due_on"]),
            models.Index(fields=["state", "done_at"]),
            # The enterprises checked with one checklist in a period (period figures).
            models.Index(fields=["version", "state", "done_at"]),
            models.Index(fields=["category"], name="visit_category"),
        ]

    def __str__(self) -> str:
        return f"visit #{self.pk}"

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class VisitPhoto(PhotoRecord):
    """A photo taken on a visit (for a photo item or the visit as a whole), stored
    re-encoded under a random name (core.photos); served only through the visit's scope."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    item = models.CharField(_("checklist item"), max_length=40, blank=True)

    class Meta(PhotoRecord.Meta):
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")

    def __str__(self) -> str:
        return f"visit photo #{self.pk}"


class RectificationQuerySet(SensitiveScopedQuerySet):
    sensitive_lookups = ("grid__path", "category")


class Rectification(models.Model):
    """A rectification order (整改通知): the hazards one visit found, the party that must fix
    them, a deadline set by the worst severity, then a re-check visit that closes the order
    or escalates it into a case."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("a rectification order", "open")
        FIXED = "fixed", _("fixed")
        ESCALATED = "escalated", _("escalated to a case")

    number = models.CharField(_("notice number"), max_length=24, unique=True)
    visit = models.OneToOneField(
        Visit, verbose_name=_("found on visit"), on_delete=models.PROTECT, related_name="rectification"
    )
    target = models.ForeignKey(
        WatchTarget,
        verbose_name=_("target"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    place = models.ForeignKey(
        Place, verbose_name=_("place"), null=True, blank=True, on_delete=models.PROTECT, related_name="rectifications"
    )
    category = models.CharField(_("category"), max_length=24, choices=Category.choices, blank=True)
    grid = models.ForeignKey(Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="rectifications")
    responsible_party = models.CharField(_("responsible party"), max_length=120)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    issued_on = models.DateField(_("issued on"))
    deadline = models.DateField(_("deadline"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scoping = Scoping(permission="inspections.view", area="grid__path")
    objects = RectificationQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("rectification order")
        verbose_name_plural = _("rectification orders")
        indexes = [models.Index(fields=["grid", "state", "deadline"])]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class Hazard(models.Model):
    """One checklist answer that counts as a hazard, with its severity; fixed when the
    re-check answers the item without a hazard."""

    rectification = models.ForeignKey(
        Rectification, verbose_name=_("rectification order"), on_delete=models.CASCADE, related_name="hazards"
    )
    item = models.CharField(_("checklist item"), max_length=40)
    label = models.CharField(_("label"), max_length=200)
    answer = models.JSONField(_("answer"), null=True, blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    fixed = models.BooleanField(_("fixed"), default=False)

    class Meta:
        ordering = ["rectification_id", "id"]
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")

    def __str__(self) -> str:
        return f"hazard #{self.pk}"
