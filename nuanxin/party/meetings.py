"""Joint meetings of the alliance (大党委联席会议) and their resolutions tracked to a result
(docs/party.md): planned with an agenda, signed into by the meeting's QR code (the units'
representatives and the community's staff, on their own phones) or by the office's hand, held
with minutes; each resolution becomes a task with an owner, a deadline and milestones, on which
the owner reports progress until the community verifies and publishes it. An overdue task is
reminded, then escalated to the community (`remind_and_escalate`, a periodic job)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nuanxin.accounts.models import User
from nuanxin.accounts.scope import scope_of
from nuanxin.cases.models import Case
from nuanxin.core import audit, changes
from nuanxin.core.checkin_codes import code_for, new_secret, object_for
from nuanxin.core.errors import DomainError
from nuanxin.core.notifications import notify
from nuanxin.core.photos import accept_photo
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import plain_name, plain_text
from nuanxin.party.access import check_manages, manages, speaks_for
from nuanxin.party.models import (
    AgendaItem,
    AllianceUnit,
    JointMeeting,
    MeetingAttendance,
    Milestone,
    Need,
    PartyOrg,
    ProgressReport,
    Task,
)

CODE_SALT = "nuanxin.party.meeting"
# The meeting's code opens this long before the start, and closes at the end.
SIGN_IN_OPENS_BEFORE = timedelta(hours=1)
REPORT_SUBDIR = "party/tasks"
NOT_OWNER = gettext_noop("Only the task's owner or the community's party office reports on it.")


# --- planning and holding a meeting ---------------------------------------------------------


@dataclass(frozen=True)
class AgendaIn:
    title: str
    need: Need | None = None
    case: Case | None = None


@transaction.atomic
def plan_joint_meeting(
    *,
    actor: Any,
    scope: Scope,
    committee: PartyOrg,
    kind: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str,
    agenda: list[AgendaIn],
) -> JointMeeting:
    """Plan a meeting of the alliance the committee leads, with its agenda in order. Refuses,
    naming the field: an unknown kind; an end not after the start ("ends_at"); no agenda
    ("agenda"); an item without a title, a need of another alliance or a case outside the
    committee's area ("agenda.<n>.<field>")."""
    check_manages(scope, committee)
    if committee.kind != PartyOrg.Kind.COMMITTEE:
        raise DomainError(_("Only a party committee leads an alliance."), field="committee")
    if kind not in JointMeeting.Kind.values:
        raise DomainError(_("Choose the kind of meeting."), field="kind")
    if ends_at <= starts_at:
        raise DomainError(_("A meeting ends after it starts."), field="ends_at")
    if not agenda:
        raise DomainError(_("Put at least one item on the agenda."), field="agenda")
    items = []
    for n, raw in enumerate(agenda):
        prefix = f"agenda.{n}"
        if raw.need is not None and raw.need.committee_id != committee.pk:
            raise DomainError(_("Choose a need of this alliance."), field=f"{prefix}.need")
        if raw.case is not None and not raw.case.grid.path.startswith(committee.area.path):
            raise DomainError(_("Choose a case of this community."), field=f"{prefix}.case")
        default = raw.need.title if raw.need else raw.case.number if raw.case else ""
        items.append(
            AgendaItem(
                position=n + 1,
                title=plain_name(raw.title or default, field=f"{prefix}.title", limit=150),
                need=raw.need,
                case=raw.case,
            )
        )
    meeting = JointMeeting.objects.create(
        committee=committee,
        kind=kind,
        title=plain_name(title, field="title", limit=100),
        starts_at=starts_at,
        ends_at=ends_at,
        location=plain_name(location, field="location", limit=100),
        checkin_secret=new_secret(),
    )
    for item in items:
        item.meeting = meeting
    AgendaItem.objects.bulk_create(items)
    audit.record("party.joint_meeting_planned", actor=actor, obj=meeting, detail={"agenda": len(items)})
    return meeting


def sign_in_code(meeting: JointMeeting) -> str:
    """The token in the meeting's QR code."""
    return code_for(CODE_SALT, meeting.pk, meeting.checkin_secret)


