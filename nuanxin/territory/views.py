"""Territory pages: the tree, an area (a grid with its map, places and staff), places."""

import json
from datetime import date

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from nuanxin.core.access import get_in_scope_or_404, require, require_at
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.http import ScopedRequest
from nuanxin.core.spreadsheets import import_page, template_response
from nuanxin.core.validators import ascii_int
from nuanxin.territory import actions, imports
from nuanxin.territory.basemap import Box, find_places
from nuanxin.territory.basemap import basemap as basemap_features
from nuanxin.territory.forms import AssignStaffForm, BasemapForm, EndAssignmentForm, PlaceForm
from nuanxin.territory.models import Area, Place, StaffAssignment
from nuanxin.territory.queries import ancestor_paths, formula_gaps, places_for, staff_on, working_areas

MAP_PLACES = 2000


def _feature(area: Area) -> dict:
    return {
        "type": "Feature",
        "geometry": area.boundary,
        "properties": {"id": area.pk, "name": area.name, "level": area.level},
    }


def _place_points(places: list[Place]) -> list[dict]:
    labels = {value: str(label) for value, label in Place.Kind.choices}  # once, not per place
    return [{"id": p.pk, "name": p.name, "kind": labels[p.kind], "lng": p.lng, "lat": p.lat} for p in places]


@login_required
def tree(request: ScopedRequest) -> HttpResponse:
    require(request.scope, "territory.view")
    areas = list(working_areas(request.scope))
    children: dict[int | None, list[Area]] = {}
    ids = {a.pk for a in areas}
    for area in areas:
        key = area.parent_id if area.parent_id in ids else None
        children.setdefault(key, []).append(area)
    grids = [a for a in areas if a.level == Area.Level.GRID]
    return render(
        request,
        "territory/tree.html",
        {
            "roots": children.get(None, []),
            "children": children,
            "map_features": {"type": "FeatureCollection", "features": [_feature(g) for g in grids]},
            "map_points": [],
        },
    )


@login_required
def area_detail(request: ScopedRequest, area_id: int) -> HttpResponse:
    return _render_area(request, _working_area_or_404(request, area_id))


def _working_area_or_404(request: ScopedRequest, area_id: int) -> Area:
    area = get_in_scope_or_404(Area.objects.select_related("parent"), request.scope, pk=area_id)
    # Public areas have a name and a shape, but their page is for people who work there.
    require_at(request.scope, "territory.view", area, area.path)
    return area


def _render_area(
    request: ScopedRequest,
    area: Area,
    *,
    staff_form: AssignStaffForm | None = None,
    place_form: PlaceForm | None = None,
    basemap_form: BasemapForm | None = None,
    status: int = 200,
) -> HttpResponse:
    day = _day(request)
    scope = request.scope
    # One query for the table and the map; a community of 10,000 places shows its first 2,000.
    places = places_for(scope).filter(grid__path__startswith=area.path)
    mapped = list(places.order_by("kind", "name")[:MAP_PLACES])
    subareas = area.children.order_by("code")
    is_grid = area.level == Area.Level.GRID
    context = {
        "area": area,
        "ancestors": _ancestors(area),
        "subareas": subareas,
        "day": day,
        "place_count": len(mapped) if len(mapped) < MAP_PLACES else places.count(),
        "places": mapped[:200],
        "map_features": {
            "type": "FeatureCollection",
            "features": [_feature(area)] + [_feature(c) for c in subareas],
        },
        "map_points": _place_points(mapped),
    }
    if is_grid and scope.has_at("staffing.view", area.path):
        context["staff"] = staff_on(area, day)
        context["gaps"] = formula_gaps(area, day)
        if scope.has_at("staffing.manage", area.path):
            context["staff_form"] = staff_form or AssignStaffForm(initial={"starts_on": timezone.localdate()})
    if area.level == Area.Level.COMMUNITY and scope.has_at("territory.manage", area.path):
        context["basemap_form"] = basemap_form or BasemapForm()
        context["basemap_lines"] = area.basemap_lines.count()
    if is_grid and scope.has_at("places.manage", area.path):
        context["place_form"] = place_form or PlaceForm(initial={"lat": area.center_lat, "lng": area.center_lng})
    return render(request, "territory/area.html", context, status=status)


@login_required
@require_POST
def assign_staff(request: ScopedRequest, area_id: int) -> HttpResponse:
    grid = _working_area_or_404(request, area_id)
    require_at(request.scope, "staffing.manage", grid, grid.path)
    form = AssignStaffForm(request.POST)
    if form.is_valid():
        person = get_user_model().objects.filter(username=form.cleaned_data["username"].strip(), is_active=True).first()
        if person is None:
            form.add_error("username", _("No active account has this username."))
        else:
            try:
                actions.assign_staff(
                    actor=request.user,
                    scope=request.scope,
                    grid=grid,
                    person=person,
                    duty=form.cleaned_data["duty"],
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("%(person)s is assigned.") % {"person": person})
                return redirect("territory:area", grid.pk)
    return _render_area(request, grid, staff_form=form, status=400)


