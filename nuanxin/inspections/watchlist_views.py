"""The watchlist (差异化巡查重点清单) in the console: the list with its filters, one target
with its history and visits, changing its tier or ending it, and adding a target.

Everything reads through the watchlist's query set, which hides the resident categories a
viewer may not know of: a key-person target is missing from the list, its count and the
filters for a viewer without people.view_key_person, and its page is the same 404 as a
missing one. Writes go through the watchlist actions with `scope=request.scope`, so a
viewer who may see but not manage a target is refused there (403 with the form shown)."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.core.access import require
from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_name
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import ascii_int
from nuanxin.inspections import actions
from nuanxin.inspections.filters import WatchlistFilters
from nuanxin.inspections.models import (
    CATEGORY_SUBJECT,
    Frequency,
    Subject,
    Tier,
    Visit,
    WatchTarget,
    with_category,
)
from nuanxin.inspections.queries import changes_of, known_categories, target_or_404, visits_for
from nuanxin.people.actions import look_up_residents
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place, StaffAssignment

PAGE_SIZE = 50
PLACE_OPTIONS = 300
RESIDENT_MATCHES = 20

# How often each frequency visits, to tell a frequency raised by hazards above category × tier.
FREQUENCY_RANK: dict[str, int] = {Frequency.QUARTERLY: 1, Frequency.MONTHLY: 2, Frequency.WEEKLY: 3}


def target_label(target: WatchTarget) -> str:
    """The place's name, or the resident's masked name (张*)."""
    if target.place is not None:
        return target.place.name
    return mask_name(target.resident.name) if target.resident is not None else ""


def is_raised(target: WatchTarget) -> bool:
    """Whether hazards raised the frequency above what category × tier gives."""
    try:
        base = actions.frequency_for(target.category, target.tier)
    except DomainError:
        return False
    return FREQUENCY_RANK.get(target.frequency, 0) > FREQUENCY_RANK.get(base, 0)


def may_manage(scope: Scope, target: WatchTarget) -> bool:
    """Whether the tier and end forms are offered (the actions check again)."""
    needed = with_category("inspections.manage", target.category)
    return target.is_active and all(scope.has_at(permission, target.grid.path) for permission in needed)


def _int(raw: Any) -> int | None:
    raw = str(raw or "").strip()
    return ascii_int(raw)


def _grids(scope: Scope, permission: str = "inspections.view") -> QuerySet[Area]:
    return (
        Area.objects.filter(level=Area.Level.GRID)
        .filter(scope.q(permission, "path"))
        .only("id", "name", "path")
        .order_by("path")
    )


def _on_duty(grids: QuerySet[Area], day: date) -> QuerySet[StaffAssignment]:
    return (
        StaffAssignment.objects.filter(StaffAssignment.active_on_q(day), grid__in=grids.values("pk"))
        .select_related("person", "grid")
        .defer("grid__boundary")
        .order_by("grid__path", "duty", "person__display_name", "id")
    )


# ---------------------------------------------------------------------------------------
# The list.


def with_visits(targets: QuerySet[WatchTarget]) -> QuerySet[WatchTarget]:
    """The list's targets with the last visit done and the next one due annotated."""
    visits = Visit.objects.filter(target=OuterRef("pk"))
    return targets.defer("resident__id_number", "resident__phone", "place__attributes").annotate(
        last_done=Subquery(visits.filter(state=Visit.State.DONE).order_by("-done_at").values("done_at")[:1]),
        next_due=Subquery(visits.filter(state=Visit.State.DUE).order_by("due_on").values("due_on")[:1]),
    )


