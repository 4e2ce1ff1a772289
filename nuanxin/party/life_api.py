"""Party building's remaining operations over the API, under /api/v1/party/ (docs/party.md):
the two-new survey register (read it, survey, coverage, founding stage) and its coverage for
a node and period; the branches' organisational life (plan, record, read); offices and
transfers; a member's own points. The same scope and actions as the pages."""

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from nuanxin.core.access import deny, get_in_scope_or_404, require
from nuanxin.core.errors import DomainError, api_field_names
from nuanxin.core.http import ScopedRequest
from nuanxin.core.periods import parse_day
from nuanxin.core.schemas import Count, Id, RowPages, Rows
from nuanxin.core.scoping import sent_row
from nuanxin.party import actions, life, points, queries
from nuanxin.party.models import BranchMeeting, MeetingReply, OrgOffice, PartyMember, PartyPointsEntry, Task, TwoNewOrg
from nuanxin.territory.models import Area, Place

router = Router(tags=["party"])


class SurveyIn(Schema):
    place_id: Id
    kind: TwoNewOrg.Kind
    employees: Count
    full_members: Count = 0
    probationary_members: Count = 0
    mobile_members: Count = 0
    surveyed_on: date


class CoverIn(Schema):
    coverage: str = Field(..., max_length=20)
    on: date
    branch_id: Id | None = None
    instructor: str = Field("", max_length=30)


class StageIn(Schema):
    stage: str = Field(..., max_length=20)
    on: date


class TwoNewState(Schema):
    id: int
    coverage: TwoNewOrg.Coverage
    covered_by_id: int | None
    instructor: str
    covered_on: date | None
    stage: TwoNewOrg.Stage
    founded_on: date | None


class CoverageOut(Schema):
    node_id: int
    on: date = Field(description="Coverage as it stood on this day (the period's last).")
    organisations: int
    own_branch: int
    joint_or_instructor: int
    not_covered: int
    members_found: int
    founded: int = Field(description="Branches founded in the period.")


def _state(record: TwoNewOrg) -> dict[str, Any]:
    fields = ("id", "coverage", "covered_by_id", "instructor", "covered_on", "stage", "founded_on")
    return {name: getattr(record, name) for name in fields}


class TwoNewOut(Schema):
    id: int
    place_id: int
    name: str
    kind: TwoNewOrg.Kind
    employees: int
    full_members: int
    probationary_members: int
    mobile_members: int
    surveyed_on: date
    coverage: TwoNewOrg.Coverage
    covered_by_id: int | None
    instructor: str
    covered_on: date | None
    stage: TwoNewOrg.Stage
    founded_on: date | None


def _two_new(record: TwoNewOrg) -> dict[str, Any]:
    return {
        "id": record.pk,
        "place_id": record.place_id,
        "name": record.place.name,
        "kind": record.kind,
        "employees": record.employees,
        "full_members": record.full_members,
        "probationary_members": record.probationary_members,
        "mobile_members": record.mobile_members,
        "surveyed_on": record.surveyed_on,
        "coverage": record.coverage,
        "covered_by_id": record.covered_by_id,
        "instructor": record.instructor,
        "covered_on": record.covered_on,
        "stage": record.stage,
        "founded_on": record.founded_on,
    }


@router.get("/two-new", response=list[TwoNewOut])
@paginate(RowPages)
def list_two_new(request: ScopedRequest) -> Any:
    """The survey register of two-new organisations the caller reaches, by name."""
    require(request.scope, "party.view")
    return Rows.each(queries.two_new_for(request.scope).order_by("place__name", "id"), _two_new)


@router.get("/two-new/{record_id}", response=TwoNewOut)
def get_two_new(request: ScopedRequest, record_id: Id) -> dict[str, Any]:
    require(request.scope, "party.view")
    return _two_new(queries.two_new_or_404(request.scope, record_id))


