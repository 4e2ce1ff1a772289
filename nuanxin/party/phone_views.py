"""The party pages on a phone (docs/party.md): a member's own branch, its meetings to sign in
to or ask leave from, their 报到 service, tasks and points; a member unit's representative's
pacts with what was delivered, their tasks and the alliance's meetings and needs."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.core.access import deny
from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.party import alliance, life, points, queries
from nuanxin.party.models import (
    AllianceUnit,
    Attendance,
    BranchMeeting,
    MeetingReply,
    Need,
    OrgOffice,
    PartyMember,
    PartyPointsEntry,
    PartyPointsRule,
    Task,
)

Source = PartyPointsRule.Source


def _member_or_404(request: ScopedRequest) -> PartyMember:
    member = queries.membership_of(request.user.pk).select_related("org__area", "org__secretary").first()
    if member is None:
        raise deny(request.scope, "party member's page")
    return member


@login_required
def member_home(request: ScopedRequest, refused: tuple[int, DomainError] | None = None) -> HttpResponse:
    """My branch: its offices, the meetings coming (sign in on the day, or ask for leave), my
    presence at the last ones, my 报到 service this year, my tasks and my points. `refused`: a
    reply refused, shown at that meeting's form."""
    member = _member_or_404(request)
    today = timezone.localdate()
    org = member.org
    coming = queries.meetings_coming(member, today)
    service = PartyPointsEntry.objects.filter(
        member=member, source__in=(Source.SERVICE, Source.REPORTING), day__year=today.year
    ).aggregate(services=Count("reference", distinct=True), points=Sum("points"))
    context = {
        "member": member,
        "org": org,
        "offices": OrgOffice.objects.filter(org=org, until__isnull=True).select_related("member"),
        "coming": coming,
        "held": Attendance.objects.filter(member=member, meeting__held_on__isnull=False)
        .select_related("meeting")
        .order_by("-meeting__held_on")[:5],
        "reporting": member.status == PartyMember.Status.REPORTING,
        "service": service,
        "tasks": queries.tasks_of_member(request.scope, member),
        "balance": points.balance(PartyPointsEntry.objects.filter(member=member)),
        # the secretary sees the organisation's members' points
        "branch_points": (
            org.members.filter(left_on__isnull=True)
            .annotate(total=Sum("points_entries__points"))
            .order_by("-total", "name", "id")
            if org.secretary_id == member.pk
            else None
        ),
        "today": today,
        "refused": refused,
        "refused_elsewhere": refused is not None and refused[0] not in {meeting.pk for meeting, _reply in coming},
    }
    return render(request, "party/phone/member.html", context, status=400 if refused else 200)


@login_required
@require_POST
def reply(request: ScopedRequest, meeting_id: int) -> HttpResponse:
    """A member signs in to their branch's meeting, or asks for leave; back to their page."""
    member = _member_or_404(request)
    meeting = BranchMeeting.objects.filter(pk=meeting_id, org=member.org).first()
    if meeting is None:
        raise deny(request.scope, f"party meeting id={meeting_id} reply")
    presence = str(request.POST.get("presence", ""))
    try:
        life.reply_to_meeting(
            actor=request.user,
            scope=request.scope,
            meeting=meeting,
            presence=presence,
            reason=str(request.POST.get("reason", "")),
        )
    except DomainError as error:
        return member_home(request, refused=(meeting.pk, error))
    done = _("You are signed in.") if presence == MeetingReply.Presence.PRESENT else _("Your leave is noted.")
    messages.success(request, done)
    return redirect("party:me")


@login_required
def unit_home(request: ScopedRequest) -> HttpResponse:
    """Our pact: for each alliance unit the viewer speaks for, the pacts in force with what was
    committed by today and delivered, our resolution tasks, the alliance's meetings to come
    and its open needs."""
    units = list(
        AllianceUnit.objects.filter(place_id__in=request.scope.unit_ids, left_on__isnull=True).select_related(
            "place", "committee__area"
        )
    )
    if not units:
        raise deny(request.scope, "alliance unit's page")
    now = timezone.now()
    today = timezone.localdate(now)
    committees = {unit.committee_id for unit in units}
    pacts: list[dict[str, Any]] = [
        {"pact": pact, "rows": alliance.standing(pact, today)}
        for unit in units
        for pact in unit.pacts.filter(starts_on__lte=today, ends_on__gte=today).order_by("starts_on", "id")
    ]
    context = {
        "units": units,
        "pacts": pacts,
        "tasks": queries.tasks_for(request.scope)
        .filter(owner_unit__in=units)
        .exclude(state=Task.State.VERIFIED)
        .order_by("deadline", "id"),
        "meetings": queries.joint_meetings_for(request.scope)
        .filter(committee_id__in=committees, ends_at__gte=now)
        .order_by("starts_at", "id")[:3],
        "open_needs": queries.needs_for(request.scope)
        .filter(committee_id__in=committees, state=Need.State.OPEN)
        .count(),
        "today": today,
        "now": now,
    }
    return render(request, "party/phone/unit.html", context)
