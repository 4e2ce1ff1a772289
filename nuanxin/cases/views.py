"""Case pages for reporters: the phone report page, their cases, and a case's progress."""

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nuanxin.accounts.models import User
from nuanxin.accounts.views import login_or_bearer_required
from nuanxin.cases import actions, follow_links
from nuanxin.cases.filters import CaseFilters
from nuanxin.cases.forms import AsksClassQuestions, EvaluateForm, ReportForm, StepNoteForm
from nuanxin.cases.models import Case, CasePhoto, Level
from nuanxin.cases.overview_views import filter_context
from nuanxin.cases.queries import (
    Pages,
    Suggestion,
    case_or_404,
    follow_offers,
    is_staff_viewer,
    my_cases,
    public_point,
    public_timeline,
    sees_whole_case,
    similar_open_cases,
    surviving_case,
    territory_cases,
    timeline_for,
)
from nuanxin.core import maps, ratelimit
from nuanxin.core.access import require
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.http import ScopedRequest
from nuanxin.core.idempotency import idempotent_form
from nuanxin.core.masking import mask_name
from nuanxin.core.offline import kept_offline
from nuanxin.core.photos import photo_response
from nuanxin.territory.models import Area
from nuanxin.territory.queries import map_centre, staff_on, working_areas

# Shown at once for emergencies: fire, police, ambulance.
EMERGENCY_NUMBERS = (
    ("119", gettext_lazy("Fire")),
    ("110", gettext_lazy("Police")),
    ("120", gettext_lazy("Ambulance")),
)


def report_form_error(form: AsksClassQuestions, exc: DomainError, *, location_field: str) -> None:
    """Show a refusal of report_case at the form field it concerns (the location at
    `location_field`, an extra question at its own field in the chosen class's group)."""
    field = {"location": location_field, "category": "case_class"}.get(exc.field or "", exc.field)
    if field and field.startswith("attribute["):
        if form.questions.add_error(form.chosen_class(), field, exc.message):
            return
        field = None
    show_on_form(form, exc, field=field)


def report_from_form(
    request: ScopedRequest, form: Any, *, location_field: str, **given: Any
) -> tuple[Case | None, str]:
    """`report_case` by the signed-in user with what a report form holds (its class, words,
    answers, address and reporter, the request's photos), `given` (channel, location, place)
    added or put first. On a refusal, (None, the photo's message) for a photo, else the
    message is put at its field on the form (the location's at `location_field`)."""
    values = {
        "description": form.cleaned_data["description"],
        "address": form.cleaned_data["address"],
        "reporter_name": form.cleaned_data["reporter_name"],
        "reporter_phone": form.cleaned_data["reporter_phone"],
        "anonymous": form.cleaned_data["anonymous"],
    } | given
    try:
        case = actions.report_case(
            actor=request.user,
            case_class=form.chosen_class(),
            answers=form.answers(),
            photos=request.FILES.getlist("photos"),
            **values,
        )
    except DomainError as exc:
        if exc.field == "photos":
            return None, exc.message
        report_form_error(form, exc, location_field=location_field)
        return None, ""
    return case, ""


@kept_offline
@idempotent_form
def report(request: ScopedRequest) -> HttpResponse:
    """Report in under a minute: category, a few words, photos, the phone's location. Anyone
    may: a signed-in reporter follows the case and lands on its page; a visitor without an
    account (limited per address and per device, refused by the honeypot if a bot fills it)
    lands on the case's follow link, the one way back to it. A visitor who gives neither a
    name nor a phone reports anonymously."""
    form = ReportForm(request.POST or None)
    photo_error = ""
    signed_in = request.user.is_authenticated
    if request.method == "POST" and form.is_valid():
        ratelimit.limit_report(request)
        data = form.cleaned_data
        case, photo_error = report_from_form(
            request,
            form,
            location_field="lat",
            channel=Case.Channel.PHONE_PAGE,
            lng=data["lng"],
            lat=data["lat"],
            anonymous=data["anonymous"] or not (signed_in or data["reporter_name"] or data["reporter_phone"]),
        )
        if case is not None:
            messages.success(
                request, _("Thank you. Your report %(number)s is with the grid.") % {"number": case.number}
            )
            if not signed_in:
                return redirect("cases:follow_link", follow_links.follow_link_token(case))
            return redirect("cases:detail", case.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "cases/report.html",
        {
            "form": form,
            "photo_error": photo_error,
            "emergency_numbers": EMERGENCY_NUMBERS,
            "emergency_codes": form.emergency_codes(),
            "signed_in": signed_in,
            "map_centre": map_centre(request.scope),
        },
        status=status,
    )


