"""Residents' voice (民情收集、民主议事、监督问效): opinions from every channel, grouped by topic,
triaged to an outcome and published on the community's echo wall (docs/voice.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nuanxin.cases.models import Case
from nuanxin.core.scoping import ScopedQuerySet, Scoping
from nuanxin.party.models import Need
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place


class OpinionChannel(models.TextChoices):
    PHONE = "phone", _("the phone page")
    VISIT = "visit", _("a grid worker's visit")
    BUILDING_COMMITTEE = "building_committee", _("a building committee meeting")
    ASSEMBLY = "assembly", _("the residents' assembly")
    JOINT_MEETING = "joint_meeting", _("a joint meeting")
    HOTLINE = "hotline", _("the hotline")
    PAPER = "paper", _("a paper form")


class OpinionCategory(models.TextChoices):
    PARKING = "parking", _("parking and charging")
    NOISE = "noise", _("noise")
    FACILITIES = "facilities", _("lifts, lighting and other facilities")
    ENVIRONMENT = "environment", _("environment and sanitation")
    PETS = "pets", _("pets")
    SAFETY = "safety", _("safety")
    SERVICES = "services", _("services and activities")
    OTHER = "other", _("other")


class Opinion(models.Model):
    """An opinion, complaint or wish of a resident (民情), by any channel. `area` is where it
    belongs: the grid of the place it is about, else the community. The author is kept only
    for a named opinion; an anonymous one keeps nobody (nor does its audit entry). Staff who
    enter one for someone (代录) are `entered_by`, with the resident when known."""

    class State(models.TextChoices):
        OPEN = "open", _("waiting for an answer")
        ANSWERED = "answered", _("answered")
        CASE = "case", _("turned into a case")
        NEED = "need", _("added to the needs list")
        DECLINED = "declined", _("declined")

    community = models.ForeignKey(Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, verbose_name=_("where"), on_delete=models.PROTECT, related_name="opinions")
    place = models.ForeignKey(
        Place, verbose_name=_("building or place"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=OpinionChannel.choices)
    category = models.CharField(_("category"), max_length=12, choices=OpinionCategory.choices)
    text = models.TextField(_("opinion"))
    photo_name = models.CharField(max_length=200, blank=True, editable=False)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="opinions"
    )
    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"))
    # Grouped under the first open opinion of its topic: staff answer a topic once.
    topic = models.ForeignKey(
        "self", verbose_name=_("topic"), null=True, blank=True, on_delete=models.PROTECT, related_name="grouped"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # What the resident is told with the outcome: the answer, what became of it, or why not.
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT)
    need = models.ForeignKey(Need, verbose_name=_("need"), null=True, blank=True, on_delete=models.PROTECT)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    scoping = Scoping(permission="voice.view", area="area__path", owner="author_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        indexes = [
            models.Index(fields=["community", "state", "category"], name="voice_opinion_triage"),
            models.Index(fields=["area", "received_at"], name="voice_opinion_area"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="voice_rating"
            ),
            # An anonymous opinion keeps nobody.
            models.CheckConstraint(
                condition=Q(anonymous=False) | Q(author__isnull=True, resident__isnull=True),
                name="voice_anonymous_keeps_nobody",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.received_at:%Y-%m-%d}"

    @property
    def audit_area_path(self) -> str:
        return self.area.path
