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
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
