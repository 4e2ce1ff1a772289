"""Inspection pages: the grid worker's phone pages (due visits: today, the rest of this ISO
week, and overdue; recording a visit and its result), the printable rectification notice,
and the console (completion, hazards, rectification orders)."""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from nuanxin.accounts.views import login_or_bearer_required
from nuanxin.core import audit, maps
from nuanxin.core.access import deny, require
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.http import ScopedRequest
from nuanxin.core.idempotency import idempotent_form
from nuanxin.core.offline import kept_offline
from nuanxin.core.photos import photo_response
from nuanxin.core.scoping import Scope
from nuanxin.inspections import actions
from nuanxin.inspections.answers import is_hazard
from nuanxin.inspections.checklist_form import ChecklistForm
from nuanxin.inspections.filters import RectificationFilters
from nuanxin.inspections.models import Rectification, Visit, VisitPhoto
from nuanxin.inspections.queries import (
    console_figures,
    open_visits,
    rectification_or_404,
    target_name,
    visit_or_404,
)
from nuanxin.inspections.rectifications import change_deadline
from nuanxin.territory.models import Area, Place


def _where(place: Place | None) -> dict[str, Any] | None:
    return maps.location(place.name, place.lng, place.lat) if place is not None else None


@dataclass
class Sections:
    today: list[Visit] = field(default_factory=list)
    this_week: list[Visit] = field(default_factory=list)
    overdue: list[Visit] = field(default_factory=list)
    later: list[Visit] = field(default_factory=list)


# "Later" looks this many days ahead: the rest of the month and into the next.
LATER_DAYS = 31


def sort_visits(visits: list[Visit], today: date) -> Sections:
    """Missed, or due before today and not done: overdue; due today; due later this ISO
    week (to Sunday); due after this week within LATER_DAYS: later. Done visits and those
    due further ahead are left out."""
    week_end = today + timedelta(days=6 - today.weekday())
    sections = Sections()
    for visit in visits:
        if visit.state == Visit.State.MISSED or (visit.due_on < today and visit.state != Visit.State.DONE):
            sections.overdue.append(visit)
        elif visit.state == Visit.State.DONE:
            continue
        elif visit.due_on == today:
            sections.today.append(visit)
        elif today < visit.due_on <= week_end:
            sections.this_week.append(visit)
        elif visit.due_on <= today + timedelta(days=LATER_DAYS):
            sections.later.append(visit)
    return sections


@login_required
@kept_offline
def my_visits(request: ScopedRequest) -> HttpResponse:
    """The viewer's own visits (key persons are already hidden by the query set)."""
    require(request.scope, "inspections.view")
    today = timezone.localdate()
    visits = open_visits(
        request.scope, worker_id=request.user.pk, today=today, due_by=today + timedelta(days=LATER_DAYS)
    ).select_related("target__place", "target__resident", "place")
    sections = sort_visits(list(visits), today)
    for visit in [*sections.today, *sections.this_week, *sections.overdue, *sections.later]:
        visit.target_name = target_name(visit)  # type: ignore[attr-defined]
    section_list = [
        ("today", _("Today"), sections.today, _("Nothing due today.")),
        ("this-week", _("This week"), sections.this_week, _("Nothing else due this week.")),
        ("overdue", _("Overdue"), sections.overdue, _("Nothing overdue.")),
        ("later", _("Later"), sections.later, _("Nothing due in the next four weeks.")),
    ]
    return render(
        request, "inspections/visits.html", {"sections": sections, "section_list": section_list, "today": today}
    )


# ---------------------------------------------------------------------------------------
# Recording a visit on the phone, and its result.


def _may_record(scope: Scope, user: Any, visit: Visit) -> bool:
    """Whether the record form is offered (the action checks again)."""
    return visit.state != Visit.State.DONE and (
        user.pk == visit.worker_id or scope.has_at("inspections.record", visit.grid.path)
    )


def _coordinate(raw: str | None) -> Any:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return raw  # refused by the action, naming the coordinate


def _answer_rows(visit: Visit) -> list[dict[str, Any]]:
    """The recorded answers as label and shown value, in checklist order."""
    yes_no = {True: _("yes"), False: _("no")}
    rows = []
    for item in visit.version.items if visit.version is not None else []:
        if item["code"] not in visit.answers:
            continue
        value = visit.answers[item["code"]]
        if item["kind"] == "yes_no":
            shown = yes_no.get(value, value)
        elif item["kind"] == "choice":
            shown = next((c["label"] for c in item.get("choices", []) if c["key"] == value), value)
        elif item["kind"] == "photo":
            shown = ngettext("%(n)d photo", "%(n)d photos", value) % {"n": value}
        else:
            shown = value
        rows.append({"label": item["label"], "value": shown, "hazard": is_hazard(item, value)})
    return rows