@login_required
def watchlist(request: ScopedRequest) -> HttpResponse:
    """The targets the viewer reaches, filtered, 50 a page."""
    require(request.scope, "inspections.view")
    scope = request.scope
    filters = WatchlistFilters(request.GET, scope=scope)
    page: Page[WatchTarget] = Paginator(with_visits(filters.qs), PAGE_SIZE).get_page(request.GET.get("page"))
    for target in page:
        target.label = target_label(target)  # type: ignore[attr-defined]
        target.raised = is_raised(target)  # type: ignore[attr-defined]
    grids = _grids(scope)
    workers = {a.person_id: a.person for a in _on_duty(grids, timezone.localdate())}
    return render(
        request,
        "inspections/watchlist/list.html",
        {
            "page": page,
            "categories": known_categories(scope),
            "tiers": Tier.choices,
            "grids": grids,
            "workers": sorted(workers.values(), key=str),
            "statuses": [("active", _("On the list")), ("ended", _("Ended")), ("all", _("All"))],
            "chosen": filters.chosen(),
            "may_add": scope.has("inspections.manage"),
        },
    )


# ---------------------------------------------------------------------------------------
# One target, changing its tier, ending it.


def _render_target(
    request: ScopedRequest,
    target: WatchTarget,
    *,
    form: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    scope = request.scope
    visits = (
        visits_for(scope)
        .filter(target=target)
        .select_related("rectification", "recheck_of")
        .prefetch_related("rectification__hazards")
        .order_by("-due_on", "-id")
    )
    page: Page[Visit] = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    for visit in page:
        visit.order = getattr(visit, "rectification", None)  # type: ignore[attr-defined]
    target.label = target_label(target)  # type: ignore[attr-defined]
    target.raised = is_raised(target)  # type: ignore[attr-defined]
    errors = errors or {}
    return render(
        request,
        "inspections/watchlist/detail.html",
        {
            "target": target,
            "changes": list(changes_of(target)),
            "page": page,
            "may_manage": may_manage(scope, target),
            "tiers": Tier.choices,
            "form": form,
            "errors": {key or "form": message for key, message in errors.items()},
            "posted": request.POST if form else {},
        },
        status=status,
    )


@login_required
def target_page(request: ScopedRequest, target_id: int) -> HttpResponse:
    """One target: its history, its visits and, for those who manage it, the forms."""
    require(request.scope, "inspections.view")
    target = target_or_404(request.scope, target_id)
    return _render_target(request, target)


def _refused(request: ScopedRequest, target: WatchTarget, form: str, error: DomainError) -> HttpResponse:
    status = {"forbidden": 403, "stale": 409}.get(error.code, 400)
    return _render_target(request, target, form=form, errors={error.field or "": error.message}, status=status)


@require_POST
@login_required
def change_tier(request: ScopedRequest, target_id: int) -> HttpResponse:
    """Move the target to another tier for a reason (inspections.manage at its grid)."""
    require(request.scope, "inspections.view")
    target = target_or_404(request.scope, target_id)
    try:
        actions.change_tier(
            actor=request.user,
            scope=request.scope,
            target=target,
            tier=request.POST.get("tier", ""),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as error:
        return _refused(request, target, "tier", error)
    messages.success(request, _("Risk tier changed."))
    return redirect("inspections:watch_target", target.pk)


@require_POST
@login_required
def end_target(request: ScopedRequest, target_id: int) -> HttpResponse:
    """Take the target off the list for a reason (inspections.manage at its grid)."""
    require(request.scope, "inspections.view")
    target = target_or_404(request.scope, target_id)
    try:
        actions.end_target(
            actor=request.user, scope=request.scope, target=target, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        return _refused(request, target, "end", error)
    messages.success(request, _("Taken off the watchlist."))
    return redirect("inspections:watch_target", target.pk)


# ---------------------------------------------------------------------------------------
# Adding a target.


def addable_categories(scope: Scope) -> list[tuple[str, str]]:
    """What the add form offers: the place categories, and a resident category only to a
    viewer who holds its permission somewhere."""
    return known_categories(scope)


def _places(scope: Scope, text: str) -> list[Place]:
    """Places on the grids where the viewer manages the watchlist, narrowed by a name."""
    places = Place.objects.filter(scope.q("inspections.manage", "grid__path"))
    if text:
        places = places.filter(name__icontains=text)
    return list(
        places.select_related("grid")
        .only("id", "name", "kind", "grid__name")
        .order_by("grid__path", "name", "id")[: PLACE_OPTIONS + 1]
    )


def _resident(scope: Scope, resident_id: int | None) -> Resident | None:
    """A resident the viewer reaches on a grid where they manage the watchlist."""
    if resident_id is None:
        return None
    residents = Resident.objects.reached_by(scope).filter(scope.q("inspections.manage", "grid__path"))
    return residents.select_related("place", "grid").defer("grid__boundary").filter(pk=resident_id).first()


@login_required
def new_target(request: ScopedRequest) -> HttpResponse:
    """Put a place or a tagged resident on the watchlist. GET `place_q` narrows the places,
    `resident_q` looks residents up by name (masked), `resident` shows the chosen one."""
    require(request.scope, "inspections.manage")
    scope = request.scope
    data = request.POST if request.method == "POST" else request.GET
    categories = addable_categories(scope)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        errors, added = _add(request, dict(categories))
        if added is not None:
            messages.success(request, _("Added to the watchlist."))
            return redirect("inspections:watch_target", added.pk)
        status = 403 if "forbidden" in errors else 400
        errors.pop("forbidden", None)
    place_q = (request.GET.get("place_q") or "").strip()[:60]
    resident_q = (request.GET.get("resident_q") or "").strip()[:60]
    matches: list[Resident] = []
    if resident_q:
        try:
            found = look_up_residents(actor=request.user, scope=scope, text=resident_q)
        except DomainError as error:
            errors["resident_q"] = error.message
            status = 400
        else:
            matches = list(found.filter(scope.q("inspections.manage", "grid__path"))[:RESIDENT_MATCHES])
    places = _places(scope, place_q)
    chosen = _resident(scope, _int(data.get("resident")))
    return render(
        request,
        "inspections/watchlist/new.html",
        {
            "categories": [(code, label, CATEGORY_SUBJECT[code]) for code, label in categories],
            "tiers": Tier.choices,
            "staff": list(_on_duty(_grids(scope, "inspections.manage"), timezone.localdate())),
            "places": places[:PLACE_OPTIONS],
            "more_places": len(places) > PLACE_OPTIONS,
            "place_q": place_q,
            "resident_q": resident_q,
            "matches": [(r.pk, mask_name(r.name), r.place.name, r.grid.name) for r in matches],
            "chosen_resident": (mask_name(chosen.name), chosen.place.name, chosen.grid.name) if chosen else None,
            "values": data,
            "errors": errors,
        },
        status=status,
    )


def _add(request: ScopedRequest, categories: dict[str, str]) -> tuple[dict[str, str], WatchTarget | None]:
    """Check the posted form and call add_target: the new target, or the errors by field
    ("forbidden" marks a refusal for lack of permission). All problems of the form itself
    are shown at once; the action's own refusal comes alone, at its field."""
    scope, data = request.scope, request.POST
    errors: dict[str, str] = {}
    category = data.get("category", "")
    if category not in categories:
        errors["category"] = _("Unknown category.")
    if data.get("tier", "") not in Tier.values:
        errors["tier"] = _("Unknown risk tier.")
    worker_id = _int(data.get("worker"))
    worker = get_user_model().objects.filter(pk=worker_id, is_active=True).first() if worker_id else None
    if worker is None:
        errors["worker"] = _("Choose the responsible worker.")
    place = resident = None
    if category in categories and CATEGORY_SUBJECT[category] == Subject.PLACE:
        place_id = _int(data.get("place"))
        managed = Place.objects.filter(scope.q("inspections.manage", "grid__path"))
        place = managed.filter(pk=place_id).first() if place_id is not None else None
        if place is None:
            errors["place"] = _("Choose a place in your area.") if place_id is None else _("Unknown place.")
    elif category in categories:
        resident = _resident(scope, _int(data.get("resident")))
        if resident is None:
            errors["resident"] = _("Enter the number of a resident in your area.")
    if errors:
        return errors, None
    try:
        target = actions.add_target(
            actor=request.user,
            scope=scope,
            category=category,
            tier=data.get("tier", ""),
            worker=worker,
            place=place,
            resident=resident,
            note=data.get("note", ""),
            reason=data.get("reason", ""),
        )
    except DomainError as error:
        errors[error.field or "form"] = error.message
        if error.code == "forbidden":
            errors["forbidden"] = error.message
        return errors, None
    return {}, target