def meeting_for_code(token: str, *, now: datetime | None = None) -> JointMeeting:
    """The meeting a code belongs to, if it is genuine and open now (from an hour before the
    start to the end); refuses naming "token"."""
    now = now or timezone.now()
    meeting = object_for(
        token,
        CODE_SALT,
        lambda pk: JointMeeting.objects.select_related("committee__area").filter(pk=pk).first(),
        lambda found: found.checkin_secret,
    )
    if now < meeting.starts_at - SIGN_IN_OPENS_BEFORE:
        opens = timezone.localtime(meeting.starts_at - SIGN_IN_OPENS_BEFORE)
        raise DomainError(_("Sign-in opens at %(at)s.") % {"at": f"{opens:%Y-%m-%d %H:%M}"}, field="token")
    if now > meeting.ends_at:
        raise DomainError(_("This meeting is over: its code no longer signs in."), field="token")
    return meeting


def unit_of(scope: Scope, meeting: JointMeeting) -> AllianceUnit | None:
    """The member unit of the meeting's alliance the viewer speaks for, if any."""
    return (
        AllianceUnit.objects.filter(committee=meeting.committee, left_on__isnull=True, place_id__in=scope.unit_ids)
        .select_related("place")
        .order_by("pk")
        .first()
    )


def expected(scope: Scope, meeting: JointMeeting) -> bool:
    """Who signs in: the representatives of the alliance's units and its party office."""
    return unit_of(scope, meeting) is not None or scope.has_at("party.view", meeting.committee.area.path)


def sign_in(*, actor: Any, scope: Scope, meeting: JointMeeting, now: datetime | None = None) -> MeetingAttendance:
    """The actor signs in to the meeting with its code (checked by `meeting_for_code` before),
    for the unit they speak for (none: the community's side). Signing in twice answers the
    first sign-in. Refuses someone neither of a member unit nor of the party office."""
    if not isinstance(scope, Scope):
        raise TypeError(f"an action's check needs a Scope, not {scope!r}")
    if not expected(scope, meeting):
        raise DomainError(_("This meeting is for the alliance's units and the community's party office."))
    return _attend(actor=actor, meeting=meeting, user=actor, unit=unit_of(scope, meeting), method="qr", now=now)


def _attend(*, actor: Any, meeting: JointMeeting, user: Any, unit: Any, method: str, now: Any) -> MeetingAttendance:
    earlier = MeetingAttendance.objects.filter(meeting=meeting, user=user).first()
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            attendance = MeetingAttendance.objects.create(
                meeting=meeting, user=user, unit=unit, method=method, signed_at=now or timezone.now()
            )
            audit.record(
                "party.joint_meeting_signed_in",
                actor=actor,
                obj=meeting,
                detail={"user": user.pk, "unit": unit.pk if unit else None, "method": method},
            )
    except IntegrityError:  # the same person's second tap, at the same moment
        return MeetingAttendance.objects.get(meeting=meeting, user=user)
    return attendance


def record_attendance(
    *, actor: Any, scope: Scope, meeting: JointMeeting, user: Any, now: datetime | None = None
) -> MeetingAttendance:
    """The office records someone who came without signing in themselves (no phone, say):
    a representative of a member unit or one of the party office."""
    check_manages(scope, meeting.committee)
    if user is None:
        raise DomainError(_("Choose who came."), field="user")
    theirs = scope_of(user)
    if not expected(theirs, meeting):
        raise DomainError(_("This meeting is for the alliance's units and the community's party office."), field="user")
    return _attend(actor=actor, meeting=meeting, user=user, unit=unit_of(theirs, meeting), method="by_hand", now=now)