@login_required
@kept_offline
def mine(request: ScopedRequest) -> HttpResponse:
    """The cases this person reported or follows."""
    cases = my_cases(request.scope)[:100]
    return render(request, "cases/mine.html", {"cases": cases})


@login_required
def case_list(request: ScopedRequest) -> HttpResponse:
    """The console list: the cases the viewer sees through the territory, emergencies first,
    with the filters the map and the export share (CaseFilters); a bad date is shown at its field."""
    require(request.scope, "cases.view")
    filters = CaseFilters(request.GET, scope=request.scope)
    pages = Pages(filters.qs)
    page: Page[Case] = Paginator(pages, 50).get_page(request.GET.get("page"))  # type: ignore[arg-type]
    return render(
        request,
        "cases/list.html",
        filter_context(request, filters) | {"page": page, "rows": _list_rows(page)},
        status=400 if filters.field_errors else 200,
    )


def _list_rows(page: Page[Case]) -> list[dict[str, Any]]:
    """The list's cells as plain text, labels translated once per page: rendering 50 rows of
    model lookups, lazy labels and date filters in the template took most of the page's time."""
    states = {value: str(label) for value, label in Case.State.choices}
    levels = {value: str(label) for value, label in Level.choices}
    now = timezone.now()
    return [
        {
            "pk": case.pk,
            "number": case.number,
            "emergency": case.urgent,
            "class": case.case_class.name,
            "grid": case.grid.name,
            "state": states[case.state],
            "level": levels[case.level],
            "handler": str(case.handler) if case.handler else "—",
            "due": timezone.localtime(case.deadline).strftime("%m-%d %H:%M") if case.deadline else "—",
            "overdue": case.deadline is not None and case.deadline < now,
        }
        for case in page
    ]


@login_required
@kept_offline
def detail(request: ScopedRequest, case_id: int) -> HttpResponse:
    return _case_page(request, case_or_404(request.scope, case_id))


def _case_page(request: ScopedRequest, case: Case, *, status: int = 200) -> HttpResponse:
    """The case as this viewer may see it: the staff page or the reporter's and followers'."""
    if is_staff_viewer(request.scope, case):
        return _staff_detail(request, case, status=status)
    is_reporter = case.reporter_id == request.user.pk
    whole = sees_whole_case(request.scope, case)
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            # A follower who is not the reporter sees the public view (docs/cases.md).
            "public": not whole,
            "public_point": (public_point(case.lat), public_point(case.lng)),
            "timeline": timeline_for(request.scope, case),
            "photos": case.photos.all() if whole else [],
            "offers": _offer_rows(case, request.user.pk) if is_reporter else [],
            "is_reporter": is_reporter,
            "staff_view": is_staff_viewer(request.scope, case),
            "emergency_numbers": EMERGENCY_NUMBERS,
            "reopen_form": StepNoteForm() if is_reporter and case.state in ("resolved", "verified") else None,
            "evaluate_form": EvaluateForm()
            if is_reporter and case.state == "closed" and case.satisfaction is None
            else None,
        },
        status=status,
    )


def _offer_rows(case: Case, user_id: int) -> list[dict[str, Any]]:
    """The open cases like the report just filed that its reporter may follow instead, with
    what a stranger may know of each and a single-use token (queries.follow_offers)."""
    now = timezone.now()
    return [
        _suggestion_row(offer.suggestion, now) | {"token": offer.token}
        for offer in follow_offers(case, user_id=user_id, now=now)
    ]


