"""Console pages over many cases: the filters they share (list, map, export), the case map
and its GeoJSON, the masked .xlsx export, and the figures page. All through the scope."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from nuanxin.cases.exports import MAX_EXPORT_ROWS, export_cases
from nuanxin.cases.figures import case_figures, chart_data, figure_nodes, node_or_404, parse_period
from nuanxin.cases.filters import STATE_CHOICES, CaseFilters
from nuanxin.cases.models import Case, CaseClass, Level
from nuanxin.core import ratelimit
from nuanxin.core.access import require
from nuanxin.core.http import ScopedRequest
from nuanxin.core.spreadsheets import XLSX_CONTENT_TYPE
from nuanxin.territory.models import Area
from nuanxin.territory.queries import figures_choice, working_areas

# The map draws the newest cases matching the filters, at most this many points.
MAP_POINTS = 2000
# The node menu of the figures page (the API takes any node in scope).
MAX_NODE_CHOICES = 500


def _class_groups() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(category code, category name, [(class code, class name)]) in catalogue order: one query."""
    groups: dict[str, tuple[str, str, list[tuple[str, str]]]] = {}
    classes = CaseClass.objects.select_related("category").order_by("category__order", "category__code", "code")
    for case_class in classes:
        category = case_class.category
        groups.setdefault(category.code, (category.code, category.name, []))[2].append(
            (case_class.code, case_class.name)
        )
    return list(groups.values())


def filter_context(request: ScopedRequest, filters: CaseFilters) -> dict[str, Any]:
    """What the shared filter form (cases/_filters.html) needs."""
    return {
        "chosen": filters.chosen(),
        "filter_errors": filters.field_errors,
        "query": filters.query_string(),
        "states": STATE_CHOICES,
        "levels": Level.choices,
        "channels": Case.Channel.choices,
        "class_groups": _class_groups(),
        "grids": working_areas(request.scope).filter(level=Area.Level.GRID).only("id", "name", "path"),
        "export_limit": MAX_EXPORT_ROWS,
    }


@login_required
def case_map(request: ScopedRequest) -> HttpResponse:
    """The filtered cases as points over the viewer's grids; the points come from map_geojson."""
    require(request.scope, "cases.view")
    filters = CaseFilters(request.GET, scope=request.scope)
    grids = working_areas(request.scope).filter(level=Area.Level.GRID).only("id", "name", "level", "boundary")
    features = [
        {"type": "Feature", "geometry": g.boundary, "properties": {"id": g.pk, "name": g.name, "level": g.level}}
        for g in grids
    ]
    source = reverse("cases:map_geojson") + (f"?{filters.query_string()}" if filters.active() else "")
    return render(
        request,
        "cases/map.html",
        filter_context(request, filters)
        | {
            "map_features": {"type": "FeatureCollection", "features": features},
            "geojson_url": source,
            "map_limit": MAP_POINTS,
        },
        status=400 if filters.field_errors else 200,
    )


@login_required
def map_geojson(request: ScopedRequest) -> JsonResponse:
    """The filtered cases in scope as GeoJSON points, newest first, at most MAP_POINTS.
    Number, class, state and flags only: never the reporter or the description."""
    require(request.scope, "cases.view")
    filters = CaseFilters(request.GET, scope=request.scope)
    if filters.field_errors:
        field, message = next(iter(filters.field_errors.items()))
        return JsonResponse({"error": message, "field": field, "code": "invalid"}, status=400)
    now = filters.now
    rows = list(
        filters.qs.order_by("-reported_at", "-id").values(
            "id", "number", "lng", "lat", "state", "urgent", "deadline", "case_class__name"
        )[: MAP_POINTS + 1]
    )
    states = {value: str(label) for value, label in Case.State.choices}
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["lng"], row["lat"]]},
            "properties": {
                "id": row["id"],
                "number": row["number"],
                "class": row["case_class__name"],
                "state": states[row["state"]],
                "emergency": row["urgent"],  # an open emergency
                "overdue": row["deadline"] is not None and row["deadline"] < now,
                "url": reverse("cases:detail", args=[row["id"]]),
            },
        }
        for row in rows[:MAP_POINTS]
    ]
    return JsonResponse(
        {"type": "FeatureCollection", "features": features, "truncated": len(rows) > MAP_POINTS, "limit": MAP_POINTS}
    )


@login_required
def export(request: ScopedRequest) -> HttpResponse | FileResponse:
    """The filtered cases as a masked .xlsx (see cases/exports.py); audited."""
    require(request.scope, "cases.view")
    filters = CaseFilters(request.GET, scope=request.scope)
    if filters.field_errors:
        field, message = next(iter(filters.field_errors.items()))
        return HttpResponse(f"{field}: {message}", status=400, content_type="text/plain; charset=utf-8")
    ratelimit.limit(request, "export")
    result = export_cases(actor=request.user, scope=request.scope, filters=filters)
    return FileResponse(result.file, as_attachment=True, filename=result.filename, content_type=XLSX_CONTENT_TYPE)


@login_required
def figures(request: ScopedRequest) -> HttpResponse:
    """Figures for a node of the viewer's territory and a period (cases/figures.py)."""
    require(request.scope, "cases.view")
    choice = figures_choice(
        request.GET, node_or_404=lambda node: node_or_404(request.scope, node), parse_period=parse_period
    )
    result = case_figures(scope=request.scope, node=choice.node, since=choice.since, until=choice.until)
    return render(
        request,
        "cases/figures.html",
        {
            "figures": result,
            "charts": chart_data(result),
            "tallies": [
                (_("By class"), result.by_class),
                (_("By grid"), result.by_grid),
                (_("By level"), result.by_level),
                (_("By channel"), result.by_channel),
            ],
            "nodes": figure_nodes(request.scope)[:MAX_NODE_CHOICES],
            "chosen": choice.chosen,
            "errors": choice.errors,
            "title": _("Case figures"),
        },
        status=400 if choice.errors else 200,
    )
