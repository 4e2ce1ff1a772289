"""Console pages of campaigns (activities of a campaign kind): the list with its filters, a
new campaign, a campaign's page (participants by group, places covered, findings, its
checks) with the forms that change it, and recording a check of a place through
`inspections.actions.record_check`. The rules stay in the actions; a refusal is shown at the
field it names."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nuanxin.accounts.models import User
from nuanxin.core.access import deny, require
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_name
from nuanxin.core.scoping import Scope
from nuanxin.inspections.checklist_form import ChecklistForm
from nuanxin.inspections.models import ChecklistTemplate, ChecklistVersion
from nuanxin.territory.models import Area, Place
from nuanxin.volunteers.activities import actions
from nuanxin.volunteers.activities.checks import record_check_from_form
from nuanxin.volunteers.activities.queries import (
    activities_for,
    activity_or_404,
    managed_areas,
    participants_by_group,
    place_templates,
    places_in,
    reached_areas,
    staff_accounts,
)
from nuanxin.volunteers.models import Activity, ActivityKind, OrganiserKind, Participant, ParticipantGroup

PAGE_SIZE = 50
CAMPAIGN_CHOICES = [(k.value, k.label) for k in ActivityKind]
# Kinds of place that organise activities besides the community.
ORGANISER_PLACE_KINDS = (
    Place.Kind.PUBLIC_UNIT,
    Place.Kind.MERCHANT,
    Place.Kind.ENTERPRISE,
    Place.Kind.COMMERCIAL_CENTRE,
)


class FilterForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    area = forms.ModelChoiceField(label=gettext_lazy("Grid"), queryset=Area.objects.none(), required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any")), *CAMPAIGN_CHOICES]  # type: ignore[attr-defined]
        self.fields["area"].queryset = reached_areas(scope)  # type: ignore[attr-defined]
        self.fields["area"].empty_label = _("Any")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("The end of the period is before its start."))
        return data


@login_required
def activity_list(request: ScopedRequest) -> HttpResponse:
    """The campaigns the viewer reaches, newest first, filtered by kind, period and area."""
    require(request.scope, "activities.view")
    form = FilterForm(request.GET or None, scope=request.scope)
    chosen: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    activities = activities_for(
        request.scope,
        kind=chosen.get("kind") or None,
        campaigns_only=True,
        period=(chosen.get("since"), chosen.get("until")),
        area=chosen.get("area"),
    )
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "volunteers/list.html",
        {"form": form, "page": page, "may_create": request.scope.has("activities.manage")},
        status=400 if form.is_bound and form.errors else 200,
    )


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CAMPAIGN_CHOICES)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=actions.TITLE_MAX)
    area = forms.ModelChoiceField(label=gettext_lazy("Grid or community"), queryset=Area.objects.none())
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.CharField(label=gettext_lazy("Location"), max_length=actions.LOCATION_MAX, required=False)
    organiser_kind = forms.ChoiceField(label=gettext_lazy("Organised by"), choices=OrganiserKind.choices)
    organiser_unit = forms.ModelChoiceField(
        label=gettext_lazy("Organising unit"),
        queryset=Place.objects.none(),
        required=False,
    )
    findings = forms.CharField(
        label=gettext_lazy("Findings"),
        max_length=actions.FINDINGS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = managed_areas(scope)  # type: ignore[attr-defined]
        self.fields["organiser_unit"].queryset = (  # type: ignore[attr-defined]
            Place.objects.visible_to(scope)
            .filter(kind__in=ORGANISER_PLACE_KINDS)
            .select_related("grid")
            .defer("grid__boundary")
            .order_by("kind", "name")
        )


@login_required
def activity_new(request: ScopedRequest) -> HttpResponse:
    """A new campaign in a grid or community where the viewer manages activities."""
    require(request.scope, "activities.manage")
    form = ActivityForm(request.POST or None, scope=request.scope)
    if request.method == "POST" and form.is_valid():
        try:
            activity = actions.create_activity(actor=request.user, scope=request.scope, **form.cleaned_data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Campaign %(number)s recorded.") % {"number": activity.number})
            return redirect("activities:detail", activity.pk)
    return render(request, "volunteers/new.html", {"form": form}, status=400 if request.method == "POST" else 200)


class ParticipantForm(forms.Form):
    group = forms.ChoiceField(label=gettext_lazy("Group"), choices=ParticipantGroup.choices)
    user = forms.ModelChoiceField(label=gettext_lazy("Staff account"), queryset=User.objects.none(), required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=actions.NAME_MAX, required=False)

    def __init__(self, *args: Any, activity: Activity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff_accounts(activity)  # type: ignore[attr-defined]
        self.fields["user"].empty_label = _("No account: give the name")  # type: ignore[attr-defined]


class PlacesForm(forms.Form):
    places = forms.ModelMultipleChoiceField(label=gettext_lazy("Places"), queryset=Place.objects.none())

    def __init__(self, *args: Any, scope: Scope, activity: Activity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["places"].queryset = places_in(scope, activity)  # type: ignore[attr-defined]


class FindingsForm(forms.Form):
    findings = forms.CharField(
        label=gettext_lazy("Findings"),
        max_length=actions.FINDINGS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _may_record(scope: Scope, activity: Activity) -> bool:
    """Whether the viewer may record checks somewhere in the activity's area (with
    inspections.record or activities.manage; the action checks the place they pick)."""
    path = activity.area.path
    paths = (*scope.paths_for("inspections.record"), *scope.paths_for("activities.manage"))
    return any(p.startswith(path) or path.startswith(p) for p in paths)


def _detail(request: ScopedRequest, activity: Activity, status: int = 200, **bound: forms.Form) -> HttpResponse:
    scope = request.scope
    may_manage = scope.has_at("activities.manage", activity.area.path)
    context: dict[str, Any] = {
        "activity": activity,
        "groups": participants_by_group(activity),
        "participants": [
            {"pk": p.pk, "name": mask_name(p.name), "group": p.get_group_display()} for p in activity.participants.all()
        ],
        "places": list(activity.places.all()),
        "checks": activity.checks,  # type: ignore[attr-defined]
        "may_manage": may_manage,
        "may_record": _may_record(scope, activity),
    }
    if may_manage:
        covered = {p.pk for p in context["places"]}
        places_form = bound.get("places_form") or PlacesForm(scope=scope, activity=activity)
        places_form.fields["places"].queryset = places_form.fields["places"].queryset.exclude(pk__in=covered)  # type: ignore[attr-defined]
        context |= {
            "participant_form": bound.get("participant_form") or ParticipantForm(activity=activity),
            "places_form": places_form,
            "findings_form": bound.get("findings_form") or FindingsForm(initial={"findings": activity.findings}),
        }
    return render(request, "volunteers/detail.html", context, status=status)


@login_required
def activity_detail(request: ScopedRequest, activity_id: int) -> HttpResponse:
    """A campaign's page: dates, area, organiser, participants by group (names masked),
    places covered, findings and its checks."""
    return _detail(request, activity_or_404(request.scope, activity_id))


def _managed_or_404(request: ScopedRequest, activity_id: int) -> Activity:
    """The activity, if the viewer sees it; a viewer who sees it but may not manage it there
    is refused like the API's 403, as a denial in the audit log and a 404 page."""
    activity = activity_or_404(request.scope, activity_id)
    if not request.scope.has_at("activities.manage", activity.area.path):
        raise deny(request.scope, f"activities.manage activity {activity.pk}")
    return activity