@router.post("/two-new", response={201: TwoNewState})
def survey(request: ScopedRequest, payload: SurveyIn) -> Status:
    """Put an organisation (a merchant, an enterprise or a unit) in the survey register."""
    require(request.scope, "party.manage")
    place = sent_row(
        Place.objects.visible_to(request.scope), payload.place_id, field="place_id", message=_("Unknown place.")
    )
    with api_field_names({"place": "place_id"}):
        record = actions.survey_two_new(
            actor=request.user,
            scope=request.scope,
            place=place,
            kind=payload.kind,
            employees=payload.employees,
            full_members=payload.full_members,
            probationary_members=payload.probationary_members,
            mobile_members=payload.mobile_members,
            surveyed_on=payload.surveyed_on,
        )
    return Status(201, _state(record))


@router.post("/two-new/{record_id}/coverage", response=TwoNewState)
def cover(request: ScopedRequest, record_id: Id, payload: CoverIn) -> dict[str, Any]:
    """How party work reaches it from a day: `coverage` joint_branch (with `branch_id`) or
    instructor (with `instructor`)."""
    require(request.scope, "party.view")
    record = queries.two_new_or_404(request.scope, record_id)
    branch = sent_row(
        queries.orgs_for(request.scope), payload.branch_id, field="branch_id", message=_("Unknown organisation.")
    )
    with api_field_names({"branch": "branch_id"}):
        done = actions.cover_two_new(
            actor=request.user,
            scope=request.scope,
            record=record,
            coverage=payload.coverage,
            on=payload.on,
            branch=branch,
            instructor=payload.instructor,
        )
    return _state(done)


@router.post("/two-new/{record_id}/founding", response=TwoNewState)
def advance(request: ScopedRequest, record_id: Id, payload: StageIn) -> dict[str, Any]:
    """The founding pipeline's next stage, dated; the last founds the organisation's branch."""
    require(request.scope, "party.view")
    record = queries.two_new_or_404(request.scope, record_id)
    return _state(
        actions.advance_founding(
            actor=request.user, scope=request.scope, record=record, stage=payload.stage, on=payload.on
        )
    )


@router.get("/coverage", response=CoverageOut)
def coverage(
    request: ScopedRequest, node_id: Id | None = None, start: str = Query("", alias="from"), to: str = ""
) -> dict[str, Any]:
    """Two-new coverage under a node the caller reaches (default: their topmost), as it stood
    on `to`, and the branches founded from `from` to `to` (YYYY-MM-DD; default: this year so
    far)."""
    require(request.scope, "party.view")
    reached = Area.objects.filter(request.scope.q("party.view", "path")).order_by("path")
    node = reached.filter(pk=node_id).first() if node_id is not None else reached.first()
    if node is None:
        raise deny(request.scope, f"party coverage node {node_id}")
    today = timezone.localdate()
    begin = parse_day(start[:10]) if start else today.replace(month=1, day=1)
    end = parse_day(to[:10]) if to else today
    if begin is None:
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field="from")
    if end is None or end < begin:
        raise DomainError(_("Enter a date as YYYY-MM-DD, not before the start."), field="to")
    figures = queries.coverage(request.scope, node, begin, end)
    return {
        "node_id": node.pk,
        "on": end,
        "organisations": figures.organisations,
        "own_branch": figures.own_branch,
        "joint_or_instructor": figures.joint_or_instructor,
        "not_covered": figures.not_covered,
        "members_found": figures.members_found,
        "founded": figures.founded,
    }


# --- organisational life ---------------------------------------------------------------------


class PresenceIn(Schema):
    member_id: Id
    presence: str = Field(..., max_length=10)
    reason: str = Field("", max_length=100)


class PlanIn(Schema):
    kind: BranchMeeting.Kind
    planned_on: date
    topics: str = Field(..., max_length=500)


class RecordIn(Schema):
    held_on: date
    attendance: list[PresenceIn] = Field(..., max_length=500)
    chair_id: Id | None = None
    recorder_id: Id | None = None
    minutes: str = Field("", max_length=5000)
    decisions: str = Field("", max_length=2000)


class BranchMeetingOut(Schema):
    id: int
    org_id: int
    kind: BranchMeeting.Kind
    planned_on: date
    held_on: date | None
    topics: str
    chair_id: int | None
    recorder_id: int | None
    minutes: str
    decisions: str
    present: int
    on_leave: int
    absent: int


