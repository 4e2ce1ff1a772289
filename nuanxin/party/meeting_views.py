"""The pages of joint meetings and their resolution tasks (docs/party.md): the meetings of the
alliance, one meeting (agenda, who signed in, minutes, resolutions; the QR code, the
invitation, the minutes as Word and PDF), the sign-in page the QR code opens, and the tasks
with their milestones and progress reports."""

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.accounts.models import User
from nuanxin.core import audit
from nuanxin.core.access import deny
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.http import ScopedRequest
from nuanxin.core.photos import photo_response
from nuanxin.party import access, exports, meetings, minutes, queries
from nuanxin.party.forms import AttendanceByHandForm, HoldForm, JointMeetingForm, ReportForm, ResolutionForm, VerifyForm
from nuanxin.party.models import AllianceUnit, JointMeeting, Need, PartyOrg, ProgressReport, Task


def _refuse_unless(request: ScopedRequest, allowed: bool, what: str) -> None:
    if not allowed:
        raise deny(request.scope, what)


# --- the meetings ---------------------------------------------------------------------------


def _plan_form(request: ScopedRequest, data: Any = None) -> JointMeetingForm:
    committees = queries.managed_committees(request.scope)
    needs = Need.objects.filter(committee__in=committees, state__in=(Need.State.OPEN, Need.State.CLAIMED))
    return JointMeetingForm(data, committees=committees, needs=needs.order_by("-raised_on")[:100])


@login_required
def meeting_list(request: ScopedRequest, plan_form: JointMeetingForm | None = None) -> HttpResponse:
    _refuse_unless(request, queries.sees_alliance(request.scope), "party joint meetings")
    may_plan = queries.managed_committees(request.scope).exists()
    context = {
        "meetings": queries.joint_meetings_for(request.scope)[:100],
        "plan_form": plan_form or (_plan_form(request) if may_plan else None),
    }
    return render(request, "party/joint_meetings.html", context, status=400 if plan_form else 200)


@login_required
@require_POST
def plan(request: ScopedRequest) -> HttpResponse:
    _refuse_unless(request, queries.managed_committees(request.scope).exists(), "party.manage joint meetings")
    form = _plan_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        committee = queries.managed_committees(request.scope).get(pk=data["committee"])  # among the choices
        agenda = [meetings.AgendaIn(line.strip()) for line in data["agenda"].splitlines() if line.strip()]
        agenda += [meetings.AgendaIn("", need=need) for need in Need.objects.filter(pk__in=data["needs"])]
        try:
            meeting = meetings.plan_joint_meeting(
                actor=request.user,
                scope=request.scope,
                committee=committee,
                kind=data["kind"],
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                location=data["location"],
                agenda=agenda,
            )
        except DomainError as error:
            show_on_form(form, error, field="agenda" if (error.field or "").startswith("agenda") else None)
        else:
            messages.success(request, _("The meeting is planned."))
            return redirect("party:joint_meeting", meeting.pk)
    return meeting_list(request, plan_form=form)


def _expected_people(meeting: JointMeeting) -> list[tuple[int, str]]:
    """Whom the office may record by hand: the member units' representatives and the office."""
    places = AllianceUnit.objects.filter(committee=meeting.committee, left_on__isnull=True).values("place_id")
    reps = User.objects.filter(role_grants__role="partner_rep", role_grants__unit_id__in=places, is_active=True)
    people = {u.pk: u for u in reps.distinct()} | {u.pk: u for u in meetings.office_people(meeting.committee)}
    return sorted(((pk, u.display_name or u.username) for pk, u in people.items()), key=lambda pair: pair[1])


def _owners(meeting: JointMeeting) -> list[tuple[str, str]]:
    committee = meeting.committee
    units = AllianceUnit.objects.filter(committee=committee, left_on__isnull=True).select_related("place")
    branches = PartyOrg.objects.filter(parent=committee, ended_on__isnull=True)
    return (
        [(f"unit:{u.pk}", u.place.name) for u in units]
        + [(f"branch:{b.pk}", b.name) for b in branches]
        + [(f"user:{u.pk}", u.display_name or u.username) for u in meetings.office_people(committee)]
    )


@login_required
def meeting_detail(request: ScopedRequest, meeting_id: int, **forms: Any) -> HttpResponse:
    meeting = queries.joint_meeting_or_404(request.scope, meeting_id)
    manages = access.manages(request.scope, meeting.committee)
    begun = timezone.now() >= meeting.starts_at
    context = {
        "meeting": meeting,
        "agenda": meeting.agenda.select_related("need", "case"),
        "attendance": meeting.attendance.select_related("user", "unit__place"),
        "tasks": meeting.tasks.select_related("owner_unit__place", "owner_branch", "owner_user"),
        "manages": manages,
        "attend_form": forms.get("attend_form")
        or (AttendanceByHandForm(people=_expected_people(meeting)) if manages else None),
        "hold_form": forms.get("hold_form") or (HoldForm() if manages and begun and not meeting.held else None),
        "resolution_form": forms.get("resolution_form")
        or (ResolutionForm(owners=_owners(meeting), items=meeting.agenda.all()) if manages and begun else None),
        "today": timezone.localdate(),
    }
    return render(request, "party/joint_meeting.html", context, status=400 if forms else 200)