@transaction.atomic
def hold_meeting(
    *, actor: Any, scope: Scope, meeting: JointMeeting, minutes: str, now: datetime | None = None
) -> JointMeeting:
    """Record the meeting as held, with its minutes. Refuses a meeting that has not begun
    ("minutes"), one held already."""
    check_manages(scope, meeting.committee)
    if (now or timezone.now()) < meeting.starts_at:
        raise DomainError(_("The meeting has not begun yet."), field="minutes")
    if meeting.held:
        raise DomainError(_("This meeting is recorded already."), code="stale")
    meeting.minutes = plain_text(minutes, field="minutes", limit=20_000)
    meeting.held = True
    with changes.tracking(JointMeeting, [meeting.pk]):
        meeting.save(update_fields=["minutes", "held"])
    audit.record("party.joint_meeting_held", actor=actor, obj=meeting, detail={"attended": meeting.attendance.count()})
    return meeting


# --- resolutions as tasks -------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneIn:
    title: str
    due_on: date


@transaction.atomic
def add_resolution(
    *,
    actor: Any,
    scope: Scope,
    meeting: JointMeeting,
    title: str,
    deadline: date,
    owner_unit: AllianceUnit | None = None,
    owner_branch: PartyOrg | None = None,
    owner_user: Any = None,
    agenda_item: AgendaItem | None = None,
    milestones: Iterable[MilestoneIn] = (),
    now: datetime | None = None,
) -> Task:
    """A resolution of the meeting, as a task with exactly one owner: a member unit of the
    alliance, a branch under the committee, or a staff member of the party office. Refuses,
    naming the field: a meeting not begun ("meeting"); no owner or more than one ("owner"); an
    owner outside the alliance ("owner"); a deadline before the meeting ("deadline"); a
    milestone after the deadline ("milestones.<n>.due_on")."""
    check_manages(scope, meeting.committee)
    now = now or timezone.now()
    if now < meeting.starts_at:
        raise DomainError(_("Resolutions are recorded once the meeting has begun."), field="meeting")
    owners = [o for o in (owner_unit, owner_branch, owner_user) if o is not None]
    if len(owners) != 1:
        raise DomainError(_("Name one owner: a unit, a branch or a staff member."), field="owner")
    committee = meeting.committee
    if owner_unit is not None and (owner_unit.committee_id != committee.pk or owner_unit.left_on is not None):
        raise DomainError(_("Choose a unit of this alliance."), field="owner")
    if owner_branch is not None and (owner_branch.parent_id != committee.pk or owner_branch.ended_on is not None):
        raise DomainError(_("Choose a branch under this committee."), field="owner")
    if owner_user is not None and not scope_of(owner_user).has_at("party.view", committee.area.path):
        raise DomainError(_("Choose a staff member of the party office."), field="owner")
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        raise DomainError(_("Choose an item of this meeting's agenda."), field="agenda_item")
    held_on = timezone.localdate(meeting.starts_at)
    if not isinstance(deadline, date) or deadline < held_on:
        raise DomainError(_("The deadline cannot come before the meeting."), field="deadline")
    steps = []
    for n, raw in enumerate(milestones):
        if not isinstance(raw.due_on, date) or not held_on <= raw.due_on <= deadline:
            raise DomainError(
                _("A milestone falls between the meeting and the deadline."), field=f"milestones.{n}.due_on"
            )
        steps.append(
            Milestone(title=plain_name(raw.title, field=f"milestones.{n}.title", limit=100), due_on=raw.due_on)
        )
    task = Task.objects.create(
        meeting=meeting,
        agenda_item=agenda_item,
        title=plain_name(title, field="title", limit=200),
        owner_unit=owner_unit,
        owner_branch=owner_branch,
        owner_user=owner_user,
        deadline=deadline,
    )
    for step in steps:
        step.task = task
    Milestone.objects.bulk_create(steps)
    audit.record("party.task_created", actor=actor, obj=task, detail={"milestones": len(steps)})
    notify(
        recipients=owner_people(task),
        kind="party.task",
        title=_("A resolution for you: %(title)s") % {"title": task.title},
        body=_("From %(meeting)s; due %(day)s.") % {"meeting": meeting.title, "day": f"{deadline:%Y-%m-%d}"},
        url=reverse("party:task", args=[task.pk]),
        now=now,
    )
    return task