@login_required
@require_POST
def end_assignment(request: ScopedRequest, assignment_id: int) -> HttpResponse:
    assignment = get_in_scope_or_404(StaffAssignment.objects.select_related("grid"), request.scope, pk=assignment_id)
    require_at(request.scope, "staffing.manage", assignment, assignment.grid.path)
    form = EndAssignmentForm(request.POST)
    if form.is_valid():
        try:
            actions.end_assignment(
                actor=request.user, scope=request.scope, assignment=assignment, ends_on=form.cleaned_data["ends_on"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The assignment has ended."))
    else:
        messages.error(request, _("Enter the last day of the duty as a date."))
    return redirect("territory:area", assignment.grid_id)


@login_required
@require_POST
def add_place(request: ScopedRequest, area_id: int) -> HttpResponse:
    grid = _working_area_or_404(request, area_id)
    require_at(request.scope, "places.manage", grid, grid.path)
    form = PlaceForm(request.POST)
    if form.is_valid():
        try:
            place = actions.create_place(actor=request.user, scope=request.scope, **form.cleaned_data)
        except DomainError as exc:
            show_on_form(form, exc, {"location": "lat"})
        else:
            messages.success(request, _("%(place)s is added.") % {"place": place.name})
            return redirect("territory:place", place.pk)
    return _render_area(request, grid, place_form=form, status=400)


def _day(request: ScopedRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return timezone.localdate()


def _ancestors(area: Area) -> list[Area]:
    return list(Area.objects.filter(path__in=ancestor_paths(area.path)[:-1]).order_by("path"))


@login_required
def place_list(request: ScopedRequest) -> HttpResponse:
    qs = places_for(request.scope)
    kind = request.GET.get("kind", "")
    if kind in Place.Kind.values:
        qs = qs.filter(kind=kind)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(name__icontains=q)
    page = Paginator(qs.order_by("grid__path", "kind", "name"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "territory/places.html",
        {
            "page": page,
            "kinds": Place.Kind.choices,
            "kind": kind,
            "q": q,
            "can_import": request.scope.has("places.import"),
        },
    )


@login_required
def place_detail(request: ScopedRequest, place_id: int) -> HttpResponse:
    place = get_in_scope_or_404(Place.objects.select_related("grid"), request.scope, pk=place_id)
    return render(
        request,
        "territory/place.html",
        {
            "place": place,
            "map_points": _place_points([place]),
            # The compound a building sits in is shown only when the viewer may see it.
            "parent": Place.objects.visible_to(request.scope).filter(pk=place.parent_id).first()
            if place.parent_id
            else None,
            "map_features": {"type": "FeatureCollection", "features": [_feature(place.grid)]},
        },
    )


@login_required
def place_import(request: ScopedRequest) -> HttpResponse:
    require(request.scope, "places.import")
    return import_page(
        request,
        title=_("Import places"),
        columns=imports.COLUMNS,
        run=lambda upload: imports.import_places(actor=request.user, scope=request.scope, upload=upload),
        template_url=reverse("territory:import_places_template"),
        note=_("Any other column (contact, credit code, business type…) is kept with the place as it is written."),
    )


@login_required
def place_import_template(request: ScopedRequest) -> HttpResponse:
    require(request.scope, "places.import")
    return template_response(imports.COLUMNS, filename="places.xlsx", sheet_title="场所")


@login_required
@require_POST
def import_basemap(request: ScopedRequest, area_id: int) -> HttpResponse:
    community = _working_area_or_404(request, area_id)
    require_at(request.scope, "territory.manage", community, community.path)
    form = BasemapForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            data = json.loads(form.cleaned_data["file"].read())
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
            form.add_error("file", _("The file is not JSON: export it from your map tool as GeoJSON."))
        else:
            try:
                count = actions.import_basemap(actor=request.user, scope=request.scope, community=community, data=data)
            except DomainError as error:
                show_on_form(form, error)
            else:
                messages.success(request, _("The basemap now has %(n)d lines.") % {"n": count})
                return redirect("territory:area", community.pk)
    return _render_area(request, community, basemap_form=form, status=400)


def _bad_input(error: DomainError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=400)


@require_GET
def basemap(request: ScopedRequest) -> HttpResponse:
    """The basemap in a map's view, as GeoJSON, for anyone (territory/basemap.py): `bbox`
    (west,south,east,north) and `zoom` (0-22). The same for every viewer, so caches keep it."""
    try:
        box = Box.parse(request.GET.get("bbox", ""))
    except DomainError as error:
        return _bad_input(error)
    zoom = ascii_int(request.GET.get("zoom"), minimum=0, maximum=22)
    if zoom is None:
        return _bad_input(DomainError(_("The zoom must be a whole number from 0 to 22."), field="zoom"))
    response = JsonResponse(basemap_features(request.scope, box, zoom))
    # Shared caches keep the visitors' answers only: a signed-in viewer's may carry their
    # renewed session cookie (accounts.middleware's idle clock).
    kept_by = "private" if request.user.is_authenticated else "public"
    response["Cache-Control"] = f"{kept_by}, max-age=300"
    return response


@require_GET
def places_named(request: ScopedRequest) -> HttpResponse:
    """Compounds, buildings and public places whose name holds `q`, near the map's view
    (`bbox`), for a report made without GPS: anyone may ask, as they may read the basemap."""
    try:
        box = Box.parse(request.GET.get("bbox", ""))
    except DomainError as error:
        return _bad_input(error)
    return JsonResponse({"places": find_places(request.scope, request.GET.get("q", ""), near=box)})