def _suggestion_row(suggestion: Suggestion, now: datetime) -> dict[str, str]:
    """What a stranger may know of a similar open case: class, state, distance and age."""
    found = suggestion.case
    hours = max(0, int((now - found.reported_at).total_seconds() // 3600))
    if hours < 1:
        age = _("within the hour")
    elif hours < 24:
        age = _("%(n)s h ago") % {"n": hours}
    else:
        age = _("%(n)s days ago") % {"n": hours // 24}
    return {
        "what": f"{found.case_class.name} · {found.get_state_display()}",
        "meta": f"{_('%(n)s m away') % {'n': round(suggestion.distance_m)}} · {age}",
    }


def _staff_detail(request: ScopedRequest, case: Case, *, status: int = 200) -> HttpResponse:
    scope = request.scope
    may_manage = scope.has_at("cases.manage", case.grid.path)
    return render(
        request,
        "cases/staff_detail.html",
        {
            "case": case,
            "where": maps.location(case.address or case.case_class.name, case.lng, case.lat),
            # Personal data is masked where shown (DESIGN.md §4).
            "reporter_name": mask_name(case.reporter_name),
            "timeline": timeline_for(scope, case),
            "photos": case.photos.all(),
            "is_handler": case.handler_id == request.user.pk,
            "waiting_photos": case.photos.filter(stage=CasePhoto.Stage.AFTER, event__isnull=True).count(),
            "may_manage": may_manage,
            "closures": [c for c in Case.Closure.choices if c[0] != Case.Closure.FIXED],
            "handlers": [a.person for a in staff_on(case.grid, timezone.localdate())] if may_manage else [],
            "grids": working_areas(scope).filter(level=Area.Level.GRID).exclude(pk=case.grid_id) if may_manage else [],
            "emergency_numbers": EMERGENCY_NUMBERS,
            # The steps the case's state allows (who may take them is checked on the page too).
            "allowed": {kind for kind, (sources, _target) in actions.STATE_FLOW.items() if case.state in sources},
            # Open cases of the same class nearby with similar text, to merge this one into.
            "duplicates": similar_open_cases(
                case_class=case.case_class,
                lng=case.lng,
                lat=case.lat,
                text=case.description,
                among=territory_cases(scope),
                exclude_id=case.pk,
            )
            if may_manage and case.state in actions.STATE_FLOW["merged"][0]
            else [],
        },
        status=status,
    )


@login_required
@require_POST
@idempotent_form
def step(request: ScopedRequest, case_id: int) -> HttpResponse:
    """A staff step from the case page. A refusal (the case moved on, a wrong choice) answers the
    case page with the reason and a 4xx, so the phone's outbox can tell it from a step taken."""
    case = case_or_404(request.scope, case_id)
    data = request.POST
    try:
        handler_id, grid_id = int(data.get("handler") or 0), int(data.get("grid") or 0)
        actions.apply_step(
            actor=request.user,
            scope=request.scope,
            case=case,
            step=data.get("step", ""),
            note=data.get("note", ""),
            closure=data.get("closure", ""),
            handler=User.objects.filter(pk=handler_id, is_active=True).first() if handler_id else None,
            grid=working_areas(request.scope).filter(pk=grid_id, level=Area.Level.GRID).first() if grid_id else None,
            photos=request.FILES.getlist("photos"),
        )
    except ValueError:
        messages.error(request, _("Choose from the list."))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
        return redirect("cases:detail", case.pk)
    return _case_page(request, case_or_404(request.scope, case_id), status=400)


@login_required
@require_POST
def reopen(request: ScopedRequest, case_id: int) -> HttpResponse:
    """The reporter says "not fixed"."""
    case = case_or_404(request.scope, case_id)
    form = StepNoteForm(request.POST)
    if form.is_valid():
        try:
            actions.reopen_case(actor=request.user, scope=request.scope, case=case, note=form.cleaned_data["note"])
            messages.success(request, _("The case is back with its handler."))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Say what is still wrong."))
    return redirect("cases:detail", case.pk)


@login_required
@require_POST
def evaluate(request: ScopedRequest, case_id: int) -> HttpResponse:
    case = case_or_404(request.scope, case_id)
    form = EvaluateForm(request.POST)
    if form.is_valid():
        try:
            actions.evaluate_case(actor=request.user, case=case, satisfaction=form.cleaned_data["satisfaction"])
            messages.success(request, _("Thank you for your evaluation."))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Choose from 1 to 5."))
    return redirect("cases:detail", case.pk)


@login_or_bearer_required  # API answers link here: their bearer token opens it too
def photo(request: ScopedRequest, case_id: int, photo_id: int) -> HttpResponseBase:
    """A case photo, for those who may see the case."""
    case = case_or_404(request.scope, case_id)  # the scope check: a photo is seen with its case
    stored = CasePhoto.objects.filter(case=case, pk=photo_id).first()
    if stored is None or not sees_whole_case(request.scope, case):
        raise Http404
    return photo_response(stored.name)


def follow_link(request: ScopedRequest, token: str) -> HttpResponse:
    """A follow link (cases.follow_links), open to anyone who holds it: the public view of the
    case it was handed out for, or of the case that was merged into: its number, class,
    state, result and dates, and its timeline's steps and dates. Never the description, the
    place, the photos, a note, a staff member or a reporter. The reporter rates the case
    here once it is closed; a signed-in holder may follow it; while the report is still
    only reported, the open cases like it nearby are listed (what a stranger may know of
    them). Anything but a follow link is a 404."""
    reported = follow_links.reported_case(token)
    if reported is None:
        raise Http404
    case = surviving_case(reported)
    own = case.pk == reported.pk
    user_id = request.user.pk if request.user.is_authenticated else None
    nearby = []
    if own and case.state == Case.State.REPORTED:
        now = timezone.now()
        found = similar_open_cases(
            case_class=case.case_class, lng=case.lng, lat=case.lat, text=case.description, exclude_id=case.pk
        )
        nearby = [_suggestion_row(suggestion, now) for suggestion in found]
    return render(
        request,
        "cases/follow_link.html",
        {
            "case": case,
            "token": token,
            "link": request.build_absolute_uri(),
            "merged": not own,
            "timeline": public_timeline(case.events.order_by("at", "id")),
            "nearby": nearby,
            "emergency_numbers": EMERGENCY_NUMBERS,
            "following": user_id is not None and case.followers.filter(user_id=user_id).exists(),
            "evaluate_form": EvaluateForm()
            if own and case.state == Case.State.CLOSED and case.satisfaction is None
            else None,
        },
    )


@login_required
@require_POST
def follow_by_link(request: ScopedRequest, token: str) -> HttpResponse:
    """ "Follow this case" from a follow link: the signed-in person follows it (public view)."""
    ratelimit.limit(request, "cases_follow")
    try:
        case = follow_links.follow_by_link(actor=request.user, token=token)
    except DomainError:
        raise Http404 from None
    messages.success(request, _("You follow this case now: its progress is in My reports."))
    return redirect("cases:detail", case.pk)


@require_POST
def evaluate_by_link(request: ScopedRequest, token: str) -> HttpResponse:
    """The reporter without an account rates their closed case through its follow link (the
    case the link shows: that of a merged report is someone else's, and refused)."""
    reported = follow_links.reported_case(token)
    if reported is None:
        raise Http404
    form = EvaluateForm(request.POST)
    if form.is_valid():
        try:
            actions.evaluate_case(
                actor=request.user,
                case=surviving_case(reported),
                satisfaction=form.cleaned_data["satisfaction"],
                link=token,
            )
            messages.success(request, _("Thank you for your evaluation."))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Choose from 1 to 5."))
    return redirect("cases:follow_link", token)