def owner_people(task: Task) -> list[Any]:
    """Who answers for a task: the owner unit's representatives, the owner staff member, or
    for a branch its secretary's account (else the party office)."""
    if task.owner_user is not None:
        return [task.owner_user]
    if task.owner_unit is not None:
        return list(
            User.objects.filter(
                role_grants__role="partner_rep", role_grants__unit_id=task.owner_unit.place_id, is_active=True
            ).distinct()
        )
    secretary = task.owner_branch.secretary if task.owner_branch is not None else None
    if secretary is not None and secretary.user_id:
        return [secretary.user]
    return office_people(task.meeting.committee)


def office_people(committee: PartyOrg) -> list[Any]:
    """The community's party office: accounts holding a role with party.manage on the
    committee's node (community admin and staff)."""
    return list(
        User.objects.filter(
            role_grants__area=committee.area,
            role_grants__role__in=("community_admin", "community_staff"),
            is_active=True,
        ).distinct()
    )


def may_report(scope: Scope, user: Any, task: Task) -> bool:
    """The owner (a representative of the owner unit, the owner staff member, the owner
    branch's secretary) or the office."""
    if manages(scope, task.meeting.committee):
        return True
    if task.owner_unit is not None:
        return speaks_for(scope, task.owner_unit)
    user_id = getattr(user, "pk", None)
    if task.owner_branch is not None:
        secretary = task.owner_branch.secretary
        return bool(user_id and secretary is not None and secretary.user_id == user_id)
    return bool(task.owner_user_id and task.owner_user_id == user_id)


def report_progress(
    *,
    actor: Any,
    scope: Scope,
    task: Task,
    note: str,
    progress: int,
    photo: IO[bytes] | None = None,
    milestones_done: Iterable[int] = (),
    now: datetime | None = None,
) -> ProgressReport:
    """The owner reports how far the task is, with a note and a photo; milestones reached are
    dated today. Progress 100 finishes the task (to be verified by the community). Refuses a
    verified task, a progress outside 0-100 ("progress"), an empty note ("note"), a milestone
    of another task ("milestones")."""
    if not isinstance(scope, Scope):
        raise TypeError(f"an action's check needs a Scope, not {scope!r}")
    if not may_report(scope, actor, task):
        raise DomainError(_(NOT_OWNER), code="forbidden")
    if task.state == Task.State.VERIFIED:
        raise DomainError(_("This task is verified and closed."), code="stale")
    if not isinstance(progress, int) or isinstance(progress, bool) or not 0 <= progress <= 100:
        raise DomainError(_("Enter how far it is, from 0 to 100."), field="progress")
    note = plain_text(note, field="note", limit=2000, required=True, message=_("Say what was done."))
    done_ids = set(milestones_done)
    if done_ids - set(task.milestones.values_list("pk", flat=True)):
        raise DomainError(_("Choose milestones of this task."), field="milestones")
    stored = accept_photo(photo, field="photo", subdir=REPORT_SUBDIR) if photo is not None else None
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.state == Task.State.VERIFIED:
            raise DomainError(_("This task is verified and closed."), code="stale")
        report = ProgressReport.objects.create(
            task=task, by=actor, at=now, note=note, progress=progress, photo_name=stored.name if stored else ""
        )
        task.milestones.filter(pk__in=done_ids, done_on__isnull=True).update(done_on=today)
        task.progress = progress
        if progress == 100:
            task.state, task.finished_on = Task.State.FINISHED, today
        elif task.state == Task.State.FINISHED:  # a report taking back "finished"
            task.state, task.finished_on = Task.State.OPEN, None
        task.save(update_fields=["progress", "state", "finished_on"])
        audit.record("party.task_reported", actor=actor, obj=task, detail={"progress": progress, "photo": bool(stored)})
        if task.state == Task.State.FINISHED:
            notify(
                recipients=office_people(task.meeting.committee),
                kind="party.task",
                title=_("Finished, to verify: %(title)s") % {"title": task.title},
                body=task.owner_name,
                url=reverse("party:task", args=[task.pk]),
                now=now,
            )
    return report


