"""Joint meetings and their resolution tasks over the API, under /api/v1/party/ (docs/party.md):
the same reach as the pages (the party office; a unit's representative for the meetings of
their alliance and their unit's tasks; a staff member for their own tasks; every signed-in
viewer for a published result), the same actions, a refusal a 400 naming the field."""

from datetime import date, datetime
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from nuanxin.accounts.models import User
from nuanxin.core.access import deny
from nuanxin.core.errors import DomainError, api_field_names
from nuanxin.core.http import ScopedRequest
from nuanxin.core.schemas import Id, Moment, RowPages, Rows
from nuanxin.core.scoping import sent_row
from nuanxin.party import access, meetings, queries
from nuanxin.party.models import AllianceUnit, JointMeeting, Need, PartyOrg, Task

router = Router(tags=["party"])

Percent = Annotated[int, Field(ge=0, le=100)]


class AgendaItemOut(Schema):
    id: int
    position: int
    title: str
    need_id: int | None
    case_id: int | None


class AttendanceOut(Schema):
    user_id: int
    name: str
    unit_id: int | None
    method: str
    signed_at: datetime


class MeetingOut(Schema):
    id: int
    committee_id: int
    kind: JointMeeting.Kind
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    held: bool
    minutes: str
    agenda: list[AgendaItemOut]
    attendance: list[AttendanceOut]
    task_ids: list[int]


class AgendaIn(Schema):
    title: str = Field("", max_length=150)
    need_id: Id | None = None


class MeetingIn(Schema):
    committee_id: Id
    kind: JointMeeting.Kind
    title: str = Field(..., max_length=100)
    starts_at: Moment
    ends_at: Moment
    location: str = Field(..., max_length=100)
    agenda: list[AgendaIn] = Field(..., max_length=50)


class TokenIn(Schema):
    token: str = Field(..., max_length=200)


class UserIn(Schema):
    user_id: Id


class MinutesIn(Schema):
    minutes: str = Field(..., max_length=20_000)


class MilestoneIn(Schema):
    title: str = Field(..., max_length=100)
    due_on: date


class ResolutionIn(Schema):
    title: str = Field(..., max_length=200)
    deadline: date
    owner_unit_id: Id | None = None
    owner_branch_id: Id | None = None
    owner_user_id: Id | None = None
    agenda_item_id: Id | None = None
    milestones: list[MilestoneIn] = Field([], max_length=20)


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: date
    done_on: date | None


class TaskOut(Schema):
    id: int
    meeting_id: int
    title: str
    owner: str
    owner_unit_id: int | None
    owner_branch_id: int | None
    owner_user_id: int | None
    deadline: date
    state: Task.State
    progress: int
    finished_on: date | None
    on_time: bool | None
    verified_on: date | None
    published: bool
    escalated_on: date | None
    milestones: list[MilestoneOut]


class VerifyIn(Schema):
    accepted: bool
    reason: str = Field("", max_length=200)


def _meeting(meeting: JointMeeting) -> dict[str, Any]:
    fields = ("id", "committee_id", "kind", "title", "starts_at", "ends_at", "location", "held", "minutes")
    return {name: getattr(meeting, name) for name in fields} | {
        "agenda": [
            {"id": i.pk, "position": i.position, "title": i.title, "need_id": i.need_id, "case_id": i.case_id}
            for i in meeting.agenda.all()
        ],
        "attendance": [
            {
                "user_id": a.user_id,
                "name": a.user.display_name or a.user.username,
                "unit_id": a.unit_id,
                "method": a.method,
                "signed_at": a.signed_at,
            }
            for a in meeting.attendance.select_related("user")
        ],
        "task_ids": list(meeting.tasks.values_list("pk", flat=True)),
    }


def _task(task: Task) -> dict[str, Any]:
    fields = (
        "id",
        "meeting_id",
        "title",
        "owner_unit_id",
        "owner_branch_id",
        "owner_user_id",
        "deadline",
        "state",
        "progress",
        "finished_on",
        "on_time",
        "verified_on",
        "escalated_on",
    )
    return {name: getattr(task, name) for name in fields} | {
        "owner": task.owner_name,
        "published": task.published_at is not None,
        "milestones": [
            {"id": m.pk, "title": m.title, "due_on": m.due_on, "done_on": m.done_on} for m in task.milestones.all()
        ],
    }


