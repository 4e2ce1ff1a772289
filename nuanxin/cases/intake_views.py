"""Intake pages beyond the phone report: following a case offered as a duplicate, staff
entering a case on behalf of a caller, and merging a possible duplicate from the case page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.cases import actions
from nuanxin.cases.forms import StaffIntakeForm
from nuanxin.cases.models import Case, CaseClass
from nuanxin.cases.queries import case_or_404, cases_for
from nuanxin.cases.views import EMERGENCY_NUMBERS, report_from_form
from nuanxin.core import ratelimit
from nuanxin.core.access import deny
from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import is_ascii_digits
from nuanxin.territory.models import Place
from nuanxin.territory.queries import map_centre

INTAKE_PERMISSIONS = ("cases.handle", "cases.manage")


def may_enter_cases(scope: Scope) -> bool:
    """Staff who work on cases somewhere may enter one for a caller."""
    return any(scope.has(permission) for permission in INTAKE_PERMISSIONS)


@login_required
@require_POST
def follow(request: ScopedRequest) -> HttpResponse:
    """ "This is the same: follow it" from the page of a report just filed (a single-use
    token offered with it, see follow_case); a refused token is told on "My reports"."""
    ratelimit.limit(request, "cases_follow")
    try:
        case = actions.follow_case(actor=request.user, token=request.POST.get("token", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cases:mine")
    messages.success(request, _("You follow this case now: its progress is in My reports."))
    return redirect("cases:detail", case.pk)


@login_required
def staff_new(request: ScopedRequest) -> HttpResponse:
    """Staff enter a case for someone who called or came in (channel "staff")."""
    if not may_enter_cases(request.scope):
        raise deny(request.scope, "cases.handle")
    places = Place.objects.visible_to(request.scope).select_related("grid").defer("grid__boundary")
    form = StaffIntakeForm(request.POST or None, places=places.order_by("name", "pk"))
    photo_error = ""
    if request.method == "POST" and form.is_valid():
        lng, lat = form.location()
        ratelimit.limit_report(request)
        case, photo_error = report_from_form(
            request,
            form,
            location_field="place",
            channel=Case.Channel.STAFF,
            lng=lng,
            lat=lat,
            place=form.cleaned_data["place"],
        )
        if case is not None:
            messages.success(request, _("Case %(number)s is entered.") % {"number": case.number})
            if cases_for(request.scope).filter(pk=case.pk).exists():
                return redirect("cases:detail", case.pk)
            return redirect("cases:new")
    return render(
        request,
        "cases/staff_new.html",
        {
            "form": form,
            "photo_error": photo_error,
            "emergency_codes": _emergency_codes(),
            "emergency_numbers": EMERGENCY_NUMBERS,
            "map_centre": map_centre(request.scope),
        },
        status=400 if request.method == "POST" else 200,
    )


def _emergency_codes() -> list[str]:
    return list(CaseClass.objects.filter(emergency=True, active=True).values_list("code", flat=True))


@login_required
@require_POST
def merge(request: ScopedRequest, case_id: int) -> HttpResponse:
    """Merge this case into a possible duplicate shown on its page (the "merge" step)."""
    case = case_or_404(request.scope, case_id)
    into_id = request.POST.get("into", "")
    into = case_or_404(request.scope, int(into_id)) if is_ascii_digits(into_id) and len(into_id) < 18 else None
    try:
        actions.apply_step(actor=request.user, scope=request.scope, case=case, step="merge", into=into)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Merged into %(number)s.") % {"number": into.number if into else ""})
    return redirect("cases:detail", case.pk)
