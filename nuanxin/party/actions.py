"""Party building's writes: organisations and members (docs/party.md). Each checks party.manage
where it acts, refuses bad input naming the field, writes in one transaction and is audited."""

from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nuanxin.core import audit, changes
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import normalize_mobile, plain_name
from nuanxin.party.models import CHILD_KINDS, FOUNDING, HOLDS_MEMBERS, OrgOffice, PartyMember, PartyOrg, TwoNewOrg
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place
from nuanxin.territory.queries import ancestor_paths

OUTSIDE = gettext_noop("You do not keep party work there.")
# The places a two-new organisation may be (not a home, a building or a station).
TWO_NEW_PLACES = (Place.Kind.MERCHANT, Place.Kind.ENTERPRISE, Place.Kind.PUBLIC_UNIT)


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
    changes.added(PartyOrg, [org.pk])
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
            changes.added(PartyMember, [member.pk])
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
    with changes.tracking(PartyMember, [member.pk]):
        member.left_on = left_on
        member.save(update_fields=["left_on"])
    audit.record("party.member_left", actor=actor, obj=member)
    return member


@transaction.atomic
def transfer_member(*, actor: Any, scope: Scope, member: PartyMember, to: PartyOrg, on: date) -> PartyMember:
    """Move a member's relationship to another organisation from the day `on` (组织关系转接):
    the membership here ends that day and one there begins, the same person with the same
    standing, status and links; offices held here end. Refuses, naming the field: the same
    organisation, a party group, a dissolved one or one outside where the actor keeps party work
    ("to"); a day before they came ("on")."""
    check_at(scope, member.org.area.path, "party.manage", message=_(OUTSIDE))
    if member.left_on is not None:
        raise DomainError(_("This member has already left."), field="on")
    if to.pk == member.org_id or to.kind not in HOLDS_MEMBERS or to.ended_on is not None:
        raise DomainError(_("Choose another organisation that holds members."), field="to")
    check_at(scope, to.area.path, "party.manage", message=_(OUTSIDE), field="to")
    if on <= member.since:
        raise DomainError(_("A member moves on after they came."), field="on")
    member.offices.filter(until__isnull=True).update(until=on)
    with changes.tracking(PartyMember, [member.pk]):
        member.left_on = on
        member.save(update_fields=["left_on"])
    moved = PartyMember.objects.create(
        org=to,
        name=member.name,
        phone=member.phone,
        standing=member.standing,
        status=member.status,
        since=on,
        joined_party_on=member.joined_party_on,
        origin=member.origin,
        card_number=member.card_number,
        workplace=member.workplace,
        resident=member.resident,
        user=member.user,
    )
    changes.added(PartyMember, [moved.pk])
    PartyOrg.objects.filter(secretary=member).update(secretary=None)
    audit.record("party.member_transferred", actor=actor, obj=moved, detail={"from": member.org_id, "to": to.pk})
    return moved


@transaction.atomic
def appoint(*, actor: Any, scope: Scope, org: PartyOrg, member: PartyMember, office: str, since: date) -> OrgOffice:
    """A member takes an office in their organisation from `since`; a new secretary ends the
    last one's term that day. Refuses, naming the field: someone not a current member there
    ("member"); an unknown office; a day before they came or before the organisation was
    founded ("since"); a member holding an office there already ("member")."""
    check_at(scope, org.area.path, "party.manage", message=_(OUTSIDE))
    if member.org_id != org.pk or member.left_on is not None:
        raise DomainError(_("Choose a current member of this organisation."), field="member")
    if office not in OrgOffice.Office.values:
        raise DomainError(_("Choose the office."), field="office")
    if since < max(member.since, org.founded_on):
        raise DomainError(_("An office begins after the member came and the organisation was founded."), field="since")
    if org.offices.filter(member=member, until__isnull=True).exists():
        raise DomainError(_("This member holds an office here already."), field="member")
    if office == OrgOffice.Office.SECRETARY:
        org.offices.filter(office=office, until__isnull=True).update(until=since)
        org.secretary = member
        org.save(update_fields=["secretary"])
    held = OrgOffice.objects.create(org=org, member=member, office=office, since=since)
    audit.record("party.office_taken", actor=actor, obj=org, detail={"member": member.pk, "office": office})
    return held