def _office(request: ScopedRequest, meeting: JointMeeting) -> None:
    if not access.manages(request.scope, meeting.committee):
        raise deny(request.scope, f"party.manage joint meeting {meeting.pk}")


# --- meetings -------------------------------------------------------------------------------


@router.get("/joint-meetings", response=list[MeetingOut])
@paginate(RowPages)
def list_meetings(request: ScopedRequest) -> Any:
    """The joint meetings the caller reaches, latest first."""
    if not queries.sees_alliance(request.scope):
        raise deny(request.scope, "party joint meetings")
    return Rows.each(queries.joint_meetings_for(request.scope).prefetch_related("agenda"), _meeting)


# Before /joint-meetings/{meeting_id}: its pattern would take "sign-in" for an id.
@router.post("/joint-meetings/sign-in", response=AttendanceOut)
def sign_in(request: ScopedRequest, payload: TokenIn) -> dict[str, Any]:
    """Sign in with the code of the meeting's QR (`token`), for the unit the caller speaks for."""
    meeting = meetings.meeting_for_code(payload.token)
    row = meetings.sign_in(actor=request.user, scope=request.scope, meeting=meeting)
    return {
        "user_id": row.user_id,
        "name": request.user.display_name or request.user.username,
        "unit_id": row.unit_id,
        "method": row.method,
        "signed_at": row.signed_at,
    }


@router.get("/joint-meetings/{meeting_id}", response=MeetingOut)
def get_meeting(request: ScopedRequest, meeting_id: Id) -> dict[str, Any]:
    return _meeting(queries.joint_meeting_or_404(request.scope, meeting_id))


@router.post("/joint-meetings", response={201: MeetingOut})
def plan(request: ScopedRequest, payload: MeetingIn) -> Status:
    """Plan a joint meeting with its agenda (each item a title, or a need of the list)."""
    committee = sent_row(
        queries.managed_committees(request.scope),
        payload.committee_id,
        field="committee_id",
        message=_("Unknown party committee."),
    )
    agenda = []
    for n, item in enumerate(payload.agenda):
        need = sent_row(
            Need.objects.filter(committee=committee),
            item.need_id,
            field=f"agenda.{n}.need_id",
            message=_("Choose a need of this alliance."),
        )
        agenda.append(meetings.AgendaIn(item.title, need=need))
    meeting = meetings.plan_joint_meeting(
        actor=request.user,
        scope=request.scope,
        committee=committee,
        kind=payload.kind,
        title=payload.title,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        location=payload.location,
        agenda=agenda,
    )
    return Status(201, _meeting(meeting))


@router.post("/joint-meetings/{meeting_id}/attendance", response=MeetingOut)
def attend_by_hand(request: ScopedRequest, meeting_id: Id, payload: UserIn) -> dict[str, Any]:
    """The office records someone who came (a member unit's representative or the office)."""
    meeting = queries.joint_meeting_or_404(request.scope, meeting_id)
    _office(request, meeting)
    user = sent_row(
        User.objects.filter(is_active=True), payload.user_id, field="user_id", message=_("Unknown account.")
    )
    with api_field_names({"user": "user_id"}):
        meetings.record_attendance(actor=request.user, scope=request.scope, meeting=meeting, user=user)
    return _meeting(meeting)


@router.post("/joint-meetings/{meeting_id}/held", response=MeetingOut)
def hold(request: ScopedRequest, meeting_id: Id, payload: MinutesIn) -> dict[str, Any]:
    meeting = queries.joint_meeting_or_404(request.scope, meeting_id)
    return _meeting(
        meetings.hold_meeting(actor=request.user, scope=request.scope, meeting=meeting, minutes=payload.minutes)
    )


