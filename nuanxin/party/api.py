"""Party building over the API, under /api/v1/party/ (docs/party.md): the organisations and
their members, read with party.view through the organisation's node (out of scope is 404),
written by the party actions (party.manage; a refusal is a 400 naming the field). A member's
phone is answered masked."""

from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from nuanxin.core.access import get_in_scope_or_404, require
from nuanxin.core.errors import api_field_names
from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_phone
from nuanxin.core.schemas import Id, RowPages, Rows
from nuanxin.core.scoping import sent_row
from nuanxin.party import actions, queries
from nuanxin.party.alliance_api import router as alliance_router
from nuanxin.party.life_api import router as life_router
from nuanxin.party.meeting_api import router as meeting_router
from nuanxin.party.models import PartyMember, PartyOrg
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place

router = Router(tags=["party"])
router.add_router("/alliance", alliance_router)
router.add_router("", meeting_router)
router.add_router("", life_router)

# The actions name their inputs as models; the API by their JSON keys.
_JSON_NAMES = {name: f"{name}_id" for name in ("area", "place", "parent", "resident", "org")}


class OrgOut(Schema):
    id: int
    name: str
    kind: PartyOrg.Kind
    parent_id: int | None
    area_id: int
    area_name: str
    place_id: int | None
    founded_on: date
    ended_on: date | None
    member_count: int


class OrgIn(Schema):
    name: str = Field(..., max_length=80)
    kind: PartyOrg.Kind
    area_id: Id
    founded_on: date
    parent_id: Id | None = None
    place_id: Id | None = None


class MemberOut(Schema):
    id: int
    org_id: int
    name: str
    phone: str = Field(description="masked")
    standing: PartyMember.Standing
    status: PartyMember.Status
    joined_party_on: date | None
    origin: str
    card_number: str
    workplace: str
    resident_id: int | None
    since: date
    left_on: date | None


class MemberIn(Schema):
    name: str = Field(..., max_length=30)
    standing: PartyMember.Standing
    status: PartyMember.Status
    since: date
    phone: str = Field("", max_length=20)
    joined_party_on: date | None = None
    origin: str = Field("", max_length=100)
    card_number: str = Field("", max_length=30)
    workplace: str = Field("", max_length=100)
    resident_id: Id | None = None


class LeaveIn(Schema):
    left_on: date


def _org(org: PartyOrg) -> dict[str, Any]:
    return {
        "id": org.pk,
        "name": org.name,
        "kind": org.kind,
        "parent_id": org.parent_id,
        "area_id": org.area_id,
        "area_name": org.area.name,
        "place_id": org.place_id,
        "founded_on": org.founded_on,
        "ended_on": org.ended_on,
        "member_count": getattr(org, "member_count", 0),  # queries.orgs_for counts them
    }


def _member(member: PartyMember) -> dict[str, Any]:
    return {
        "id": member.pk,
        "org_id": member.org_id,
        "name": member.name,
        "phone": mask_phone(member.phone) if member.phone else "",
        "standing": member.standing,
        "status": member.status,
        "joined_party_on": member.joined_party_on,
        "origin": member.origin,
        "card_number": member.card_number,
        "workplace": member.workplace,
        "resident_id": member.resident_id,
        "since": member.since,
        "left_on": member.left_on,
    }


@router.get("/orgs", response=list[OrgOut])
@paginate(RowPages)
def list_orgs(request: ScopedRequest) -> Any:
    """The organisations the caller reaches, in tree order, with their current members counted."""
    require(request.scope, "party.view")
    return Rows.each(queries.orgs_for(request.scope).order_by("area__path", "kind", "name", "id"), _org)


@router.get("/orgs/{org_id}", response=OrgOut)
def get_org(request: ScopedRequest, org_id: Id) -> dict[str, Any]:
    require(request.scope, "party.view")
    return _org(_counted(request, org_id))


def _counted(request: ScopedRequest, org_id: int) -> PartyOrg:
    """The organisation, with its members counted, if the caller reaches it (else 404)."""
    return get_in_scope_or_404(queries.orgs_for(request.scope), request.scope, pk=org_id)


@router.post("/orgs", response={201: OrgOut})
def found_org(request: ScopedRequest, payload: OrgIn) -> Status:
    """Found an organisation: a committee at the top (no `parent_id`), or under a parent the
    caller reaches; 400 naming the field for a kind, area, place or date that cannot be."""
    require(request.scope, "party.view")
    parent = sent_row(
        queries.orgs_for(request.scope), payload.parent_id, field="parent_id", message=_("Unknown organisation.")
    )
    area = sent_row(Area.objects.all(), payload.area_id, field="area_id", message=_("Unknown area."))
    place = sent_row(
        Place.objects.visible_to(request.scope), payload.place_id, field="place_id", message=_("Unknown place.")
    )
    with api_field_names(_JSON_NAMES):
        org = actions.create_org(
            actor=request.user,
            scope=request.scope,
            name=payload.name,
            kind=payload.kind,
            area=area,
            founded_on=payload.founded_on,
            parent=parent,
            place=place,
        )
    return Status(201, _org(_counted(request, org.pk)))


@router.get("/orgs/{org_id}/members", response=list[MemberOut])
@paginate(RowPages)
def list_members(request: ScopedRequest, org_id: Id) -> Any:
    """The organisation's current members, phones masked."""
    require(request.scope, "party.view")
    return Rows.each(queries.members_of(request.scope, queries.org_or_404(request.scope, org_id)), _member)


@router.post("/orgs/{org_id}/members", response={201: MemberOut})
def register_member(request: ScopedRequest, org_id: Id, payload: MemberIn) -> Status:
    """Register a member with the organisation; 400 naming the field (a second current
    membership of the same resident, a mobile member without `origin`...)."""
    require(request.scope, "party.view")
    org = queries.org_or_404(request.scope, org_id)
    resident = sent_row(
        Resident.objects.visible_to(request.scope),
        payload.resident_id,
        field="resident_id",
        message=_("Unknown resident."),
    )
    with api_field_names(_JSON_NAMES):
        member = actions.register_member(
            actor=request.user,
            scope=request.scope,
            org=org,
            name=payload.name,
            standing=payload.standing,
            status=payload.status,
            since=payload.since,
            phone=payload.phone,
            joined_party_on=payload.joined_party_on,
            origin=payload.origin,
            card_number=payload.card_number,
            workplace=payload.workplace,
            resident=resident,
        )
    return Status(201, _member(member))


@router.post("/members/{member_id}/leave", response=MemberOut)
def leave(request: ScopedRequest, member_id: Id, payload: LeaveIn) -> dict[str, Any]:
    """The member leaves (moved away, transferred out); the record stays with the day."""
    require(request.scope, "party.view")
    member = get_in_scope_or_404(PartyMember.objects.select_related("org__area"), request.scope, pk=member_id)
    return _member(
        actions.end_membership(actor=request.user, scope=request.scope, member=member, left_on=payload.left_on)
    )
