"""Party building's writes: organisations and members (docs/party.md). Each checks party.manage
where it acts, refuses bad input naming the field, writes in one transaction and is audited."""

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nuanxin.core import audit
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import normalize_mobile, plain_name
from nuanxin.party.models import CHILD_KINDS, HOLDS_MEMBERS, PartyMember, PartyOrg
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place

OUTSIDE = gettext_noop("You do not keep party work there.")


@transaction.atomic
def create_org(
    *,
    actor: Any,
    scope: Scope,
    name: str,
    kind: str,
    area: Area,
    founded_on: date,
    parent: PartyOrg | None = None,
    place: Place | None = None,
) -> PartyOrg:
    """Found an organisation under `parent` (a committee at the top of a tree). Refuses, naming
    the field: a kind that cannot sit there ("kind"); an area outside the parent's ("area") or
    outside where the actor keeps party work; a place outside the area ("place"); a founding
    date before the parent's ("founded_on")."""
    check_at(scope, area.path, "party.manage", message=_(OUTSIDE), field="area")
    name = plain_name(name, field="name", limit=80)
    if kind not in PartyOrg.Kind.values:
        raise DomainError(_("Choose the kind of organisation."), field="kind")
    if parent is None:
        if kind != PartyOrg.Kind.COMMITTEE:
            raise DomainError(
                _("Only a party committee stands at the top; choose the organisation above."), field="parent"
            )
    else:
        if parent.ended_on is not None:
            raise DomainError(_("The organisation above has been dissolved."), field="parent")
        if kind not in CHILD_KINDS[PartyOrg.Kind(parent.kind)]:
            raise DomainError(
                _("A %(kind)s cannot sit under a %(parent)s.")
                % {"kind": PartyOrg.Kind(kind).label, "parent": parent.get_kind_display()},
                field="kind",
            )
        if not area.path.startswith(parent.area.path):
            raise DomainError(_("Choose an area inside the one of the organisation above."), field="area")
        if founded_on < parent.founded_on:
            raise DomainError(_("It cannot be founded before the organisation above."), field="founded_on")
    if place is not None and (place.grid is None or not place.grid.path.startswith(area.path)):
        raise DomainError(_("Choose a place inside the organisation's area."), field="place")
    org = PartyOrg.objects.create(name=name, kind=kind, area=area, parent=parent, place=place, founded_on=founded_on)
    audit.record("party.org_created", actor=actor, obj=org, detail={"kind": kind})
    return org


def register_member(
    *,
    actor: Any,
    scope: Scope,
    org: PartyOrg,
    name: str,
    standing: str,
    status: str,
    since: date,
    phone: str = "",
    joined_party_on: date | None = None,
    origin: str = "",
    card_number: str = "",
    workplace: str = "",
    resident: Resident | None = None,
    user: Any = None,
) -> PartyMember:
    """Register a member with the organisation that holds their relationship. Refuses, naming
    the field: an organisation that holds no members (a party group) or is dissolved ("org");
    a person who is already a current member somewhere ("resident" or "user"); a mobile member
    without their home organisation ("origin"); a resident outside the organisation's area."""
    check_at(scope, org.area.path, "party.manage", message=_(OUTSIDE), field="org")
    if org.kind not in HOLDS_MEMBERS:
        raise DomainError(_("A party group holds no memberships: choose its branch."), field="org")
    if org.ended_on is not None:
        raise DomainError(_("This organisation has been dissolved."), field="org")
    name = plain_name(name, field="name", limit=30)
    if standing not in PartyMember.Standing.values:
        raise DomainError(_("Choose full or probationary."), field="standing")
    if status not in PartyMember.Status.values:
        raise DomainError(_("Choose the member's status in the community."), field="status")
    origin = plain_name(origin, field="origin", limit=100, required=False)
    if status in (PartyMember.Status.MOBILE_IN, PartyMember.Status.MOBILE_OUT) and not origin:
        raise DomainError(_("A mobile member's home organisation is needed."), field="origin")
    if resident is not None and not resident.grid.path.startswith(org.area.path):
        raise DomainError(_("Choose a resident inside the organisation's area."), field="resident")
    for field, value in (("resident", resident), ("user", user)):
        if value is not None and PartyMember.objects.filter(**{field: value}, left_on__isnull=True).exists():
            raise DomainError(_("This person is already a member of a party organisation."), field=field)
    try:
        with transaction.atomic():
            member = PartyMember.objects.create(
                org=org,
                name=name,
                phone=normalize_mobile(phone) if phone else "",
                standing=standing,
                status=status,
                since=since,
                joined_party_on=joined_party_on,
                origin=origin,
                card_number=plain_name(card_number, field="card_number", limit=30, required=False),
                workplace=plain_name(workplace, field="workplace", limit=100, required=False),
                resident=resident,
                user=user,
            )
            audit.record(
                "party.member_registered", actor=actor, obj=member, detail={"status": status, "standing": standing}
            )
    except IntegrityError:  # a concurrent registration of the same person
        raise DomainError(_("This person is already a member of a party organisation."), field="resident") from None
    return member


@transaction.atomic
def end_membership(*, actor: Any, scope: Scope, member: PartyMember, left_on: date) -> PartyMember:
    """The member leaves the organisation (moved away, transferred out); their record stays."""
    check_at(scope, member.org.area.path, "party.manage", message=_(OUTSIDE))
    if member.left_on is not None:
        raise DomainError(_("This member has already left."), field="left_on")
    if left_on < member.since:
        raise DomainError(_("A member cannot leave before they registered."), field="left_on")
    member.left_on = left_on
    member.save(update_fields=["left_on"])
    audit.record("party.member_left", actor=actor, obj=member)
    return member