@transaction.atomic
def verify_task(
    *, actor: Any, scope: Scope, task: Task, accepted: bool, reason: str = "", now: datetime | None = None
) -> Task:
    """The community checks a finished task: verified (done, on time or late by when it was
    finished), or sent back under way with the reason ("reason")."""
    check_manages(scope, task.meeting.committee)
    now = now or timezone.now()
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.state != Task.State.FINISHED:
        raise DomainError(_("Only a finished task is verified."), code="stale")
    if accepted:
        task.state, task.verified_on = Task.State.VERIFIED, timezone.localdate(now)
    else:
        reason = plain_name(reason, field="reason", limit=200, required=True, message=_("Say what is missing."))
        task.state, task.finished_on, task.progress = Task.State.OPEN, None, min(task.progress, 90)
        ProgressReport.objects.create(
            task=task,
            by=actor,
            at=timezone.now(),
            note=_("Sent back: %(reason)s") % {"reason": reason},
            progress=task.progress,
        )
    with changes.tracking(Task, [task.pk]):
        task.save(update_fields=["state", "verified_on", "finished_on", "progress"])
    audit.record("party.task_verified", actor=actor, obj=task, detail={"accepted": accepted})
    if not accepted:
        notify(
            recipients=owner_people(task),
            kind="party.task",
            title=_("Sent back: %(title)s") % {"title": task.title},
            body=reason,
            url=reverse("party:task", args=[task.pk]),
            now=now,
        )
    return task


@transaction.atomic
def publish_task(*, actor: Any, scope: Scope, task: Task, now: datetime | None = None) -> Task:
    """Publish a verified task's result (监督问效): every signed-in viewer may then see it."""
    check_manages(scope, task.meeting.committee)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.state != Task.State.VERIFIED:
        raise DomainError(_("Only a verified task is published."), code="stale")
    if task.published_at is None:
        task.published_at = now or timezone.now()
        task.save(update_fields=["published_at"])
        audit.record("party.task_published", actor=actor, obj=task)
    return task


def remind_and_escalate(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic job: an open task past its deadline is reminded to its owner once; one
    still open NUANXIN_PARTY_ESCALATE_AFTER_DAYS after its deadline is escalated to the
    community's party office, once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    late = Task.objects.filter(state=Task.State.OPEN, deadline__lt=today).select_related(
        "meeting__committee__area", "owner_unit__place", "owner_branch__secretary__user", "owner_user"
    )
    reminded = escalated = 0
    for task in late.filter(reminded_on__isnull=True):
        with transaction.atomic():
            if Task.objects.filter(pk=task.pk, reminded_on__isnull=True).update(reminded_on=today):
                notify(
                    recipients=owner_people(task),
                    kind="party.task",
                    title=_("Overdue: %(title)s") % {"title": task.title},
                    body=_("It was due %(day)s; report how far it is.") % {"day": f"{task.deadline:%Y-%m-%d}"},
                    url=reverse("party:task", args=[task.pk]),
                    now=now,
                )
                reminded += 1
    after = today - timedelta(days=settings.NUANXIN_PARTY_ESCALATE_AFTER_DAYS)
    for task in late.filter(escalated_on__isnull=True, deadline__lt=after):
        with transaction.atomic():
            if Task.objects.filter(pk=task.pk, escalated_on__isnull=True).update(escalated_on=today):
                audit.record("party.task_escalated", actor=audit.SYSTEM, obj=task)
                notify(
                    recipients=office_people(task.meeting.committee),
                    kind="party.task",
                    title=_("Escalated: %(title)s") % {"title": task.title},
                    body=_("%(owner)s has not finished it; it was due %(day)s.")
                    % {"owner": task.owner_name, "day": f"{task.deadline:%Y-%m-%d}"},
                    url=reverse("party:task", args=[task.pk]),
                    now=now,
                )
                escalated += 1
    return {"reminded": reminded, "escalated": escalated}
