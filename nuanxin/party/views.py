"""The console's party pages: the organisation tree, an organisation with its members, and the
forms that found an organisation and register a member (docs/party.md)."""

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.core import audit
from nuanxin.core.access import require, require_at
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.http import ScopedRequest
from nuanxin.party import actions, exports, life, queries
from nuanxin.party.forms import (
    AppointForm,
    CoverForm,
    FoundingForm,
    MeetingForm,
    MemberForm,
    OrgForm,
    RecordMeetingForm,
    RelieveForm,
    SurveyForm,
    TransferForm,
)
from nuanxin.party.models import FOUNDING, HOLDS_MEMBERS, Attendance, BranchMeeting, PartyOrg, TwoNewOrg
from nuanxin.territory.models import Area, Place


@login_required
def index(request: ScopedRequest) -> HttpResponse:
    """Every organisation the viewer reaches, as a tree, with its current members counted."""
    require(request.scope, "party.view")
    orgs = list(queries.orgs_for(request.scope))
    children: dict[int | None, list[PartyOrg]] = {}
    reached = {org.pk for org in orgs}
    for org in orgs:
        # An organisation whose parent the viewer does not reach starts a tree of its own.
        children.setdefault(org.parent_id if org.parent_id in reached else None, []).append(org)
    tree: list[tuple[PartyOrg, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for org in children.get(parent, []):
            tree.append((org, depth))
            walk(org.pk, depth + 1)

    walk(None, 0)
    return render(
        request,
        "party/index.html",
        {
            "tree": tree,
            "may_found": request.scope.has("party.manage"),
            "members": sum(getattr(org, "member_count", 0) for org in orgs),
        },
    )


@login_required
def org_detail(request: ScopedRequest, org_id: int) -> HttpResponse:
    require(request.scope, "party.view")
    org = queries.org_or_404(request.scope, org_id)
    return _org_page(request, org)


def _org_page(request: ScopedRequest, org: PartyOrg, **forms: Any) -> HttpResponse:
    may_manage = request.scope.has_at("party.manage", org.area.path)
    context = {
        "org": org,
        "rows": queries.member_rows(queries.members_of(request.scope, org)),
        "children": queries.orgs_for(request.scope).filter(parent=org),
        "may_manage": may_manage,
        "holds_members": org.kind in HOLDS_MEMBERS,
        "member_form": forms.get("member_form") or (MemberForm() if may_manage else None),
        "org_form": forms.get("org_form") or (_org_form(request) if may_manage else None),
        "meetings": org.meetings.all()[:12],
        "meeting_form": forms.get("meeting_form") or (MeetingForm() if may_manage else None),
        "offices": org.offices.select_related("member"),
    }
    if may_manage and org.kind in HOLDS_MEMBERS:
        current = queries.members_of(request.scope, org)
        held = org.offices.filter(until__isnull=True).select_related("member")
        context |= {
            "appoint_form": forms.get("appoint_form") or AppointForm(members=current),
            "relieve_form": forms.get("relieve_form") or (RelieveForm(offices=held) if held else None),
            "transfer_form": forms.get("transfer_form")
            or TransferForm(members=current, orgs=_transfer_targets(request, org)),
        }
    return render(request, "party/org.html", context, status=400 if forms else 200)


def _org_form(request: ScopedRequest, data: Any = None) -> OrgForm:
    return OrgForm(data, areas=queries.party_areas(request.scope))


@login_required
def new_committee(request: ScopedRequest) -> HttpResponse:
    """Found a community's party committee: the top of a tree."""
    require(request.scope, "party.manage")
    form = _org_form(request, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            org = _found(request, form, parent=None)
            if org is not None:
                return redirect("party:org", org.pk)
    return render(request, "party/new_committee.html", {"form": form}, status=status)


@login_required
@require_POST
def new_child(request: ScopedRequest, org_id: int) -> HttpResponse:
    """Found an organisation under this one (POST from the organisation's page)."""
    parent = _managed_org(request, org_id)
    form = _org_form(request, request.POST)
    if form.is_valid():
        org = _found(request, form, parent=parent)
        if org is not None:
            return redirect("party:org", org.pk)
    return _org_page(request, parent, org_form=form)


def _found(request: ScopedRequest, form: OrgForm, *, parent: PartyOrg | None) -> PartyOrg | None:
    area = queries.party_areas(request.scope).filter(pk=form.cleaned_data["area"]).first()
    if area is None:
        form.add_error("area", _("Choose an area where you keep party work."))
        return None
    try:
        org = actions.create_org(
            actor=request.user,
            scope=request.scope,
            name=form.cleaned_data["name"],
            kind=form.cleaned_data["kind"],
            area=area,
            founded_on=form.cleaned_data["founded_on"],
            parent=parent,
        )
    except DomainError as error:
        show_on_form(form, error)
        return None
    messages.success(request, _("%(name)s is founded.") % {"name": org.name})
    return org


@login_required
@require_POST
def new_member(request: ScopedRequest, org_id: int) -> HttpResponse:
    """Register a member with this organisation (POST from the organisation's page)."""
    org = _managed_org(request, org_id)
    form = MemberForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            member = actions.register_member(
                actor=request.user,
                scope=request.scope,
                org=org,
                name=data["name"],
                phone=data["phone"],
                standing=data["standing"],
                status=data["status"],
                since=data["since"],
                joined_party_on=data["joined_party_on"],
                origin=data["origin"],
                card_number=data["card_number"],
                workplace=data["workplace"],
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": member.name})
            return redirect("party:org", org.pk)
    return _org_page(request, org, member_form=form)


# --- two-new coverage -----------------------------------------------------------------------


@login_required
def two_new_list(request: ScopedRequest) -> HttpResponse:
    """The survey register of two-new organisations, with the coverage of the viewer's
    topmost node today and the branches founded this year."""
    require(request.scope, "party.view")
    today = timezone.localdate()
    node = Area.objects.filter(request.scope.q("party.view", "path")).order_by("path").first()
    figures = queries.coverage(request.scope, node, today.replace(month=1, day=1), today) if node else None
    return render(
        request,
        "party/two_new_list.html",
        {
            "rows": queries.two_new_for(request.scope).order_by("coverage", "place__name"),
            "node": node,
            "figures": figures,
            "year": today.year,
            "may_survey": request.scope.has("party.manage"),
        },
    )


def _survey_places(request: ScopedRequest) -> Any:
    return (
        Place.objects.filter(request.scope.q("party.manage", "grid__path"), kind__in=actions.TWO_NEW_PLACES)
        .exclude(two_new__isnull=False)
        .order_by("name")
    )


@login_required
def two_new_survey(request: ScopedRequest) -> HttpResponse:
    require(request.scope, "party.manage")
    places = _survey_places(request)
    form = SurveyForm(request.POST if request.method == "POST" else None, places=places)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = actions.survey_two_new(
                    actor=request.user,
                    scope=request.scope,
                    place=places.filter(pk=data["place"]).first(),
                    kind=data["kind"],
                    employees=data["employees"],
                    full_members=data["full_members"],
                    probationary_members=data["probationary_members"],
                    mobile_members=data["mobile_members"],
                    surveyed_on=data["surveyed_on"],
                )
            except DomainError as error:
                show_on_form(form, error)
            else:
                messages.success(request, _("%(name)s is in the survey register.") % {"name": record.place.name})
                return redirect("party:two_new", record.pk)
    return render(request, "party/two_new_survey.html", {"form": form}, status=status)


def _branches(request: ScopedRequest) -> Any:
    return queries.orgs_for(request.scope).filter(kind=PartyOrg.Kind.BRANCH, ended_on__isnull=True)


@login_required
def two_new_detail(request: ScopedRequest, record_id: int) -> HttpResponse:
    require(request.scope, "party.view")
    return _two_new_page(request, queries.two_new_or_404(request.scope, record_id))


def _two_new_page(request: ScopedRequest, record: TwoNewOrg, **forms: Any) -> HttpResponse:
    may_manage = request.scope.has_at("party.manage", record.place.grid.path)
    open_ = record.coverage != TwoNewOrg.Coverage.OWN_BRANCH
    context = {
        "record": record,
        "steps": [(stage.label, getattr(record, field)) for stage, field in FOUNDING],
        "cover_form": forms.get("cover_form")
        or (CoverForm(branches=_branches(request)) if may_manage and open_ else None),
        "founding_form": forms.get("founding_form") or (FoundingForm() if may_manage and open_ else None),
    }
    return render(request, "party/two_new.html", context, status=400 if forms else 200)


@login_required
@require_POST
def two_new_cover(request: ScopedRequest, record_id: int) -> HttpResponse:
    require(request.scope, "party.view")
    record = queries.two_new_or_404(request.scope, record_id)
    require_at(request.scope, "party.manage", record, record.place.grid.path)
    branches = _branches(request)
    form = CoverForm(request.POST, branches=branches)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.cover_two_new(
                actor=request.user,
                scope=request.scope,
                record=record,
                coverage=data["coverage"],
                on=data["on"],
                branch=branches.filter(pk=data["branch"]).first() if data["branch"] else None,
                instructor=data["instructor"],
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("Coverage recorded."))
            return redirect("party:two_new", record.pk)
    return _two_new_page(request, record, cover_form=form)


@login_required
@require_POST
def two_new_advance(request: ScopedRequest, record_id: int) -> HttpResponse:
    require(request.scope, "party.view")
    record = queries.two_new_or_404(request.scope, record_id)
    require_at(request.scope, "party.manage", record, record.place.grid.path)
    form = FoundingForm(request.POST)
    if form.is_valid():
        try:
            actions.advance_founding(
                actor=request.user,
                scope=request.scope,
                record=record,
                stage=form.cleaned_data["stage"],
                on=form.cleaned_data["on"],
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("Founding stage recorded."))
            return redirect("party:two_new", record.pk)
    return _two_new_page(request, record, founding_form=form)


# --- organisational life --------------------------------------------------------------------


@login_required
@require_POST
def plan_meeting(request: ScopedRequest, org_id: int) -> HttpResponse:
    org = _managed_org(request, org_id)
    form = MeetingForm(request.POST)
    if form.is_valid():
        try:
            meeting = life.plan_meeting(actor=request.user, scope=request.scope, org=org, **form.cleaned_data)
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("The meeting is planned."))
            return redirect("party:meeting", meeting.pk)
    return _org_page(request, org, meeting_form=form)


@login_required
def meeting_detail(request: ScopedRequest, meeting_id: int) -> HttpResponse:
    require(request.scope, "party.view")
    meeting = queries.meeting_or_404(request.scope, meeting_id)
    return _meeting_page(request, meeting)


def _meeting_page(request: ScopedRequest, meeting: BranchMeeting, form: Any = None, sent: Any = None) -> HttpResponse:
    may_record = meeting.held_on is None and request.scope.has_at("party.manage", meeting.org.area.path)
    members = list(life.members_on(meeting.org, timezone.localdate()).values()) if may_record else []
    # what was sent, else what the member replied (signed in, on leave), else present
    shown = {r.member_id: (r.presence, r.reason) for r in meeting.replies.all()} if may_record else {}
    shown |= sent or {}
    context = {
        "meeting": meeting,
        "attendance": meeting.attendance.select_related("member").order_by("member__name") if meeting.held_on else [],
        "form": form or (RecordMeetingForm(members=members) if may_record else None),
        "rows": [
            {"member": m, "presence": shown.get(m.pk, ("present", ""))[0], "reason": shown.get(m.pk, ("", ""))[1]}
            for m in members
        ],
        "presences": Attendance.Presence.choices,
    }
    return render(request, "party/meeting.html", context, status=400 if form is not None else 200)


@login_required
@require_POST
def record_meeting(request: ScopedRequest, meeting_id: int) -> HttpResponse:
    require(request.scope, "party.view")
    meeting = queries.meeting_or_404(request.scope, meeting_id)
    require_at(request.scope, "party.manage", meeting, meeting.org.area.path)
    members = life.members_on(meeting.org, timezone.localdate())
    form = RecordMeetingForm(request.POST, members=members.values())
    sent: dict[int, tuple[str, str]] = {
        int(key[2:]): (str(request.POST.get(key, "")), str(request.POST.get(f"r-{key[2:]}", "")))
        for key in request.POST
        if key.startswith("p-") and key[2:].isdigit() and len(key) < 14
    }
    if form.is_valid():
        data = form.cleaned_data
        known = life.members_on(meeting.org, data["held_on"]) | members
        try:
            life.record_meeting(
                actor=request.user,
                scope=request.scope,
                meeting=meeting,
                held_on=data["held_on"],
                attendance=sent,
                chair=known.get(data["chair"]) if data["chair"] else None,
                recorder=known.get(data["recorder"]) if data["recorder"] else None,
                minutes=data["minutes"],
                decisions=data["decisions"],
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("The meeting is recorded."))
            return redirect("party:meeting", meeting.pk)
    return _meeting_page(request, meeting, form=form, sent=sent)


@login_required
def life_quarter(request: ScopedRequest) -> HttpResponse:
    """Each branch's meetings in a quarter against the cadence (`?quarter=2024-3`)."""
    require(request.scope, "party.view")
    today = timezone.localdate()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    error = ""
    asked = request.GET.get("quarter", "").strip()
    if asked:
        parts = asked.split("-")
        if (
            len(parts) == 2
            and parts[0].isdigit()
            and parts[1] in "1234"
            and len(parts[1]) == 1
            and 2000 <= int(parts[0]) <= 2100
        ):
            year, quarter = int(parts[0]), int(parts[1])
        else:
            error = _("Enter a quarter as YYYY-Q, such as 2024-3.")
    start = date(year, 3 * quarter - 2, 1)
    end = (date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)) - timedelta(days=1)
    return render(
        request,
        "party/life.html",
        {
            "rows": life.compliance(request.scope, start, end),
            "kinds": BranchMeeting.Kind.choices,
            "quarter": f"{year}-{quarter}",
            "start": start,
            "end": end,
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
def members_export(request: ScopedRequest, org_id: int) -> HttpResponse:
    """The organisation's current members as a spreadsheet, phones masked; audited."""
    require(request.scope, "party.view")
    org = queries.org_or_404(request.scope, org_id)
    members = queries.members_of(request.scope, org)
    response = exports.members_sheet(org.name, members)
    audit.record("party.members_exported", actor=request.user, obj=org, detail={"rows": members.count()})
    return response


def _transfer_targets(request: ScopedRequest, org: PartyOrg) -> Any:
    """The organisations a member of `org` may move to: those the viewer keeps that hold members."""
    return (
        PartyOrg.objects.filter(
            request.scope.q("party.manage", "area__path"), kind__in=HOLDS_MEMBERS, ended_on__isnull=True
        )
        .exclude(pk=org.pk)
        .order_by("area__path", "name")
    )


def _managed_org(request: ScopedRequest, org_id: int) -> PartyOrg:
    """The organisation, for a viewer who keeps party work there (else 404, audited)."""
    require(request.scope, "party.view")
    org = queries.org_or_404(request.scope, org_id)
    require_at(request.scope, "party.manage", org, org.area.path)
    return org


@login_required
@require_POST
def appoint(request: ScopedRequest, org_id: int) -> HttpResponse:
    """A member takes an office (POST from the organisation's page)."""
    org = _managed_org(request, org_id)
    members = queries.members_of(request.scope, org)
    form = AppointForm(request.POST, members=members)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.appoint(
                actor=request.user,
                scope=request.scope,
                org=org,
                member=members.get(pk=data["member"]),
                office=data["office"],
                since=data["since"],
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("The office is recorded."))
            return redirect("party:org", org.pk)
    return _org_page(request, org, appoint_form=form)


@login_required
@require_POST
def relieve(request: ScopedRequest, org_id: int) -> HttpResponse:
    org = _managed_org(request, org_id)
    held = org.offices.filter(until__isnull=True).select_related("member")
    form = RelieveForm(request.POST, offices=held)
    if form.is_valid():
        try:
            actions.relieve(
                actor=request.user,
                scope=request.scope,
                held=held.get(pk=form.cleaned_data["held"]),
                until=form.cleaned_data["until"],
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("The office has ended."))
            return redirect("party:org", org.pk)
    return _org_page(request, org, relieve_form=form)


@login_required
@require_POST
def transfer(request: ScopedRequest, org_id: int) -> HttpResponse:
    """Move a member's relationship to another organisation (POST from the organisation's page)."""
    org = _managed_org(request, org_id)
    members = queries.members_of(request.scope, org)
    targets = _transfer_targets(request, org)
    form = TransferForm(request.POST, members=members, orgs=targets)
    if form.is_valid():
        data = form.cleaned_data
        try:
            moved = actions.transfer_member(
                actor=request.user,
                scope=request.scope,
                member=members.get(pk=data["member"]),
                to=targets.get(pk=data["to"]),
                on=data["on"],
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(
                request, _("%(name)s now belongs to %(org)s.") % {"name": moved.name, "org": moved.org.name}
            )
            return redirect("party:org", org.pk)
    return _org_page(request, org, transfer_form=form)