def _meeting(meeting: BranchMeeting) -> dict[str, Any]:
    fields = (
        "id",
        "org_id",
        "kind",
        "planned_on",
        "held_on",
        "topics",
        "chair_id",
        "recorder_id",
        "minutes",
        "decisions",
    )
    rows = list(meeting.attendance.values_list("presence", flat=True))
    return {name: getattr(meeting, name) for name in fields} | {
        "present": rows.count("present"),
        "on_leave": rows.count("leave"),
        "absent": rows.count("absent"),
    }


@router.get("/orgs/{org_id}/meetings", response=list[BranchMeetingOut])
@paginate(RowPages)
def list_meetings(request: ScopedRequest, org_id: Id) -> Any:
    require(request.scope, "party.view")
    org = queries.org_or_404(request.scope, org_id)
    return Rows.each(org.meetings.prefetch_related("attendance").order_by("-planned_on", "-id"), _meeting)


@router.post("/orgs/{org_id}/meetings", response={201: BranchMeetingOut})
def plan(request: ScopedRequest, org_id: Id, payload: PlanIn) -> Status:
    require(request.scope, "party.view")
    org = queries.org_or_404(request.scope, org_id)
    meeting = life.plan_meeting(
        actor=request.user,
        scope=request.scope,
        org=org,
        kind=payload.kind,
        planned_on=payload.planned_on,
        topics=payload.topics,
    )
    return Status(201, _meeting(meeting))


@router.get("/meetings/{meeting_id}", response=BranchMeetingOut)
def get_meeting(request: ScopedRequest, meeting_id: Id) -> dict[str, Any]:
    require(request.scope, "party.view")
    return _meeting(queries.meeting_or_404(request.scope, meeting_id))


@router.post("/meetings/{meeting_id}/record", response=BranchMeetingOut)
def record(request: ScopedRequest, meeting_id: Id, payload: RecordIn) -> dict[str, Any]:
    """Record a held meeting: each member's presence (present, leave with `reason`, absent; a
    member left out is absent), the chair and recorder among those present."""
    require(request.scope, "party.view")
    meeting = queries.meeting_or_404(request.scope, meeting_id)
    members = PartyMember.objects.filter(org=meeting.org)
    chair = sent_row(members, payload.chair_id, field="chair_id", message=_("Unknown member."))
    recorder = sent_row(members, payload.recorder_id, field="recorder_id", message=_("Unknown member."))
    with api_field_names({"chair": "chair_id", "recorder": "recorder_id"}):
        life.record_meeting(
            actor=request.user,
            scope=request.scope,
            meeting=meeting,
            held_on=payload.held_on,
            attendance={row.member_id: (row.presence, row.reason) for row in payload.attendance},
            chair=chair,
            recorder=recorder,
            minutes=payload.minutes,
            decisions=payload.decisions,
        )
    return _meeting(queries.meeting_or_404(request.scope, meeting_id))


# --- offices, transfers, points --------------------------------------------------------------


class OfficeIn(Schema):
    member_id: Id
    office: OrgOffice.Office
    since: date


class OfficeOut(Schema):
    id: int
    org_id: int
    member_id: int
    office: OrgOffice.Office
    since: date
    until: date | None


class TransferIn(Schema):
    to_id: Id
    on: date


class TransferOut(Schema):
    member_id: int = Field(description="The membership there, begun on the day.")
    org_id: int


class PointsOut(Schema):
    balance: int
    entries: list[dict[str, Any]]


@router.post("/orgs/{org_id}/offices", response={201: OfficeOut})
def appoint(request: ScopedRequest, org_id: Id, payload: OfficeIn) -> Status:
    require(request.scope, "party.view")
    org = queries.org_or_404(request.scope, org_id)
    member = sent_row(
        queries.members_of(request.scope, org), payload.member_id, field="member_id", message=_("Unknown member.")
    )
    with api_field_names({"member": "member_id"}):
        held = actions.appoint(
            actor=request.user, scope=request.scope, org=org, member=member, office=payload.office, since=payload.since
        )
    fields = ("id", "org_id", "member_id", "office", "since", "until")
    return Status(201, {name: getattr(held, name) for name in fields})