@transaction.atomic
def relieve(*, actor: Any, scope: Scope, held: OrgOffice, until: date) -> OrgOffice:
    """The member leaves the office on `until` (the record stays)."""
    check_at(scope, held.org.area.path, "party.manage", message=_(OUTSIDE))
    if held.until is not None:
        raise DomainError(_("This office has ended already."), field="until")
    if until < held.since:
        raise DomainError(_("An office ends after it began."), field="until")
    held.until = until
    held.save(update_fields=["until"])
    if held.office == OrgOffice.Office.SECRETARY:
        PartyOrg.objects.filter(pk=held.org_id, secretary=held.member).update(secretary=None)
    audit.record("party.office_left", actor=actor, obj=held.org, detail={"member": held.member_id})
    return held


# --- two-new coverage (党的工作全覆盖) ------------------------------------------------------


@transaction.atomic
def survey_two_new(
    *,
    actor: Any,
    scope: Scope,
    place: Place,
    kind: str,
    employees: int,
    surveyed_on: date,
    full_members: int = 0,
    probationary_members: int = 0,
    mobile_members: int = 0,
) -> TwoNewOrg:
    """Put a two-new organisation (at `place`) in the survey register, not covered yet.
    Refuses, naming the field: a place outside where the actor keeps party work or already in
    the register ("place"); an unknown kind; more party members than employees ("employees")."""
    if place is None or place.grid is None or place.kind not in TWO_NEW_PLACES:
        raise DomainError(_("Choose a merchant, an enterprise or a unit."), field="place")
    check_at(scope, place.grid.path, "party.manage", message=_(OUTSIDE), field="place")
    if TwoNewOrg.objects.filter(place=place).exists():
        raise DomainError(_("This organisation is already in the survey register."), field="place")
    if kind not in TwoNewOrg.Kind.values:
        raise DomainError(_("Choose an enterprise or a social organisation."), field="kind")
    counts = {
        "full_members": full_members,
        "probationary_members": probationary_members,
        "mobile_members": mobile_members,
    }
    for field, n in (("employees", employees), *counts.items()):
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 100_000:
            raise DomainError(_("Enter a whole number from 0 to 100000."), field=field)
    if sum(counts.values()) > employees:
        raise DomainError(_("More party members than employees: check the numbers."), field="employees")
    record = TwoNewOrg.objects.create(
        place=place,
        kind=kind,
        employees=employees,
        surveyed_on=surveyed_on,
        coverage=TwoNewOrg.Coverage.NONE,
        **counts,
    )
    changes.added(TwoNewOrg, [record.pk])
    audit.record("party.two_new_surveyed", actor=actor, obj=record, detail={"employees": employees, **counts})
    return record


