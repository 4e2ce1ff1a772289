"""Organisational life (三会一课, 主题党日): the meetings each branch plans and holds, with
attendance, and how a branch's quarter compares with the required cadence (docs/party.md)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.core import audit, changes
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import plain_text
from nuanxin.party.actions import OUTSIDE
from nuanxin.party.models import Attendance, BranchMeeting, MeetingReply, PartyMember, PartyOrg
from nuanxin.party.points import award_for_meeting
from nuanxin.party.queries import membership_of, orgs_for

Kind = BranchMeeting.Kind
Presence = Attendance.Presence


def cadence() -> dict[str, int]:
    """How many meetings of each kind a branch holds a quarter (NUANXIN_PARTY_CADENCE); a
    setting that cannot be read stops the site when it starts (PartyConfig.ready)."""
    required: dict[str, int] = {}
    for part in settings.NUANXIN_PARTY_CADENCE.split(","):
        kind, _sep, n = part.strip().partition("=")
        if kind not in Kind.values or not n.strip().isdigit():
            raise ImproperlyConfigured(
                f"NUANXIN_PARTY_CADENCE: {part.strip()!r} is not kind=number (kinds: {', '.join(Kind.values)})"
            )
        required[kind] = int(n)
    return required


@transaction.atomic
def plan_meeting(*, actor: Any, scope: Scope, org: PartyOrg, kind: str, planned_on: date, topics: str) -> BranchMeeting:
    """Plan a meeting of the organisation's life; refuses a dissolved organisation ("org"), an
    unknown kind ("kind"), no topics ("topics")."""
    check_at(scope, org.area.path, "party.manage", message=_(OUTSIDE), field="org")
    if org.ended_on is not None:
        raise DomainError(_("This organisation has been dissolved."), field="org")
    if kind not in Kind.values:
        raise DomainError(_("Choose the kind of meeting."), field="kind")
    meeting = BranchMeeting.objects.create(
        org=org, kind=kind, planned_on=planned_on, topics=plain_text(topics, field="topics", limit=500)
    )
    audit.record("party.meeting_planned", actor=actor, obj=meeting, detail={"kind": kind})
    return meeting


def members_on(org: PartyOrg, day: date) -> dict[int, PartyMember]:
    """The organisation's members on `day`: registered by then and not yet left."""
    rows = org.members.filter(Q(left_on__isnull=True) | Q(left_on__gt=day), since__lte=day).order_by("name", "id")
    return {member.pk: member for member in rows}


@transaction.atomic
def record_meeting(
    *,
    actor: Any,
    scope: Scope,
    meeting: BranchMeeting,
    held_on: date,
    attendance: Mapping[int, tuple[str, str]],
    chair: PartyMember | None = None,
    recorder: PartyMember | None = None,
    minutes: str = "",
    decisions: str = "",
) -> BranchMeeting:
    """Record a planned meeting as held: `attendance` maps each member's id to (presence,
    reason); a member of the organisation left out is absent. Refuses, naming the field: a
    meeting recorded already or a day still to come ("held_on"); anyone who was not a member
    on the day, a presence unknown or a leave without its reason ("attendance"); a chair or
    recorder who was not present ("chair", "recorder"). A member left out of `attendance`
    counts as they replied (signed in, on leave), else absent."""
    check_at(scope, meeting.org.area.path, "party.manage", message=_(OUTSIDE))
    if meeting.held_on is not None:
        raise DomainError(_("This meeting is recorded already."), field="held_on")
    if held_on > timezone.localdate():
        raise DomainError(_("A meeting is recorded once it has been held."), field="held_on")
    members = members_on(meeting.org, held_on)
    strangers = set(attendance) - set(members)
    if strangers:
        raise DomainError(
            _("Only the organisation's members on that day attend: %(n)d listed are not.") % {"n": len(strangers)},
            field="attendance",
        )
    replied = {r.member_id: (r.presence, r.reason) for r in meeting.replies.all()}
    rows = []
    for member_id, member in members.items():
        presence, reason = attendance.get(member_id) or replied.get(member_id) or (Presence.ABSENT, "")
        if presence not in Presence.values:
            raise DomainError(_("Say whether each member was present, on leave or absent."), field="attendance")
        reason = plain_text(reason, field="attendance", limit=100, required=False)
        if presence == Presence.LEAVE and not reason:
            raise DomainError(_("%(name)s is on leave: give the reason.") % {"name": member.name}, field="attendance")
        rows.append(Attendance(meeting=meeting, member=member, presence=presence, reason=reason))
    present = {row.member_id for row in rows if row.presence == Presence.PRESENT}
    for field, person in (("chair", chair), ("recorder", recorder)):
        if person is not None and person.pk not in present:
            raise DomainError(_("Choose someone who was present."), field=field)
    meeting.held_on, meeting.chair, meeting.recorder = held_on, chair, recorder
    meeting.minutes = plain_text(minutes, field="minutes", limit=5000, required=False)
    meeting.decisions = plain_text(decisions, field="decisions", limit=2000, required=False)
    with changes.tracking(BranchMeeting, [meeting.pk]):
        meeting.save()
    Attendance.objects.bulk_create(rows)
    award_for_meeting(
        actor=actor, meeting=meeting, present=[m for m in members.values() if m.pk in present], now=timezone.now()
    )
    counts = {p: sum(1 for row in rows if row.presence == p) for p in Presence.values}
    audit.record("party.meeting_recorded", actor=actor, obj=meeting, detail=counts)
    return meeting