@login_required
def qr(request: ScopedRequest, meeting_id: int) -> HttpResponse:
    """The meeting's sign-in code, to show on the screen at the door or print."""
    meeting = queries.joint_meeting_or_404(request.scope, meeting_id)
    _refuse_unless(
        request, access.manages(request.scope, meeting.committee), f"party.manage joint meeting {meeting.pk}"
    )
    url = request.build_absolute_uri(reverse("party:joint_sign_in", args=[meetings.sign_in_code(meeting)]))
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2, omitsize=False)
    return render(request, "party/joint_qr.html", {"meeting": meeting, "url": url, "svg": svg})


def sign_in(request: ScopedRequest, token: str) -> HttpResponse:
    """The page the meeting's QR code opens: one tap signs in, for the unit one speaks for."""
    try:
        meeting = meetings.meeting_for_code(token)
    except DomainError as invalid:
        return render(request, "party/joint_sign_in.html", {"error": invalid.message}, status=400)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    attendance = meeting.attendance.filter(user=request.user).first()
    error, status = "", 200
    if request.method == "POST":
        try:
            attendance = meetings.sign_in(actor=request.user, scope=request.scope, meeting=meeting)
        except DomainError as refused:
            error, status = refused.message, 403
        else:
            messages.success(request, _("Signed in. Welcome!"))
            return redirect("party:joint_sign_in", token)
    context = {
        "meeting": meeting,
        "attendance": attendance,
        "unit": meetings.unit_of(request.scope, meeting),
        "error": error,
        "token": token,
    }
    return render(request, "party/joint_sign_in.html", context, status=status)


@login_required
@require_POST
def attend_by_hand(request: ScopedRequest, meeting_id: int) -> HttpResponse:
    meeting = queries.joint_meeting_or_404(request.scope, meeting_id)
    _refuse_unless(
        request, access.manages(request.scope, meeting.committee), f"party.manage joint meeting {meeting.pk}"
    )
    form = AttendanceByHandForm(request.POST, people=_expected_people(meeting))
    if form.is_valid():
        try:
            meetings.record_attendance(
                actor=request.user,
                scope=request.scope,
                meeting=meeting,
                user=User.objects.get(pk=form.cleaned_data["user"]),  # among the choices
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("Attendance recorded."))
            return redirect("party:joint_meeting", meeting.pk)
    return meeting_detail(request, meeting_id, attend_form=form)


@login_required
@require_POST
def hold(request: ScopedRequest, meeting_id: int) -> HttpResponse:
    meeting = queries.joint_meeting_or_404(request.scope, meeting_id)
    _refuse_unless(
        request, access.manages(request.scope, meeting.committee), f"party.manage joint meeting {meeting.pk}"
    )
    form = HoldForm(request.POST)
    if form.is_valid():
        try:
            meetings.hold_meeting(
                actor=request.user, scope=request.scope, meeting=meeting, minutes=form.cleaned_data["minutes"]
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("The meeting is recorded."))
            return redirect("party:joint_meeting", meeting.pk)
    return meeting_detail(request, meeting_id, hold_form=form)


def _owner_of(meeting: JointMeeting, value: str) -> dict[str, Any]:
    """The owner a form's "kind:id" names, among the meeting's choices."""
    kind, _sep, pk = value.partition(":")
    if kind == "unit":
        return {"owner_unit": AllianceUnit.objects.get(pk=int(pk), committee=meeting.committee)}
    if kind == "branch":
        return {"owner_branch": PartyOrg.objects.get(pk=int(pk), parent=meeting.committee)}
    return {"owner_user": User.objects.get(pk=int(pk))}


@login_required
@require_POST
def resolve(request: ScopedRequest, meeting_id: int) -> HttpResponse:
    """Record a resolution of the meeting as a task."""
    meeting = queries.joint_meeting_or_404(request.scope, meeting_id)
    _refuse_unless(
        request, access.manages(request.scope, meeting.committee), f"party.manage joint meeting {meeting.pk}"
    )
    form = ResolutionForm(request.POST, owners=_owners(meeting), items=meeting.agenda.all())
    if form.is_valid():
        data = form.cleaned_data
        try:
            meetings.add_resolution(
                actor=request.user,
                scope=request.scope,
                meeting=meeting,
                title=data["title"],
                deadline=data["deadline"],
                agenda_item=meeting.agenda.filter(pk=data["agenda_item"]).first() if data["agenda_item"] else None,
                milestones=[meetings.MilestoneIn(title, due) for title, due in data["milestones"]],
                **_owner_of(meeting, data["owner"]),
            )
        except DomainError as error:
            show_on_form(form, error, field="milestones" if (error.field or "").startswith("milestones") else None)
        else:
            messages.success(request, _("The resolution is assigned."))
            return redirect("party:joint_meeting", meeting.pk)
    return meeting_detail(request, meeting_id, resolution_form=form)


