"""Party building's reads, all through the scope mechanism (party.view at the organisation's
node); a member's phone leaves here masked."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404

from nuanxin.core.access import deny, get_in_scope_or_404
from nuanxin.core.masking import mask_phone
from nuanxin.core.scoping import Scope
from nuanxin.party.models import (
    AllianceUnit,
    BranchMeeting,
    Commitment,
    Delivery,
    JointMeeting,
    MeetingReply,
    Need,
    Offer,
    Pact,
    PartyMember,
    PartyOrg,
    Project,
    Task,
    TwoNewOrg,
)
from nuanxin.territory.models import Area


def membership_of(user_id: int | None) -> QuerySet[PartyMember]:
    """The account's current party membership (none, or one: the database holds it to one)."""
    return PartyMember.objects.filter(user_id=user_id, left_on__isnull=True) if user_id else PartyMember.objects.none()


def orgs_for(scope: Scope) -> QuerySet[PartyOrg]:
    """The organisations the viewer reaches, each with its current members counted, in tree
    order (by area, then kind)."""
    current = Q(members__left_on__isnull=True)
    return (
        PartyOrg.objects.visible_to(scope)
        .select_related("area", "parent", "place", "secretary")
        .annotate(member_count=Count("members", filter=current))
    )


def org_or_404(scope: Scope, org_id: int) -> PartyOrg:
    return get_in_scope_or_404(
        PartyOrg.objects.select_related("area", "parent", "place", "secretary"), scope, pk=org_id
    )


def members_of(scope: Scope, org: PartyOrg, *, current: bool = True) -> QuerySet[PartyMember]:
    members = PartyMember.objects.visible_to(scope).filter(org=org).select_related("resident", "user")
    return members.filter(left_on__isnull=True) if current else members


def member_rows(members: QuerySet[PartyMember]) -> list[dict[str, Any]]:
    """What a member list shows: the phone masked."""
    return [{"member": m, "phone": mask_phone(m.phone) if m.phone else ""} for m in members]


def party_areas(scope: Scope) -> QuerySet[Area]:
    """The nodes where the viewer may found an organisation (party.manage), down to grids."""
    return Area.objects.filter(scope.q("party.manage", "path")).order_by("path")


@dataclass(frozen=True)
class Coverage:
    """Party work coverage of the two-new organisations under a node, as it stood on a day,
    and the branches founded in the period (docs/party.md)."""

    organisations: int
    own_branch: int
    joint_or_instructor: int
    not_covered: int
    members_found: int
    founded: int

    @property
    def rate(self) -> float | None:
        covered = self.own_branch + self.joint_or_instructor
        return covered / self.organisations if self.organisations else None


def two_new_for(scope: Scope) -> QuerySet[TwoNewOrg]:
    return TwoNewOrg.objects.visible_to(scope).select_related("place__grid", "covered_by")


def meeting_or_404(scope: Scope, meeting_id: int) -> BranchMeeting:
    return get_in_scope_or_404(
        BranchMeeting.objects.select_related("org__area", "chair", "recorder"), scope, pk=meeting_id
    )


def two_new_or_404(scope: Scope, record_id: int) -> TwoNewOrg:
    return get_in_scope_or_404(two_new_for(scope), scope, pk=record_id)


def coverage(scope: Scope, node: Area, since: date, until: date) -> Coverage:
    """Coverage under `node` on `until` (organisations surveyed by then; their own branch
    founded, or a joint branch or instructor assigned, by then), and branches founded between
    `since` and `until`."""
    rows = two_new_for(scope).filter(place__grid__path__startswith=node.path, surveyed_on__lte=until)
    own = Q(founded_on__lte=until)
    other = ~own & Q(covered_on__lte=until)
    counted = rows.aggregate(
        organisations=Count("id"),
        own_branch=Count("id", filter=own),
        joint_or_instructor=Count("id", filter=other),
        founded=Count("id", filter=Q(founded_on__gte=since, founded_on__lte=until)),
        members=Sum(F("full_members") + F("probationary_members") + F("mobile_members")),
    )
    return Coverage(
        organisations=counted["organisations"],
        own_branch=counted["own_branch"],
        joint_or_instructor=counted["joint_or_instructor"],
        not_covered=counted["organisations"] - counted["own_branch"] - counted["joint_or_instructor"],
        members_found=counted["members"] or 0,
        founded=counted["founded"],
    )


# --- the alliance --------------------------------------------------------------------------


def sees_alliance(scope: Scope) -> bool:
    """Whether the viewer reaches any alliance: the party office, or a unit's representative."""
    return scope.has("party.view") or bool(scope.unit_ids)


def alliance_units_for(scope: Scope) -> QuerySet[AllianceUnit]:
    """The member units the viewer reaches: all of an alliance for the party office, their own
    unit for a representative."""
    return AllianceUnit.objects.visible_to(scope).select_related("place", "committee")


def alliance_unit_or_404(scope: Scope, unit_id: int) -> AllianceUnit:
    return get_in_scope_or_404(AllianceUnit.objects.select_related("place", "committee__area"), scope, pk=unit_id)


def pacts_for(scope: Scope) -> QuerySet[Pact]:
    return Pact.objects.visible_to(scope).select_related("unit__place", "unit__committee")


def pact_or_404(scope: Scope, pact_id: int) -> Pact:
    return get_in_scope_or_404(
        Pact.objects.select_related("unit__place", "unit__committee__area").prefetch_related("commitments"),
        scope,
        pk=pact_id,
    )