@router.post("/joint-meetings/{meeting_id}/resolutions", response={201: TaskOut})
def resolve(request: ScopedRequest, meeting_id: Id, payload: ResolutionIn) -> Status:
    """A resolution as a task with exactly one owner: `owner_unit_id`, `owner_branch_id` or
    `owner_user_id`; its milestones between the meeting and the deadline."""
    meeting = queries.joint_meeting_or_404(request.scope, meeting_id)
    _office(request, meeting)
    committee = meeting.committee
    unknown = _("Choose a unit, a branch or a staff member of this alliance.")
    owner_unit = sent_row(
        AllianceUnit.objects.filter(committee=committee), payload.owner_unit_id, field="owner_unit_id", message=unknown
    )
    owner_branch = sent_row(
        PartyOrg.objects.filter(parent=committee), payload.owner_branch_id, field="owner_branch_id", message=unknown
    )
    owner_user = sent_row(
        User.objects.filter(is_active=True), payload.owner_user_id, field="owner_user_id", message=unknown
    )
    item = sent_row(
        meeting.agenda.all(), payload.agenda_item_id, field="agenda_item_id", message=_("Unknown agenda item.")
    )
    owner_field = "owner_unit_id" if owner_unit else "owner_branch_id" if owner_branch else "owner_user_id"
    with api_field_names({"owner": owner_field, "agenda_item": "agenda_item_id"}):
        task = meetings.add_resolution(
            actor=request.user,
            scope=request.scope,
            meeting=meeting,
            title=payload.title,
            deadline=payload.deadline,
            owner_unit=owner_unit,
            owner_branch=owner_branch,
            owner_user=owner_user,
            agenda_item=item,
            milestones=[meetings.MilestoneIn(m.title, m.due_on) for m in payload.milestones],
        )
    return Status(201, _task(task))


# --- tasks ----------------------------------------------------------------------------------


@router.get("/tasks", response=list[TaskOut])
@paginate(RowPages)
def list_tasks(request: ScopedRequest, state: str = "") -> Any:
    """The tasks the caller reaches, by deadline; optionally of one `state`."""
    tasks = queries.tasks_for(request.scope).prefetch_related("milestones")
    if state:
        if state not in Task.State.values:
            raise DomainError(_("Unknown state."), field="state")
        tasks = tasks.filter(state=state)
    return Rows.each(tasks.order_by("deadline", "id"), _task)


@router.get("/tasks/{task_id}", response=TaskOut)
def get_task(request: ScopedRequest, task_id: Id) -> dict[str, Any]:
    return _task(queries.task_or_404(request.scope, task_id))


@router.post("/tasks/{task_id}/reports", response={201: TaskOut})
def report(
    request: ScopedRequest,
    task_id: Id,
    note: Form[str],
    progress: Form[Percent],
    milestone_ids: Form[str] = "",
    photo: File[UploadedFile | None] = None,
) -> Status:
    """The owner (or the office) reports progress (multipart or a urlencoded form: `note`,
    `progress` 0-100, `milestone_ids` reached as "1,2", the optional `photo`); 100 finishes it."""
    task = queries.task_or_404(request.scope, task_id)
    ids = [part.strip() for part in milestone_ids.split(",") if part.strip()]
    if not all(part.isascii() and part.isdigit() and len(part) < 12 for part in ids):
        raise DomainError(_("Choose milestones of this task."), field="milestone_ids")
    with api_field_names({"milestones": "milestone_ids"}):
        meetings.report_progress(
            actor=request.user,
            scope=request.scope,
            task=task,
            note=note,
            progress=progress,
            photo=photo,
            milestones_done=[int(part) for part in ids],
        )
    return Status(201, _task(queries.task_or_404(request.scope, task_id)))


@router.post("/tasks/{task_id}/verification", response=TaskOut)
def verify(request: ScopedRequest, task_id: Id, payload: VerifyIn) -> dict[str, Any]:
    """The office verifies a finished task, or sends it back with `reason`."""
    task = queries.task_or_404(request.scope, task_id)
    _office(request, task.meeting)
    meetings.verify_task(
        actor=request.user, scope=request.scope, task=task, accepted=payload.accepted, reason=payload.reason
    )
    return _task(queries.task_or_404(request.scope, task_id))


@router.post("/tasks/{task_id}/publish", response=TaskOut)
def publish(request: ScopedRequest, task_id: Id) -> dict[str, Any]:
    task = queries.task_or_404(request.scope, task_id)
    _office(request, task.meeting)
    meetings.publish_task(actor=request.user, scope=request.scope, task=task)
    return _task(queries.task_or_404(request.scope, task_id))
