"""Party building (党建): the organisation tree and its members.

An organisation (党组织) is the community's party committee (社区党委), a general branch
(党总支), a branch (党支部) or a party group (党小组), tied to a node of the territory and,
for a branch inside a unit or a two-new organisation, to that place. A member (党员) belongs
to the branch that holds their relationship and has a standing in the community: registered
here, mobile (流动党员, inflow or outflow), an in-service member reporting here (在职党员报到)
or retired. A member may also be a resident or hold an account: linked, never copied.

Party membership is sensitive personal data: only roles holding party.view reach it, through
the organisation's node; the phone is encrypted and shown masked.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nuanxin.core.appendonly import AppendOnlyMixin, AppendOnlyModel
from nuanxin.core.fields import EncryptedTextField
from nuanxin.core.scoping import ScopedQuerySet, Scoping
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place


class PartyOrg(models.Model):
    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("party committee")
        GENERAL_BRANCH = "general_branch", _("general party branch")
        BRANCH = "branch", _("party branch")
        GROUP = "group", _("party group")

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("above"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="party_orgs")
    place = models.ForeignKey(
        Place,
        verbose_name=_("unit or organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_orgs",
        help_text=_("For a branch inside a unit or a two-new organisation."),
    )
    founded_on = models.DateField(_("founded on"))
    ended_on = models.DateField(_("dissolved on"), null=True, blank=True)
    secretary = models.ForeignKey(
        "PartyMember",
        verbose_name=_("secretary"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scoping = Scoping(permission="party.view", area="area__path")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["area__path", "kind", "name"]
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.area.path


# Which kinds may sit directly under each kind; a tree's top is a committee.
CHILD_KINDS = {
    PartyOrg.Kind.COMMITTEE: {PartyOrg.Kind.GENERAL_BRANCH, PartyOrg.Kind.BRANCH},
    PartyOrg.Kind.GENERAL_BRANCH: {PartyOrg.Kind.BRANCH},
    PartyOrg.Kind.BRANCH: {PartyOrg.Kind.GROUP},
    PartyOrg.Kind.GROUP: set(),
}
# The kinds that hold members' relationships (a party group organises members of its branch).
HOLDS_MEMBERS = {PartyOrg.Kind.COMMITTEE, PartyOrg.Kind.GENERAL_BRANCH, PartyOrg.Kind.BRANCH}


class PartyMember(models.Model):
    class Standing(models.TextChoices):
        FULL = "full", _("full member")
        PROBATIONARY = "probationary", _("probationary member")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("registered here")
        MOBILE_IN = "mobile_in", _("mobile member, flowed in")
        MOBILE_OUT = "mobile_out", _("mobile member, flowed out")
        REPORTING = "reporting", _("in-service member reporting here")
        RETIRED = "retired", _("retired")

    name = models.CharField(pgettext_lazy("a person", "name"), max_length=30)
    phone = EncryptedTextField(_("phone"), blank=True)
    org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("organisation holding the relationship"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    standing = models.CharField(_("standing"), max_length=12, choices=Standing.choices)
    status = models.CharField(_("status in the community"), max_length=12, choices=Status.choices)
    joined_party_on = models.DateField(_("joined the party on"), null=True, blank=True)
    origin = models.CharField(
        _("origin organisation"), max_length=100, blank=True, help_text=_("A mobile member's home organisation.")
    )
    card_number = models.CharField(_("mobile member's card number"), max_length=30, blank=True)
    workplace = models.CharField(_("works at"), max_length=100, blank=True)
    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_memberships",
    )
    since = models.DateField(_("in the community since"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    scoping = Scoping(permission="party.view", area="org__area__path")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["org", "name", "id"]
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        constraints = [
            # One person, one branch at a time: never two current memberships.
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(left_on__isnull=True, resident__isnull=False),
                name="party_member_one_current_per_resident",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(left_on__isnull=True, user__isnull=False),
                name="party_member_one_current_per_account",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.org.area.path


class TwoNewOrg(models.Model):
    """A two-new organisation (两新组织: a non-public enterprise or a social organisation) in the
    survey register of party work coverage (党的工作全覆盖): who works there, the party members
    among them, how party work reaches it, and its founding pipeline toward its own branch."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("non-public enterprise")
        SOCIAL = "social", _("social organisation")

    class Coverage(models.TextChoices):
        OWN_BRANCH = "own_branch", _("its own party branch")
        JOINT_BRANCH = "joint_branch", _("a joint party branch")
        INSTRUCTOR = "instructor", _("a party-building instructor")
        NONE = "none", _("not covered yet")

    class Stage(models.TextChoices):
        SURVEYED = "surveyed", _("surveyed")
        GUIDANCE = "guidance", _("guidance assigned")
        PREPARING = "preparing", _("preparing a branch")
        APPROVED = "approved", _("branch approved")
        FOUNDED = "founded", _("branch founded")

    place = models.OneToOneField(
        Place, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="two_new"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    employees = models.PositiveIntegerField(_("employees"))
    full_members = models.PositiveSmallIntegerField(_("full members among them"), default=0)
    probationary_members = models.PositiveSmallIntegerField(_("probationary members among them"), default=0)
    mobile_members = models.PositiveSmallIntegerField(_("mobile members among them"), default=0)
    surveyed_on = models.DateField(_("surveyed on"))
    coverage = models.CharField(_("party work reaches it through"), max_length=14, choices=Coverage.choices)
    covered_by = models.ForeignKey(
        PartyOrg, verbose_name=_("covering branch"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    instructor = models.CharField(_("party-building instructor"), max_length=30, blank=True)
    covered_on = models.DateField(_("covered since"), null=True, blank=True)
    stage = models.CharField(_("founding stage"), max_length=10, choices=Stage.choices, default=Stage.SURVEYED)
    # The day each founding stage was reached (surveyed_on for the first).
    guidance_on = models.DateField(_("guidance assigned on"), null=True, blank=True)
    preparing_on = models.DateField(_("preparing since"), null=True, blank=True)
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    founded_on = models.DateField(_("branch founded on"), null=True, blank=True)

    scoping = Scoping(permission="party.view", area="place__grid__path")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["place__name"]
        verbose_name = _("two-new organisation")
        verbose_name_plural = _("two-new organisations")

    def __str__(self) -> str:
        return self.place.name

    @property
    def audit_area_path(self) -> str:
        return self.place.grid.path if self.place.grid else ""

    @property
    def party_members(self) -> int:
        return self.full_members + self.probationary_members + self.mobile_members


# The founding pipeline, in order, with the field dating each stage.
FOUNDING = (
    (TwoNewOrg.Stage.SURVEYED, "surveyed_on"),
    (TwoNewOrg.Stage.GUIDANCE, "guidance_on"),
    (TwoNewOrg.Stage.PREPARING, "preparing_on"),
    (TwoNewOrg.Stage.APPROVED, "approved_on"),
    (TwoNewOrg.Stage.FOUNDED, "founded_on"),
)


class BranchMeeting(models.Model):
    """A meeting of a branch's organisational life (三会一课, 主题党日): planned, then held
    with its attendance, minutes and decisions."""

    class Kind(models.TextChoices):
        MEMBERS = "members", _("branch members' meeting")
        COMMITTEE = "committee", _("branch committee meeting")
        GROUP = "group", _("party group meeting")
        LECTURE = "lecture", _("party lecture")
        THEME_DAY = "theme_day", _("theme party day")

    org = models.ForeignKey(PartyOrg, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    planned_on = models.DateField(_("planned for"))
    held_on = models.DateField(pgettext_lazy("a meeting", "held on"), null=True, blank=True)
    topics = models.TextField(_("topics"))
    chair = models.ForeignKey(
        PartyMember, verbose_name=_("chair"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorder = models.ForeignKey(
        PartyMember, verbose_name=_("recorder"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    minutes = models.TextField(pgettext_lazy("a meeting", "minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)

    scoping = Scoping(permission="party.view", area="org__area__path")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_on", "-id"]
        verbose_name = _("branch meeting")
        verbose_name_plural = _("branch meetings")
        indexes = [models.Index(fields=["org", "held_on"], name="party_meeting_held")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.planned_on:%Y-%m-%d}"

    @property
    def audit_area_path(self) -> str:
        return self.org.area.path


class Attendance(models.Model):
    """Whether a member of the branch came to a held meeting: present, on leave (with the
    reason) or absent."""

    class Presence(models.TextChoices):
        PRESENT = "present", _("present")
        LEAVE = "leave", _("on leave")
        ABSENT = "absent", _("absent")

    meeting = models.ForeignKey(BranchMeeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(PartyMember, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+")
    presence = models.CharField(_("presence"), max_length=8, choices=Presence.choices)
    reason = models.CharField(_("reason for leave"), max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="party_attendance_once")]

    def __str__(self) -> str:
        return f"{self.member} {self.get_presence_display()}"


class MeetingReply(models.Model):
    """A member's own word on a branch meeting not yet recorded: signed in on the day
    (present) or asked for leave with the reason. The recorder starts from the replies."""

    class Presence(models.TextChoices):
        PRESENT = "present", _("present")
        LEAVE = "leave", _("on leave")

    meeting = models.ForeignKey(BranchMeeting, on_delete=models.CASCADE, related_name="replies")
    member = models.ForeignKey(PartyMember, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+")
    presence = models.CharField(_("presence"), max_length=8, choices=Presence.choices)
    reason = models.CharField(_("reason for leave"), max_length=100, blank=True)
    at = models.DateTimeField(_("replied at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="party_reply_once")]

    def __str__(self) -> str:
        return f"{self.member} {self.get_presence_display()}"


class AllianceUnit(models.Model):
    """A member unit of the alliance a party committee leads (大党委成员单位): a public unit,
    a merchant or an enterprise at a place, from the day it joined until the day it left. Its
    representatives are the accounts holding the partner representative's role on that place."""

    committee = models.ForeignKey(
        PartyOrg, verbose_name=_("party committee"), on_delete=models.PROTECT, related_name="alliance_units"
    )
    place = models.ForeignKey(Place, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="alliance_units")
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    scoping = Scoping(permission="party.view", area="committee__area__path", unit="place_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["committee", "place__name", "id"]
        verbose_name = _("alliance unit")
        verbose_name_plural = _("alliance units")
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "place"], condition=Q(left_on__isnull=True), name="party_alliance_unit_once"
            )
        ]

    def __str__(self) -> str:
        return self.place.name

    @property
    def audit_area_path(self) -> str:
        return self.committee.area.path


class Pact(models.Model):
    """A co-building pact (结对共建协议) between the committee and a member unit: its term, the
    signed document and the commitments the unit makes under it."""

    unit = models.ForeignKey(AllianceUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="pacts")
    signed_on = models.DateField(_("signed on"))
    starts_on = models.DateField(_("term starts on"))
    ends_on = models.DateField(_("term ends on"))
    document_name = models.CharField(max_length=200, blank=True, editable=False)
    document_content_type = models.CharField(max_length=40, blank=True, editable=False)

    scoping = Scoping(permission="party.view", area="unit__committee__area__path", unit="unit__place_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("pact")
        verbose_name_plural = _("pacts")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="party_pact_term")]

    def __str__(self) -> str:
        return f"{self.unit} {self.starts_on:%Y-%m-%d}"

    @property
    def audit_area_path(self) -> str:
        return self.unit.audit_area_path


# What a commitment or an offer is counted in, by its kind.
RESOURCE_UNITS = {
    "venue_hours": _("hours"),
    "funds": _("yuan"),
    "goods": _("items"),
    "service": _("times"),
    "volunteer_hours": _("hours"),
}


class ResourceKind(models.TextChoices):
    VENUE_HOURS = "venue_hours", _("venue hours")
    FUNDS = "funds", _("funds")
    GOODS = "goods", _("goods")
    SERVICE = "service", _("services")
    VOLUNTEER_HOURS = "volunteer_hours", _("volunteer hours")


class Commitment(models.Model):
    """What a unit commits under its pact (资源承诺): a kind of resource, what exactly, and a
    quantity for each period of the term (or once over the whole term)."""

    class Period(models.TextChoices):
        TERM = "term", _("over the whole term")
        YEAR = "year", _("each year")
        QUARTER = "quarter", _("each quarter")
        MONTH = "month", _("each month")

    pact = models.ForeignKey(Pact, verbose_name=_("pact"), on_delete=models.PROTECT, related_name="commitments")
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices)
    what = models.CharField(_("what"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)

    class Meta:
        ordering = ["pact", "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="party_commitment_positive")]

    def __str__(self) -> str:
        return self.what

    @property
    def counted_in(self) -> str:
        return str(RESOURCE_UNITS[self.kind])


class Delivery(models.Model):
    """Something a unit delivered against a commitment (履约): what, when, how much, with an
    evidence photo; beyond what was committed so far only with a reason."""

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.PROTECT, related_name="deliveries"
    )
    delivered_on = models.DateField(_("delivered on"))
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    what = models.CharField(_("what was delivered"), max_length=200)
    beyond_reason = models.CharField(_("reason for delivering beyond the commitment"), max_length=200, blank=True)
    photo_name = models.CharField(max_length=200, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["commitment", "delivered_on", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="party_delivery_positive")]

    def __str__(self) -> str:
        return f"{self.what} {self.delivered_on:%Y-%m-%d}"


class Need(models.Model):
    """An entry of the needs list (需求清单): what residents, a grid, a building committee or a
    meeting asked the alliance for; a member unit may claim it (认领), and a project meets it."""

    class Source(models.TextChoices):
        RESIDENTS = "residents", _("residents")
        GRID = "grid", _("a grid")
        BUILDING_COMMITTEE = "building_committee", _("a building committee")
        MEETING = "meeting", _("a joint meeting")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        CLAIMED = "claimed", _("claimed")
        PROJECT = "project", _("in a project")
        MET = "met", _("met")

    committee = models.ForeignKey(
        PartyOrg, verbose_name=_("party committee"), on_delete=models.PROTECT, related_name="needs"
    )
    area = models.ForeignKey(Area, verbose_name=_("where"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("raised by"), max_length=20, choices=Source.choices)
    raised_on = models.DateField(_("raised on"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    claimed_by = models.ForeignKey(
        AllianceUnit, verbose_name=_("claimed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_on = models.DateField(_("claimed on"), null=True, blank=True)

    scoping = Scoping(permission="party.view", area="area__path")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_on", "-id"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class Offer(models.Model):
    """A resource a member unit offers outside its pact's commitments (资源清单, ad hoc)."""

    unit = models.ForeignKey(AllianceUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="offers")
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices)
    what = models.CharField(_("what"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    offered_on = models.DateField(_("offered on"))
    available_until = models.DateField(_("available until"), null=True, blank=True)

    scoping = Scoping(permission="party.view", area="unit__committee__area__path", unit="unit__place_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-offered_on", "-id"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="party_offer_positive")]

    def __str__(self) -> str:
        return self.what

    @property
    def counted_in(self) -> str:
        return str(RESOURCE_UNITS[self.kind])

    @property
    def audit_area_path(self) -> str:
        return self.unit.audit_area_path


class Project(models.Model):
    """An entry of the projects list (项目清单): a need met with resources (commitments and
    offers) by an owner unit, by a deadline, within a budget in yuan."""

    need = models.OneToOneField(Need, verbose_name=_("need"), on_delete=models.PROTECT, related_name="project")
    title = models.CharField(_("title"), max_length=100)
    owner = models.ForeignKey(
        AllianceUnit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="projects"
    )
    deadline = models.DateField(pgettext_lazy("a task", "deadline"))
    budget = models.DecimalField(_("budget (yuan)"), max_digits=12, decimal_places=2, default=0)
    commitments = models.ManyToManyField(Commitment, verbose_name=_("commitments used"), blank=True, related_name="+")
    offers = models.ManyToManyField(Offer, verbose_name=_("offers used"), blank=True, related_name="+")
    started_on = models.DateField(_("started on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    scoping = Scoping(permission="party.view", area="need__area__path", unit="owner__place_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [models.CheckConstraint(condition=Q(budget__gte=0), name="party_project_budget")]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.need.area.path


class Evaluation(models.Model):
    """The year-end two-way evaluation of a pact (双向评价): the community rates the unit, and
    the unit rates the community, each from 0 to 100. The form suggests a score from what was
    actually delivered (`suggested`); a score away from it, or a changed one, says why."""

    class Direction(models.TextChoices):
        OF_UNIT = "of_unit", _("the community rates the unit")
        OF_COMMUNITY = "of_community", _("the unit rates the community")

    pact = models.ForeignKey(Pact, verbose_name=_("pact"), on_delete=models.PROTECT, related_name="evaluations")
    year = models.PositiveSmallIntegerField(_("year"))
    direction = models.CharField(_("direction"), max_length=12, choices=Direction.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    suggested = models.PositiveSmallIntegerField(_("suggested score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    reason = models.CharField(_("reason for the score"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("evaluated at"))

    class Meta:
        ordering = ["pact", "-year", "direction"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.UniqueConstraint(fields=["pact", "year", "direction"], name="party_evaluation_once"),
            models.CheckConstraint(condition=Q(score__lte=100), name="party_evaluation_score"),
        ]

    def __str__(self) -> str:
        return f"{self.pact} {self.year} {self.direction}"


class JointMeeting(models.Model):
    """A meeting of the alliance (大党委联席会议), or of a building committee in the same record
    shape: agenda items (each may come from a need or a case), who signed in for which unit,
    minutes, and resolutions tracked as tasks to their result."""

    class Kind(models.TextChoices):
        JOINT = "joint", _("joint meeting of the alliance")
        BUILDING_COMMITTEE = "building_committee", _("building committee meeting")

    committee = models.ForeignKey(
        PartyOrg, verbose_name=_("party committee"), on_delete=models.PROTECT, related_name="joint_meetings"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("location"), max_length=100)
    minutes = models.TextField(pgettext_lazy("a meeting", "minutes"), blank=True)
    held = models.BooleanField(_("held"), default=False)
    # The secret in the sign-in code's signature: a new one voids every printed code.
    checkin_secret = models.CharField(max_length=64, editable=False)

    scoping = Scoping(permission="party.view", area="committee__area__path")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="party_joint_meeting_time")]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.committee.area.path


class AgendaItem(models.Model):
    """An item on a joint meeting's agenda, in order; it may bring a need of the list or a case."""

    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=150)
    need = models.ForeignKey(
        Need, verbose_name=_("need"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [models.UniqueConstraint(fields=["meeting", "position"], name="party_agenda_position")]

    def __str__(self) -> str:
        return self.title


class MeetingAttendance(models.Model):
    """Who came to a joint meeting, for which unit (none: the community's side): signed in by
    the meeting's QR code on their own phone, or recorded by the office."""

    class Method(models.TextChoices):
        QR = "qr", _("QR code")
        BY_HAND = "by_hand", _("by the organiser")

    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        AllianceUnit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    signed_at = models.DateTimeField(_("signed in at"))

    class Meta:
        ordering = ["meeting", "signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="party_meeting_attendance_once")]

    def __str__(self) -> str:
        return f"{self.user} {self.signed_at:%H:%M}"


class Task(models.Model):
    """A resolution of a joint meeting, tracked to its result (决议事项): an owner (a member
    unit, a branch or a staff member), a deadline and milestones; the owner reports progress,
    an overdue task is reminded and then escalated to the community, and the community verifies
    a finished task and publishes it."""

    class State(models.TextChoices):
        OPEN = "open", _("under way")
        FINISHED = "finished", _("finished, to verify")
        VERIFIED = "verified", pgettext_lazy("a task", "verified")

    meeting = models.ForeignKey(JointMeeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="tasks")
    agenda_item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("resolution"), max_length=200)
    owner_unit = models.ForeignKey(
        AllianceUnit,
        verbose_name=_("owner unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    owner_branch = models.ForeignKey(
        PartyOrg, verbose_name=_("owner branch"), null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_tasks",
    )
    deadline = models.DateField(pgettext_lazy("a task", "deadline"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    finished_on = models.DateField(_("finished on"), null=True, blank=True)
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True, editable=False)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)

    scoping = Scoping(
        permission="party.view",
        area="meeting__committee__area__path",
        owner=("owner_user_id", "owner_branch__secretary__user_id"),
        unit="owner_unit__place_id",
        public=Q(published_at__isnull=False),
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("resolution task")
        verbose_name_plural = _("resolution tasks")
        constraints = [
            # Exactly one owner: a unit, a branch or a staff member.
            models.CheckConstraint(
                condition=(
                    Q(owner_unit__isnull=False, owner_branch__isnull=True, owner_user__isnull=True)
                    | Q(owner_unit__isnull=True, owner_branch__isnull=False, owner_user__isnull=True)
                    | Q(owner_unit__isnull=True, owner_branch__isnull=True, owner_user__isnull=False)
                ),
                name="party_task_one_owner",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="party_task_progress"),
        ]
        indexes = [models.Index(fields=["state", "deadline"], name="party_task_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.meeting.committee.area.path

    @property
    def owner_name(self) -> str:
        if self.owner_unit is not None:
            return self.owner_unit.place.name
        if self.owner_branch is not None:
            return self.owner_branch.name
        user = self.owner_user
        return (user.display_name or user.username) if user is not None else ""

    @property
    def on_time(self) -> bool | None:
        return None if self.finished_on is None else self.finished_on <= self.deadline


class Milestone(models.Model):
    """A step of a task with its own date."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=100)
    due_on = models.DateField(pgettext_lazy("a milestone", "due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["task", "due_on", "id"]

    def __str__(self) -> str:
        return self.title


class ProgressReport(models.Model):
    """What the owner reports on a task: a note, how far it is, a photo (append-only)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("reported at"))
    note = models.TextField(_("note"))
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    photo_name = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["task", "at", "id"]

    def __str__(self) -> str:
        return f"{self.task} {self.progress}%"


class PartyPointsRule(models.Model):
    """How many party-member points (党员积分) a community gives for a kind of service: service
    at an activity of a kind (`activity_kind` empty: any other kind), on top of it for an
    in-service member reporting here (在职党员报到), or presence at a branch meeting."""

    class Source(models.TextChoices):
        SERVICE = "service", _("service at an activity")
        REPORTING = "reporting", _("service by an in-service member reporting here")
        MEETING = "meeting", _("presence at a branch meeting")

    community = models.ForeignKey(Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    activity_kind = models.CharField(_("activity kind"), max_length=20, blank=True)
    points = models.PositiveSmallIntegerField(_("points"))

    class Meta:
        ordering = ["community", "source", "activity_kind"]
        constraints = [
            models.UniqueConstraint(fields=["community", "source", "activity_kind"], name="party_points_rule_once")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.activity_kind} {self.points}"


class PointsQuerySet(AppendOnlyMixin, ScopedQuerySet):  # type: ignore[misc]
    pass


class PartyPointsEntry(AppendOnlyModel):
    """A line of a party member's points ledger, kept apart from service hours and incentive
    points: what earned it (the service record or the meeting), by which rule, on which day.
    Only ever added; the database holds one entry per member, source and event."""

    member = models.ForeignKey(
        PartyMember, verbose_name=_("member"), on_delete=models.PROTECT, related_name="points_entries"
    )
    points = models.IntegerField(_("points"))
    source = models.CharField(_("source"), max_length=10, choices=PartyPointsRule.Source.choices)
    reference = models.CharField(max_length=40, editable=False)  # "record:<id>", "meeting:<id>"
    reason = models.CharField(_("for"), max_length=150)
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("recorded at"))

    scoping = Scoping(permission="party.view", area="member__org__area__path", owner="member__user_id")
    objects = PointsQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("party points entry")
        verbose_name_plural = _("party points entries")
        constraints = [
            models.UniqueConstraint(fields=["member", "source", "reference"], name="party_points_once_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.points:+d}"


class OrgOffice(models.Model):
    """An office in an organisation (书记, 副书记, 委员) held by one of its members from a day to
    a day: the dated history of its secretary and committee. One secretary at a time."""

    class Office(models.TextChoices):
        SECRETARY = "secretary", _("secretary")
        DEPUTY = "deputy", _("deputy secretary")
        COMMITTEE = "committee", _("committee member")

    org = models.ForeignKey(PartyOrg, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="offices")
    member = models.ForeignKey(PartyMember, verbose_name=_("member"), on_delete=models.PROTECT, related_name="offices")
    office = models.CharField(_("office"), max_length=10, choices=Office.choices)
    since = models.DateField(pgettext_lazy("an office", "since"))
    until = models.DateField(pgettext_lazy("an office", "until"), null=True, blank=True)

    scoping = Scoping(permission="party.view", area="org__area__path")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["org", "until", "office", "since", "id"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            models.UniqueConstraint(
                fields=["org"], condition=Q(office="secretary", until__isnull=True), name="party_one_secretary"
            ),
            models.UniqueConstraint(
                fields=["org", "member"], condition=Q(until__isnull=True), name="party_one_office_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_office_display()}"