def deliveries_of(pact: Pact) -> QuerySet[Delivery]:
    """A pact's deliveries, latest first (the pact reached through the scope already)."""
    return Delivery.objects.filter(commitment__pact=pact).select_related("commitment").order_by("-delivered_on", "-id")


def _member_committees(scope: Scope) -> QuerySet[AllianceUnit, Any]:
    """The committees whose alliance the viewer's units belong to now."""
    return AllianceUnit.objects.filter(place_id__in=scope.unit_ids, left_on__isnull=True).values("committee_id")


def needs_for(scope: Scope) -> QuerySet[Need]:
    """The needs lists the viewer reaches: through the territory for the party office; for a
    unit's representative, the whole list of each alliance their unit belongs to (to claim)."""
    visible = Need.objects.visible_to(scope)
    if scope.unit_ids:
        visible = Need.objects.filter(Q(pk__in=visible.values("pk")) | Q(committee_id__in=_member_committees(scope)))
    return visible.select_related("area", "committee__area", "claimed_by__place")


def need_or_404(scope: Scope, need_id: int) -> Need:
    need = needs_for(scope).filter(pk=need_id).first()
    if need is None:
        if Need.objects.filter(pk=need_id).exists():  # there, but not for this viewer
            raise deny(scope, f"party.need id={need_id}")
        raise Http404
    return need


def offers_for(scope: Scope) -> QuerySet[Offer]:
    """The ad-hoc offers of the resources list, for everyone who sees that alliance's needs."""
    visible = Offer.objects.visible_to(scope)
    if scope.unit_ids:
        visible = Offer.objects.filter(
            Q(pk__in=visible.values("pk")) | Q(unit__committee_id__in=_member_committees(scope))
        )
    return visible.select_related("unit__place")


def commitments_in_force(scope: Scope, day: date) -> QuerySet[Commitment]:
    """The commitments of pacts in force on `day` the viewer reaches: the pact side of the
    resources list."""
    pacts = pacts_for(scope).filter(starts_on__lte=day, ends_on__gte=day, unit__left_on__isnull=True)
    return Commitment.objects.filter(pact__in=pacts.values("pk")).select_related("pact__unit__place")


def projects_for(scope: Scope) -> QuerySet[Project]:
    return Project.objects.visible_to(scope).select_related("need", "owner__place")


def project_or_404(scope: Scope, project_id: int) -> Project:
    return get_in_scope_or_404(projects_for(scope), scope, pk=project_id)


def managed_committees(scope: Scope) -> QuerySet[PartyOrg]:
    """The standing committees whose alliance the viewer keeps (party.manage at their node)."""
    return PartyOrg.objects.filter(
        scope.q("party.manage", "area__path"), kind=PartyOrg.Kind.COMMITTEE, ended_on__isnull=True
    ).select_related("area")


# --- joint meetings and their tasks ----------------------------------------------------------


def joint_meetings_for(scope: Scope) -> QuerySet[JointMeeting]:
    """The joint meetings the viewer reaches: the party office's, and for a unit's
    representative the meetings of the alliance their unit belongs to (they are invited)."""
    visible = JointMeeting.objects.visible_to(scope)
    if scope.unit_ids:
        visible = JointMeeting.objects.filter(
            Q(pk__in=visible.values("pk")) | Q(committee_id__in=_member_committees(scope))
        )
    return visible.select_related("committee__area")


def joint_meeting_or_404(scope: Scope, meeting_id: int) -> JointMeeting:
    meeting = joint_meetings_for(scope).filter(pk=meeting_id).first()
    if meeting is None:
        if JointMeeting.objects.filter(pk=meeting_id).exists():
            raise deny(scope, f"party.jointmeeting id={meeting_id}")
        raise Http404
    return meeting


def tasks_for(scope: Scope) -> QuerySet[Task]:
    """The resolution tasks the viewer reaches: the office's; a unit's representative their
    unit's; a staff member their own; and every published result."""
    return Task.objects.visible_to(scope).select_related(
        "meeting__committee__area", "owner_unit__place", "owner_branch", "owner_user"
    )


def tasks_of_member(scope: Scope, member: PartyMember) -> QuerySet[Task]:
    """The tasks a member answers for and has not seen verified: their own as staff, and their
    branch's while they are its secretary."""
    return (
        tasks_for(scope)
        .filter(Q(owner_user_id=member.user_id) | Q(owner_branch__secretary=member))
        .exclude(state=Task.State.VERIFIED)
        .order_by("deadline", "id")
    )


def meetings_coming(member: PartyMember, today: date) -> list[tuple[BranchMeeting, MeetingReply | None]]:
    """The next five meetings of the member's organisation not yet recorded, from today, each
    with the member's reply (signed in, on leave) if any."""
    coming = list(
        member.org.meetings.filter(held_on__isnull=True, planned_on__gte=today).order_by("planned_on", "id")[:5]
    )
    replies = {r.meeting_id: r for r in MeetingReply.objects.filter(member=member, meeting__in=coming)}
    return [(meeting, replies.get(meeting.pk)) for meeting in coming]


def task_or_404(scope: Scope, task_id: int) -> Task:
    return get_in_scope_or_404(tasks_for(scope).prefetch_related("milestones"), scope, pk=task_id)