def _activity_step(
    request: ScopedRequest,
    activity: Activity,
    form: Any,
    act: Callable[[dict[str, Any]], object],
    *,
    form_name: str,
    done: str,
) -> HttpResponse:
    """One form posted from an activity's page: the action on the form's data; a refusal
    shows the page again with the error at its field, success goes back to it with `done`."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, done)
            return redirect("activities:detail", activity.pk)
    return _detail(request, activity, status=400, **{form_name: form})


@login_required
@require_POST
def add_participant(request: ScopedRequest, activity_id: int) -> HttpResponse:
    activity = _managed_or_404(request, activity_id)
    return _activity_step(
        request,
        activity,
        ParticipantForm(request.POST, activity=activity),
        lambda data: actions.add_participant(actor=request.user, scope=request.scope, activity=activity, **data),
        form_name="participant_form",
        done=_("Participant added."),
    )


@login_required
@require_POST
def remove_participant(request: ScopedRequest, activity_id: int, participant_id: int) -> HttpResponse:
    activity = _managed_or_404(request, activity_id)
    participant = Participant.objects.filter(activity=activity, pk=participant_id).select_related("activity").first()
    if participant is None:
        raise Http404
    participant.activity = activity
    actions.remove_participant(actor=request.user, scope=request.scope, participant=participant)
    messages.success(request, _("Participant removed."))
    return redirect("activities:detail", activity.pk)


@login_required
@require_POST
def cover_places(request: ScopedRequest, activity_id: int) -> HttpResponse:
    activity = _managed_or_404(request, activity_id)
    return _activity_step(
        request,
        activity,
        PlacesForm(request.POST, scope=request.scope, activity=activity),
        lambda data: actions.cover_places(
            actor=request.user, scope=request.scope, activity=activity, places=data["places"]
        ),
        form_name="places_form",
        done=_("Places added."),
    )


@login_required
@require_POST
def record_findings(request: ScopedRequest, activity_id: int) -> HttpResponse:
    activity = _managed_or_404(request, activity_id)
    return _activity_step(
        request,
        activity,
        FindingsForm(request.POST),
        lambda data: actions.record_findings(
            actor=request.user, scope=request.scope, activity=activity, findings=data["findings"]
        ),
        form_name="findings_form",
        done=_("Findings saved."),
    )


class CheckStartForm(forms.Form):
    """First step of recording a check: the place and the checklist."""

    place = forms.ModelChoiceField(label=gettext_lazy("Place"), queryset=Place.objects.none())
    template = forms.ModelChoiceField(
        label=gettext_lazy("Checklist"),
        queryset=ChecklistTemplate.objects.none(),
        to_field_name="code",
    )

    def __init__(self, *args: Any, scope: Scope, activity: Activity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places_in(scope, activity)  # type: ignore[attr-defined]
        self.fields["template"].queryset = place_templates()  # type: ignore[attr-defined]


@login_required
def record_check(request: ScopedRequest, activity_id: int) -> HttpResponse:
    """Record a check of a place in the campaign's area: pick the place and the checklist
    (GET), then answer the checklist's current version (POST) through record_check."""
    activity = activity_or_404(request.scope, activity_id)
    if not _may_record(request.scope, activity):
        raise deny(request.scope, f"inspections.record activity {activity.pk}")
    data = request.POST if request.method == "POST" else (request.GET or None)
    start = CheckStartForm(data, scope=request.scope, activity=activity)
    checklist: ChecklistForm | None = None
    version: ChecklistVersion | None = None
    status = 200
    if start.is_bound and start.is_valid():
        version = start.cleaned_data["template"].current_version()
        assert version is not None  # the choices are templates with a version
        checklist = ChecklistForm(
            list(version.items),
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
        )
        if request.method == "POST":
            if checklist.is_valid():
                try:
                    visit = record_check_from_form(
                        actor=request.user,
                        scope=request.scope,
                        activity=activity,
                        place=start.cleaned_data["place"],
                        version=version,
                        form=checklist,
                    )
                except DomainError as exc:
                    if exc.field in ("place", "template"):
                        start.add_error(exc.field, exc.message)
                    else:
                        checklist.show(exc)
                else:
                    messages.success(request, _("Check recorded (visit #%(id)d).") % {"id": visit.pk})
                    return redirect("activities:detail", activity.pk)
            status = 400
    elif start.is_bound:
        status = 400
    return render(
        request,
        "volunteers/check.html",
        {"activity": activity, "start": start, "checklist": checklist, "version": version},
        status=status,
    )