@login_required
def invitation(request: ScopedRequest, meeting_id: int) -> HttpResponse:
    """The meeting as an iCalendar file, for whoever sees the meeting."""
    meeting = queries.joint_meeting_or_404(request.scope, meeting_id)
    url = request.build_absolute_uri(reverse("party:joint_meeting", args=[meeting.pk]))
    body = minutes.invitation_ics(meeting, url=url, host=request.get_host().split(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


@login_required
def minutes_file(request: ScopedRequest, meeting_id: int, fmt: str) -> HttpResponseBase:
    """The minutes as Word or PDF, for whoever sees the meeting; each download is audited."""
    meeting = queries.joint_meeting_or_404(request.scope, meeting_id)
    if fmt == "docx":
        body, content_type = (
            minutes.render_docx(meeting),
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        )
    else:
        body, content_type = minutes.render_pdf(meeting), "application/pdf"
    audit.record("party.minutes_downloaded", actor=request.user, obj=meeting, detail={"format": fmt})
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="minutes-{meeting.pk}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the tasks ------------------------------------------------------------------------------


@login_required
def task_list(request: ScopedRequest) -> HttpResponse:
    """The resolution tasks the viewer reaches: under way (overdue first), to verify, done."""
    tasks = queries.tasks_for(request.scope)
    state = request.GET.get("state", "")
    if state in Task.State.values:
        tasks = tasks.filter(state=state)
    return render(
        request,
        "party/tasks.html",
        {
            "tasks": tasks.order_by("state", "deadline", "id")[:200],
            "state": state,
            "states": Task.State.choices,
            "today": timezone.localdate(),
        },
    )


@login_required
def task_detail(request: ScopedRequest, task_id: int, **forms: Any) -> HttpResponse:
    task = queries.task_or_404(request.scope, task_id)
    manages = access.manages(request.scope, task.meeting.committee)
    open_ = task.state != Task.State.VERIFIED
    context = {
        "task": task,
        "reports": task.reports.select_related("by"),
        "milestones": task.milestones.all(),
        "manages": manages,
        "report_form": forms.get("report_form")
        or (
            ReportForm(milestones=task.milestones.filter(done_on__isnull=True), initial={"progress": task.progress})
            if open_ and meetings.may_report(request.scope, request.user, task)
            else None
        ),
        "verify_form": forms.get("verify_form")
        or (VerifyForm() if manages and task.state == Task.State.FINISHED else None),
        "may_publish": manages and task.state == Task.State.VERIFIED and task.published_at is None,
        "today": timezone.localdate(),
    }
    return render(request, "party/task.html", context, status=400 if forms else 200)


@login_required
@require_POST
def report(request: ScopedRequest, task_id: int) -> HttpResponse:
    task = queries.task_or_404(request.scope, task_id)
    _refuse_unless(request, meetings.may_report(request.scope, request.user, task), f"party task {task.pk} report")
    form = ReportForm(request.POST, request.FILES, milestones=task.milestones.filter(done_on__isnull=True))
    if form.is_valid():
        data = form.cleaned_data
        try:
            meetings.report_progress(
                actor=request.user,
                scope=request.scope,
                task=task,
                note=data["note"],
                progress=data["progress"],
                photo=data["photo"],
                milestones_done=data.get("milestones", []),
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("Progress reported."))
            return redirect("party:task", task.pk)
    return task_detail(request, task_id, report_form=form)


@login_required
@require_POST
def verify(request: ScopedRequest, task_id: int) -> HttpResponse:
    task = queries.task_or_404(request.scope, task_id)
    _refuse_unless(request, access.manages(request.scope, task.meeting.committee), f"party.manage task {task.pk}")
    form = VerifyForm(request.POST)
    if form.is_valid():
        try:
            meetings.verify_task(
                actor=request.user,
                scope=request.scope,
                task=task,
                accepted=form.cleaned_data["accepted"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("The verification is recorded."))
            return redirect("party:task", task.pk)
    return task_detail(request, task_id, verify_form=form)


@login_required
@require_POST
def publish(request: ScopedRequest, task_id: int) -> HttpResponse:
    task = queries.task_or_404(request.scope, task_id)
    _refuse_unless(request, access.manages(request.scope, task.meeting.committee), f"party.manage task {task.pk}")
    try:
        meetings.publish_task(actor=request.user, scope=request.scope, task=task)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The result is published."))
    return redirect("party:task", task.pk)


@login_required
def report_photo(request: ScopedRequest, task_id: int, report_id: int) -> HttpResponseBase:
    """A progress report's photo, for whoever sees the task."""
    task = queries.task_or_404(request.scope, task_id)
    row = ProgressReport.objects.filter(task=task, pk=report_id).exclude(photo_name="").first()
    if row is None:
        raise deny(request.scope, f"party task {task.pk} report {report_id} photo")
    return photo_response(row.photo_name)


@login_required
def tasks_export(request: ScopedRequest) -> HttpResponse:
    """The resolution tasks the viewer reaches, as a spreadsheet; audited."""
    tasks = list(queries.tasks_for(request.scope).order_by("deadline", "id"))
    response = exports.tasks_sheet(tasks)
    audit.record("party.tasks_exported", actor=request.user, detail={"rows": len(tasks)})
    return response
