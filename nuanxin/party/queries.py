"""Party building's reads, all through the scope mechanism (party.view at the organisation's
node); a member's phone leaves here masked."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from nuanxin.core.access import get_in_scope_or_404
from nuanxin.core.masking import mask_phone
from nuanxin.core.scoping import Scope
from nuanxin.party.models import BranchMeeting, PartyMember, PartyOrg, TwoNewOrg
from nuanxin.territory.models import Area


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
