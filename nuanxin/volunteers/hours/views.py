"""Service-hour pages: the volunteer's "my hours" phone page (records, total, stars, a
correction form per record, the certificate), the organiser's approval page of an activity
(pending records, approve one or all, corrections to decide), a community's star levels, and
the certificate downloads. The rules stay in `nuanxin.volunteers.hours.actions`; a refusal is shown at its field."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nuanxin.core import audit
from nuanxin.core.access import deny, get_in_scope_or_404
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_name
from nuanxin.volunteers.hours import actions as hours
from nuanxin.volunteers.hours.certificates import certificate_for, render_docx, render_pdf
from nuanxin.volunteers.hours.queries import (
    STARS,
    activity_for_organiser_or_404,
    activity_minutes,
    activity_records,
    activity_window,
    correction_in_reach_or_404,
    default_star_hours,
    has_own_star_levels,
    hours_of,
    may_certify,
    own_record_or_404,
    record_in_reach_or_404,
    records_of,
    standing_of,
    star_communities,
    star_community_for,
    star_hours,
)
from nuanxin.volunteers.models import Activity, HoursCorrection, ServiceRecord, Volunteer
from nuanxin.volunteers.signups.queries import volunteer_of

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


class CorrectionForm(forms.Form):
    minutes = forms.IntegerField(label=gettext_lazy("Minutes actually served"), min_value=0, max_value=1_000_000)
    reason = forms.CharField(
        label=gettext_lazy("Why"), max_length=hours.REASON_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(forms.Form):
    """The note; the decision is the button pressed ("decision": approve or decline)."""

    note = forms.CharField(label=gettext_lazy("Note"), max_length=hours.NOTE_MAX, required=False)


# The volunteer's page


def _mine(request: ScopedRequest, status: int = 200, bound: tuple[int, CorrectionForm] | None = None) -> HttpResponse:
    volunteer = volunteer_of(request.user)
    context: dict[str, Any] = {"volunteer": volunteer}
    if volunteer is not None:
        rows = []
        for record in records_of(volunteer):
            corrections = list(record.corrections.all())
            is_open = any(c.state == HoursCorrection.State.REQUESTED for c in corrections)
            form = bound[1] if bound and bound[0] == record.pk else CorrectionForm(prefix=f"r{record.pk}")
            rows.append(
                {
                    "record": record,
                    "hours": hours_of(record.minutes),
                    "organiser": record.activity.organiser_unit.name
                    if record.activity.organiser_unit
                    else record.activity.area.name,
                    "corrections": corrections,
                    "open": is_open,
                    "form": None if is_open else form,
                }
            )
        context |= {"rows": rows, "standing": standing_of(volunteer)}
    return render(request, "volunteers/hours/mine.html", context, status=status)


@login_required
def mine(request: ScopedRequest) -> HttpResponse:
    """The signed-in volunteer's records with their state, approved total, stars and
    certificate; anyone signed in may open it (no registration: a short note)."""
    return _mine(request)


@login_required
@require_POST
def correct(request: ScopedRequest, record_id: int) -> HttpResponse:
    """Ask for a correction of one's own record (404 for anyone else's)."""
    record = own_record_or_404(request.user, record_id)
    form = CorrectionForm(request.POST, prefix=f"r{record.pk}")
    if form.is_valid():
        try:
            hours.request_correction(actor=request.user, record=record, **form.cleaned_data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Your correction request was sent to the organiser."))
            return redirect("hours:mine")
    return _mine(request, status=400, bound=(record.pk, form))


# The organiser's page


def _activity_page(
    request: ScopedRequest, activity: Activity, status: int = 200, bound: tuple[int, DecisionForm] | None = None
) -> HttpResponse:
    records = list(activity_records(activity))
    pending: list[dict[str, Any]] = []
    approved: list[dict[str, Any]] = []
    for record in records:
        row = {
            "record": record,
            "name": mask_name(record.volunteer.name),
            "group": record.volunteer.get_group_display(),
            "hours": hours_of(record.minutes),
            "open": any(c.state == HoursCorrection.State.REQUESTED for c in record.corrections.all()),
            "own": record.volunteer.user_id == request.user.pk,
        }
        (pending if record.state == ServiceRecord.State.PENDING else approved).append(row)
    corrections = []
    for record in records:
        for correction in record.corrections.all():
            if correction.state == HoursCorrection.State.REQUESTED:
                form = bound[1] if bound and bound[0] == correction.pk else DecisionForm(prefix=f"c{correction.pk}")
                corrections.append(
                    {
                        "correction": correction,
                        "record": record,
                        "name": mask_name(record.volunteer.name),
                        "from_hours": hours_of(record.minutes),
                        "to_hours": hours_of(correction.minutes),
                        "form": form,
                    }
                )
    context = {
        "activity": activity,
        "stars_community": star_community_for(request.scope, activity.area),
        "pending": pending,
        "approved": approved,
        "corrections": corrections,
        "longest": activity_minutes(activity),
        "window": activity_window(activity),
    }
    return render(request, "volunteers/hours/activity.html", context, status=status)


@login_required
def activity(request: ScopedRequest, activity_id: int) -> HttpResponse:
    """An activity's service records for its organisers (activities.manage or
    volunteers.manage at its area; 404 for anyone else)."""
    return _activity_page(request, activity_for_organiser_or_404(request.scope, activity_id))


def _refused(request: ScopedRequest, exc: DomainError) -> None:
    """A refusal on the approval page (there is no field to show it at)."""
    if exc.code == "forbidden":
        raise deny(request.scope, f"hours: {exc.message}")
    messages.error(request, exc.message)


@login_required
@require_POST
def approve(request: ScopedRequest, record_id: int) -> HttpResponse:
    record = record_in_reach_or_404(request.scope, record_id)
    try:
        hours.approve_record(actor=request.user, record=record, scope=request.scope)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Hours approved."))
    return redirect("hours:activity", record.activity_id)


@login_required
@require_POST
def approve_all(request: ScopedRequest, activity_id: int) -> HttpResponse:
    activity = activity_for_organiser_or_404(request.scope, activity_id)
    done = hours.approve_all(actor=request.user, activity=activity, scope=request.scope)
    messages.success(request, _("%(n)d records approved.") % {"n": len(done.approved)})
    if done.skipped:
        messages.warning(request, _("%(n)d records wait: decide their corrections first.") % {"n": done.skipped})
    return redirect("hours:activity", activity.pk)


@login_required
@require_POST
def decide(request: ScopedRequest, correction_id: int) -> HttpResponse:
    correction = correction_in_reach_or_404(request.scope, correction_id)
    activity = correction.record.activity
    if not may_certify(request.scope, activity):
        raise deny(request.scope, f"hours correction {correction.pk}")
    form = DecisionForm(request.POST, prefix=f"c{correction.pk}")
    decision = request.POST.get("decision")
    if decision not in ("approve", "decline"):
        form.add_error(None, _("Approve or decline the correction."))
    if form.is_valid():
        try:
            hours.decide_correction(
                actor=request.user,
                correction=correction,
                approve=decision == "approve",
                note=form.cleaned_data["note"],
                scope=request.scope,
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                raise deny(request.scope, f"hours correction {correction.pk}") from exc
            if exc.code == "stale":
                messages.error(request, exc.message)
                return redirect("hours:activity", activity.pk)
            show_on_form(form, exc)
        else:
            messages.success(request, _("Correction decided."))
            return redirect("hours:activity", activity.pk)
    return _activity_page(request, activity, status=400, bound=(correction.pk, form))


# Star levels


class StarLevelsForm(forms.Form):
    """Five rising whole numbers of hours, one field per star, so an error shows at the
    star it concerns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, STARS + 1):
            self.fields[f"star{n}"] = forms.IntegerField(
                label=_("Hours for %(n)d★") % {"n": n}, min_value=1, max_value=1_000_000
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        previous: int | None = None
        for n in range(1, STARS + 1):
            value = data.get(f"star{n}")
            if value is None:
                previous = None  # its own error is shown already
                continue
            if previous is not None and value <= previous:
                self.add_error(
                    f"star{n}",
                    _("More hours than the star before (%(hours)d), please.") % {"hours": previous},
                )
            previous = value
        return data

    def thresholds(self) -> list[int]:
        return [self.cleaned_data[f"star{n}"] for n in range(1, STARS + 1)]


def _chosen_community(request: ScopedRequest) -> tuple[Any, list[Any]]:
    """The community whose levels are shown, chosen among those the viewer sets ("community"
    in the query or the form; the first by default); 404, audited, when there is none or the
    one asked for is not among them."""
    communities = list(star_communities(request.scope)[:500])
    if not communities:
        raise deny(request.scope, "hours star levels")
    wanted = request.POST.get("community") or request.GET.get("community")
    if not wanted:
        return communities[0], communities
    for community in communities:
        if str(community.pk) == wanted:
            return community, communities
    raise deny(request.scope, f"hours star levels of area {wanted[:20]}")


@login_required
def stars(request: ScopedRequest) -> HttpResponse:
    """The star levels of a community: the hours in force (the community's own or the
    default) and a form to set five rising numbers; for community admins and staff with
    volunteers.manage at the community or above (404 for anyone else, grid staff too)."""
    community, communities = _chosen_community(request)
    current = star_hours(community)
    status = 200
    if request.method == "POST":
        form = StarLevelsForm(request.POST)
        if form.is_valid():
            try:
                hours.set_star_levels(
                    actor=request.user, community=community, hours=form.thresholds(), scope=request.scope
                )
            except DomainError as exc:
                if exc.code == "forbidden":
                    raise deny(request.scope, f"hours star levels of {community.pk}") from exc
                show_on_form(form, exc)
            else:
                messages.success(request, _("The star levels of %(area)s are saved.") % {"area": community.name})
                return redirect(f"{reverse('hours:stars')}?community={community.pk}")
        status = 400
    else:
        form = StarLevelsForm(initial={f"star{n}": h for n, h in enumerate(current, start=1)})
    context = {
        "community": community,
        "communities": communities,
        "current": current,
        "default": default_star_hours(),
        "own": has_own_star_levels(community),
        "form": form,
    }
    return render(request, "volunteers/hours/stars.html", context, status=status)


# Certificates


def certificate_response(request: ScopedRequest, volunteer: Volunteer, fmt: str) -> HttpResponse:
    """Render, audit and send the certificate; each download leaves an audit entry with
    the certificate's number."""
    certificate = certificate_for(volunteer)
    content = render_docx(certificate) if fmt == "docx" else render_pdf(certificate)
    audit.record(
        "hours.certificate_downloaded",
        actor=request.user,
        obj=volunteer,
        area_path=volunteer.home_grid.path if volunteer.home_grid else "",
        detail={"format": fmt, "number": certificate.number, "hours": str(certificate.total_hours)},
    )
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="certificate-{volunteer.pk}-{stamp}.{fmt}"'
    return response


@login_required
def my_certificate(request: ScopedRequest, fmt: str) -> HttpResponse:
    """The signed-in volunteer's own certificate (404 without a registration)."""
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    return certificate_response(request, volunteer, fmt)


@login_required
def volunteer_certificate(request: ScopedRequest, volunteer_id: int, fmt: str) -> HttpResponse:
    """A volunteer's certificate for staff with volunteers.view at their home grid (or the
    volunteer themselves); 404, audited, for anyone else."""
    volunteer = get_in_scope_or_404(
        Volunteer.objects.select_related("home_grid").defer("home_grid__boundary"), request.scope, pk=volunteer_id
    )
    return certificate_response(request, volunteer, fmt)