@router.post("/members/{member_id}/transfer", response=TransferOut)
def transfer(request: ScopedRequest, member_id: Id, payload: TransferIn) -> dict[str, Any]:
    """Move the member's relationship to another organisation from `on`."""
    require(request.scope, "party.view")
    member = get_in_scope_or_404(PartyMember.objects.select_related("org__area"), request.scope, pk=member_id)
    to = sent_row(queries.orgs_for(request.scope), payload.to_id, field="to_id", message=_("Unknown organisation."))
    with api_field_names({"to": "to_id"}):
        moved = actions.transfer_member(actor=request.user, scope=request.scope, member=member, to=to, on=payload.on)
    return {"member_id": moved.pk, "org_id": moved.org_id}


class ComingMeetingOut(Schema):
    id: int
    kind: BranchMeeting.Kind
    planned_on: date
    topics: str
    reply: MeetingReply.Presence | None = Field(description="The caller's reply: signed in, or on leave.")


class MemberTaskOut(Schema):
    id: int
    title: str
    deadline: date
    state: Task.State
    progress: int


class MembershipOut(Schema):
    member_id: int
    org_id: int
    org: str
    standing: PartyMember.Standing
    status: PartyMember.Status
    coming: list[ComingMeetingOut]
    tasks: list[MemberTaskOut]


class MeetingReplyIn(Schema):
    presence: MeetingReply.Presence
    reason: str = ""


class MeetingReplyOut(Schema):
    meeting_id: int
    presence: MeetingReply.Presence
    reason: str


def _own_membership(request: ScopedRequest) -> PartyMember:
    member = queries.membership_of(request.user.pk).select_related("org").first()
    if member is None:
        raise deny(request.scope, "party member's own (not a member)")
    return member


@router.get("/me", response=MembershipOut)
def me(request: ScopedRequest) -> dict[str, Any]:
    """The caller's own membership: their organisation, its meetings coming with the caller's
    reply, and the resolution tasks they answer for."""
    member = _own_membership(request)
    coming = queries.meetings_coming(member, timezone.localdate())
    return {
        "member_id": member.pk,
        "org_id": member.org_id,
        "org": member.org.name,
        "standing": member.standing,
        "status": member.status,
        "coming": [
            {
                "id": m.pk,
                "kind": m.kind,
                "planned_on": m.planned_on,
                "topics": m.topics,
                "reply": reply.presence if reply else None,
            }
            for m, reply in coming
        ],
        "tasks": [
            {"id": t.pk, "title": t.title, "deadline": t.deadline, "state": t.state, "progress": t.progress}
            for t in queries.tasks_of_member(request.scope, member)
        ],
    }


@router.post("/me/meetings/{meeting_id}/reply", response=MeetingReplyOut)
def reply(request: ScopedRequest, meeting_id: Id, payload: MeetingReplyIn) -> dict[str, Any]:
    """Sign in to a meeting of the caller's organisation on its day, or ask for leave before it
    with the reason; a later reply replaces the earlier one."""
    member = _own_membership(request)
    meeting = BranchMeeting.objects.filter(pk=meeting_id, org=member.org_id).first()
    if meeting is None:
        raise deny(request.scope, f"party meeting id={meeting_id} reply")
    answer = life.reply_to_meeting(
        actor=request.user, scope=request.scope, meeting=meeting, presence=payload.presence, reason=payload.reason
    )
    return {"meeting_id": meeting.pk, "presence": answer.presence, "reason": answer.reason}


@router.get("/points/mine", response=PointsOut)
def my_points(request: ScopedRequest) -> dict[str, Any]:
    """The caller's own party-member points: the balance and the latest hundred entries."""
    member = queries.membership_of(request.user.pk).first()
    if member is None:
        raise deny(request.scope, "party points (not a member)")
    entries = PartyPointsEntry.objects.filter(member=member)
    return {
        "balance": points.balance(entries),
        "entries": [{"day": e.day, "points": e.points, "source": e.source, "reason": e.reason} for e in entries[:100]],
    }
