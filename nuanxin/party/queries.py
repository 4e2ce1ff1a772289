"""Party building's reads, all through the scope mechanism (party.view at the organisation's
node); a member's phone leaves here masked."""

from typing import Any

from django.db.models import Count, Q, QuerySet

from nuanxin.core.access import get_in_scope_or_404
from nuanxin.core.masking import mask_phone
from nuanxin.core.scoping import Scope
from nuanxin.party.models import PartyMember, PartyOrg
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