@transaction.atomic
def reply_to_meeting(
    *, actor: Any, scope: Scope, meeting: BranchMeeting, presence: str, reason: str = "", now: datetime | None = None
) -> MeetingReply:
    """A member answers for themself: signs in to their organisation's meeting on its day, or
    asks for leave before it with the reason; a later reply replaces the earlier one until the
    meeting is recorded. Refuses anyone not a current member of the organisation (forbidden),
    a recorded meeting ("meeting"), a sign-in on another day or a leave after it ("presence"),
    a leave without its reason ("reason")."""
    if not isinstance(scope, Scope):
        raise TypeError(f"an action's check needs a Scope, not {scope!r}: a viewer's, or system_scope(...)")
    member = membership_of(scope.user_id).filter(org=meeting.org_id).first()
    if member is None:
        raise DomainError(_("Only the organisation's members answer for themselves."), code="forbidden")
    if meeting.held_on is not None:
        raise DomainError(_("This meeting is recorded already."), field="meeting")
    now = now or timezone.now()
    today = timezone.localdate(now)
    if presence == MeetingReply.Presence.PRESENT:
        if today != meeting.planned_on:
            raise DomainError(_("Sign in on the day of the meeting."), field="presence")
        reason = ""
    elif presence == MeetingReply.Presence.LEAVE:
        if today > meeting.planned_on:
            raise DomainError(_("Leave is asked for before the meeting."), field="presence")
        reason = plain_text(
            reason, field="reason", limit=100, required=True, message=_("Give the reason for leave."), multiline=False
        )
    else:
        raise DomainError(_("Say whether you are here or ask for leave."), field="presence")
    reply, _created = MeetingReply.objects.update_or_create(
        meeting=meeting, member=member, defaults={"presence": presence, "reason": reason, "at": now}
    )
    audit.record("party.meeting_replied", actor=actor, obj=meeting, detail={"presence": presence})
    return reply


@dataclass(frozen=True)
class QuarterRow:
    org: PartyOrg
    held: dict[str, int]
    required: dict[str, int]

    @property
    def cells(self) -> list[tuple[int, int, bool]]:
        """(held, required, short) for each kind of meeting, in the order of the kinds."""
        return [
            (self.held.get(kind, 0), self.required.get(kind, 0), self.held.get(kind, 0) < self.required.get(kind, 0))
            for kind in Kind.values
        ]


def compliance(scope: Scope, start: date, end: date) -> list[QuarterRow]:
    """For each branch (and general branch) the viewer reaches that existed in the quarter
    `start`..`end`: the meetings held of each kind against the cadence (party group meetings
    only where the branch has groups). Two queries."""
    orgs = list(
        orgs_for(scope)
        .filter(kind__in=[PartyOrg.Kind.BRANCH, PartyOrg.Kind.GENERAL_BRANCH], founded_on__lte=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .annotate(groups=Count("children", filter=Q(children__kind=PartyOrg.Kind.GROUP), distinct=True))
        .order_by("area__path", "name")
    )
    held: dict[int, dict[str, int]] = {}
    counted = (
        BranchMeeting.objects.filter(org__in=orgs, held_on__gte=start, held_on__lte=end)
        .values("org_id", "kind")
        .annotate(n=Count("id"))
    )
    for row in counted:
        held.setdefault(row["org_id"], {})[row["kind"]] = row["n"]
    required = cadence()
    # Party group meetings are required of a branch that has party groups.
    without_groups = required | {Kind.GROUP: 0}
    return [
        QuarterRow(
            org=org, held=held.get(org.pk, {}), required=required if getattr(org, "groups", 0) else without_groups
        )
        for org in orgs
    ]