@login_required
@kept_offline
@idempotent_form
def visit_page(request: ScopedRequest, visit_id: int) -> HttpResponse:
    """Record a visit (checklist, location, photos, note) or, once done, see its result:
    hazards found, the distance warning and the rectification notice."""
    require(request.scope, "inspections.view")
    visit = visit_or_404(request.scope, visit_id)
    items: list[dict[str, Any]] = list(visit.version.items) if visit.version is not None else []
    posted = request.method == "POST"
    checklist = ChecklistForm(items, request.POST if posted else None, request.FILES if posted else None)
    status = 200
    may_record = _may_record(request.scope, request.user, visit)
    if posted:
        if not may_record and visit.state != Visit.State.DONE:
            raise deny(request.scope, f"inspections.record visit {visit.pk}")
        status = 400
        if visit.state == Visit.State.DONE:
            # Recorded meanwhile (by a colleague, or a form the phone kept offline arriving late):
            # these answers are not saved, and the sender is told so beside the result.
            messages.error(request, _("This visit was already recorded; the answers just sent were not saved."))
        elif checklist.is_valid():
            try:
                actions.record_visit(
                    actor=request.user,
                    scope=request.scope,
                    visit=visit,
                    answers=checklist.answers(),
                    note=checklist.note,
                    lng=_coordinate(request.POST.get("lng")),
                    lat=_coordinate(request.POST.get("lat")),
                    photos=checklist.photos(),
                )
            except DomainError as exc:
                checklist.show(exc)
                status = 403 if exc.code == "forbidden" else 400
            else:
                messages.success(request, _("Visit recorded."))
                return redirect("inspections:visit", visit.pk)
    visit.target_name = target_name(visit)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "visit": visit,
        "where": _where(visit.target.place if visit.target is not None else visit.place),
        "may_record": may_record,
        "radius": actions.checkin_radius_m(),
    }
    if visit.state == Visit.State.DONE:
        order = Rectification.objects.filter(visit=visit).prefetch_related("hazards").first()
        context |= {
            "answers": _answer_rows(visit),
            "far": actions.is_far(visit),
            "order": order,
            "rechecked": Rectification.objects.filter(pk=visit.recheck_of_id).select_related("case").first()
            if visit.recheck_of_id
            else None,
            "photos": list(visit.photos.all()),
        }
    else:
        context |= {"checklist": checklist, "posted": request.POST}
    return render(request, "inspections/visit.html", context, status=status)


@login_or_bearer_required  # API answers link here: their bearer token opens it too
def visit_photo(request: ScopedRequest, visit_id: int, photo_id: int) -> HttpResponseBase:
    """A visit photo, for those who may see the visit."""
    visit = visit_or_404(request.scope, visit_id)
    stored = VisitPhoto.objects.filter(visit=visit, pk=photo_id).first()
    if stored is None:
        raise Http404
    return photo_response(stored.name)


# ---------------------------------------------------------------------------------------
# Rectification orders: the printable notice, the console list and one order.


@login_required
def notice(request: ScopedRequest, order_id: int) -> HttpResponse:
    """The printable rectification notice (整改通知书), A4. Audited: it names the party."""
    order = rectification_or_404(request.scope, order_id)
    visit = order.visit
    audit.record("inspections.notice_printed", obj=order)
    return render(
        request,
        "inspections/notice.html",
        {
            "order": order,
            "visit": visit,
            "hazards": list(order.hazards.all()),
            "community": order.grid.parent,
            "address": order.place.address if order.place is not None else "",
        },
    )


def _period(query: Any, today: date) -> tuple[date, date, dict[str, str]]:
    """The period asked for (from/to, YYYY-MM-DD), this month by default; errors by field."""
    start, end = today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])
    errors: dict[str, str] = {}
    for name in ("from", "to"):
        raw = (query.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            errors[name] = _("Enter a date as YYYY-MM-DD.")
            continue
        if name == "from":
            start = value
        else:
            end = value
    if not errors and end < start:
        errors["to"] = _("The end of the period comes before its start.")
    return start, end, errors


@login_required
def console(request: ScopedRequest) -> HttpResponse:
    """Completion per grid and per worker for a period (this month by default), open hazards
    and overdue orders per grid with community totals, all within the viewer's scope."""
    require(request.scope, "inspections.view")
    today = timezone.localdate()
    start, end, errors = _period(request.GET, today)
    blocks, workers, overall = console_figures(request.scope, start, end, today)
    return render(
        request,
        "inspections/console.html",
        {
            "start": start,
            "end": end,
            "errors": errors,
            "blocks": blocks,
            "workers": workers,
            "overall": overall,
            "chosen": {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")},
        },
        status=400 if errors else 200,
    )


@login_required
def rectification_list(request: ScopedRequest) -> HttpResponse:
    """The orders of the viewer's subtree, filtered by state, grid and overdue."""
    require(request.scope, "inspections.view")
    today = timezone.localdate()
    filters = RectificationFilters(request.GET, scope=request.scope, today=today)
    page: Page[Rectification] = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    grids = (
        Area.objects.filter(level=Area.Level.GRID)
        .filter(request.scope.q("inspections.view", "path"))
        .only("id", "name", "path")
        .order_by("path")
    )
    return render(
        request,
        "inspections/rectifications.html",
        {
            "page": page,
            "today": today,
            "states": Rectification.State.choices,
            "grids": grids,
            "chosen": filters.chosen(),
        },
    )


class DeadlineForm(forms.Form):
    deadline = forms.DateField(label=gettext_lazy("New deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


@login_required
def rectification(request: ScopedRequest, order_id: int) -> HttpResponse:
    """One order: its hazards, re-check and case; an open order's deadline can be moved."""
    order = rectification_or_404(request.scope, order_id)
    form = DeadlineForm(request.POST or None)
    may_change = order.state == Rectification.State.OPEN and request.scope.has_at("inspections.record", order.grid.path)
    status = 200
    if request.method == "POST":
        if not may_change:
            raise deny(request.scope, f"inspections.record rectification {order.pk}")
        if form.is_valid():
            try:
                change_deadline(
                    actor=request.user,
                    scope=request.scope,
                    order=order,
                    deadline=form.cleaned_data["deadline"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("Deadline changed."))
                return redirect("inspections:rectification", order.pk)
        status = 400
    return render(
        request,
        "inspections/rectification.html",
        {
            "order": order,
            "where": _where(order.place),
            "hazards": list(order.hazards.all()),
            "rechecks": list(order.rechecks.select_related("worker").order_by("due_on")),
            "form": form,
            "may_change": may_change,
            "today": timezone.localdate(),
        },
        status=status,
    )
