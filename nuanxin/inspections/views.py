"""The grid worker's phone page of due visits: today, the rest of this ISO week, and overdue."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_name
from nuanxin.core.scoping import require
from nuanxin.inspections.models import Visit
from nuanxin.inspections.queries import visits_for


def target_name(visit: Visit) -> str:
    """The place's name, or the resident's masked name."""
    target = visit.target
    if target.place is not None:
        return target.place.name
    return mask_name(target.resident.name) if target.resident is not None else ""


@dataclass
class Sections:
    today: list[Visit] = field(default_factory=list)
    this_week: list[Visit] = field(default_factory=list)
    overdue: list[Visit] = field(default_factory=list)


def sort_visits(visits: list[Visit], today: date) -> Sections:
    """Missed, or due before today and not done: overdue; due today; due later this ISO
    week (to Sunday). Done visits and those due after this week are left out."""
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
    return sections


@login_required
def my_visits(request: ScopedRequest) -> HttpResponse:
    """The viewer's own visits (key persons are already hidden by the query set)."""
    require(request.scope, "inspections.view")
    today = timezone.localdate()
    week_end = today + timedelta(days=6 - today.weekday())
    visits = visits_for(request.scope, worker_id=request.user.pk, due_by=week_end).select_related(
        "target__place", "target__resident"
    )
    sections = sort_visits(list(visits.exclude(state=Visit.State.DONE)), today)
    for visit in [*sections.today, *sections.this_week, *sections.overdue]:
        visit.target_name = target_name(visit)  # type: ignore[attr-defined]
    return render(request, "inspections/visits.html", {"sections": sections, "today": today})