@transaction.atomic
def cover_two_new(
    *,
    actor: Any,
    scope: Scope,
    record: TwoNewOrg,
    coverage: str,
    on: date,
    branch: PartyOrg | None = None,
    instructor: str = "",
) -> TwoNewOrg:
    """Say how party work reaches an organisation without its own branch, from the day `on`:
    a joint branch (`branch`, a branch the actor reaches) or a party-building instructor
    (`instructor`, a name). Its own branch comes only from the founding pipeline
    (`advance_founding`)."""
    check_at(scope, record.place.grid.path, "party.manage", message=_(OUTSIDE))
    if on < record.surveyed_on:
        raise DomainError(_("It cannot be covered before it was surveyed."), field="on")
    if record.coverage == TwoNewOrg.Coverage.OWN_BRANCH:
        raise DomainError(_("It has its own branch already."), field="coverage")
    if coverage == TwoNewOrg.Coverage.JOINT_BRANCH:
        if branch is None or branch.kind != PartyOrg.Kind.BRANCH or branch.ended_on is not None:
            raise DomainError(_("Choose the joint branch."), field="branch")
        check_at(scope, branch.area.path, "party.manage", message=_(OUTSIDE), field="branch")
        record.covered_by, record.instructor = branch, ""
    elif coverage == TwoNewOrg.Coverage.INSTRUCTOR:
        record.instructor = plain_name(instructor, field="instructor", limit=30)
        record.covered_by = None
    else:
        raise DomainError(_("Choose a joint branch or an instructor."), field="coverage")
    record.coverage, record.covered_on = coverage, on
    with changes.tracking(TwoNewOrg, [record.pk]):
        record.save(update_fields=["coverage", "covered_by", "instructor", "covered_on"])
    audit.record("party.two_new_covered", actor=actor, obj=record, detail={"coverage": coverage})
    return record


@transaction.atomic
def advance_founding(*, actor: Any, scope: Scope, record: TwoNewOrg, stage: str, on: date) -> TwoNewOrg:
    """Take the organisation's founding pipeline one stage on, dated: surveyed → guidance
    assigned → preparing → approved → founded. Refuses, naming the field: a stage out of order
    ("stage"); a day before the last stage's ("on"); starting without enough full members
    (NUANXIN_PARTY_BRANCH_MIN_FULL, "stage"). The last stage founds the branch under the
    community's committee, and the organisation is then covered by its own branch."""
    check_at(scope, record.place.grid.path, "party.manage", message=_(OUTSIDE))
    stages = [s for s, _field in FOUNDING]
    here = stages.index(TwoNewOrg.Stage(record.stage))
    if here + 1 >= len(stages) or stage != stages[here + 1]:
        nxt = stages[here + 1].label if here + 1 < len(stages) else None
        message = _("The next stage is %(stage)s.") % {"stage": nxt} if nxt else _("The branch is founded already.")
        raise DomainError(message, field="stage")
    last_day = getattr(record, FOUNDING[here][1])
    if on < last_day:
        raise DomainError(_("A stage cannot come before the one before it (%(day)s).") % {"day": last_day}, field="on")
    if stage == TwoNewOrg.Stage.GUIDANCE and record.full_members < settings.NUANXIN_PARTY_BRANCH_MIN_FULL:
        raise DomainError(
            _("A branch needs at least %(n)d full members; cover it by a joint branch or an instructor instead.")
            % {"n": settings.NUANXIN_PARTY_BRANCH_MIN_FULL},
            field="stage",
        )
    setattr(record, FOUNDING[here + 1][1], on)
    record.stage = stage
    if stage == TwoNewOrg.Stage.FOUNDED:
        committee = (
            PartyOrg.objects.filter(kind=PartyOrg.Kind.COMMITTEE, ended_on__isnull=True)
            .filter(area__path__in=ancestor_paths(record.place.grid.path))
            .order_by("-area__path")
            .first()
        )
        if committee is None:
            raise DomainError(_("No party committee above this organisation to found its branch under."), field="stage")
        record.covered_by = create_org(
            actor=actor,
            scope=scope,
            name=f"{record.place.name}党支部",
            kind=PartyOrg.Kind.BRANCH,
            area=record.place.grid,
            founded_on=on,
            parent=committee,
            place=record.place,
        )
        # Covered since the first day anything reached it (a joint branch before its own, say).
        record.coverage, record.instructor = TwoNewOrg.Coverage.OWN_BRANCH, ""
        record.covered_on = record.covered_on or on
    with changes.tracking(TwoNewOrg, [record.pk]):
        record.save()
    audit.record("party.founding_advanced", actor=actor, obj=record, detail={"stage": stage, "on": on.isoformat()})
    return record
