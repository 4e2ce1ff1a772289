"""The ledger pages: the ledgers a viewer may open, one ledger with its filters (kept in the
query string, so a view is bookmarked by its address), totals and a paged table, and its
.xlsx export and import. Everything reads through registry.py, the same as the API."""

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from nuanxin.core import ratelimit
from nuanxin.core.access import deny, require
from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.core.spreadsheets import Column, import_page, template_response
from nuanxin.ledgers.registry.exports import export_ledger
from nuanxin.ledgers.registry.imports import columns_for, import_ledger
from nuanxin.ledgers.registry.queries import Filters, Ledger, ledger_or_404, ledgers_for, page_rows
from nuanxin.territory.models import Area

PAGE_SIZE = 50


def grids_for(request: ScopedRequest, ledger: Ledger) -> Any:
    return Area.objects.filter(request.scope.q(ledger.permission, "path"), level=Area.Level.GRID).only("name")


def workers_for(grids: Any) -> Any:
    """Everyone who has been on the staff of these grids (the worker filter's choices)."""
    return (
        get_user_model()
        .objects.filter(assignments__grid__in=grids)
        .distinct()
        .only("username", "display_name")
        .order_by("display_name", "username")
    )


def can_import(request: ScopedRequest, ledger: Ledger) -> bool:
    return ledger.importable and request.scope.has("ledgers.import")


@login_required
def index(request: ScopedRequest) -> HttpResponse:
    """The ledgers this viewer may open; 404 for someone who may open none."""
    ledgers = ledgers_for(request.scope)
    if not ledgers:
        raise deny(request.scope, "ledgers")
    rows = [{"ledger": ledger, "can_import": can_import(request, ledger)} for ledger in ledgers]
    return render(
        request,
        "ledgers/ledgers/index.html",
        {
            "rows": rows,
            "can_export": request.scope.has("ledgers.export"),
            "can_disputes": request.scope.has("disputes.view"),
            "can_activities": request.scope.has("activities.view"),
            "can_inspections": request.scope.has("inspections.view"),
        },
    )


@login_required
def ledger_page(request: ScopedRequest, code: str) -> HttpResponse:
    """One ledger: filters, totals and a page of rows; a bad filter is shown at its field."""
    ledger = ledger_or_404(request.scope, code)
    filters = Filters.from_query(request.GET, ledger)
    paginator = Paginator(ledger.queryset(request.scope, filters), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = page_rows(ledger, request.scope, page.object_list)
    totals = ledger.totals(request.scope, filters)
    totals_row = ledger.totals_row(totals)
    columns = ledger.columns()
    grids = grids_for(request, ledger)
    query = urlencode(filters.active())
    chosen = {name: str(request.GET.get(name, "")).strip() for name in Filters.PARAMS}
    return render(
        request,
        "ledgers/ledgers/ledger.html",
        {
            "ledger": ledger,
            "columns": columns,
            "rows": rows,
            "totals": [totals_row.get(c.key) for c in columns],
            "page": page,
            "grids": grids,
            "workers": workers_for(grids),
            "results": ledger.result_choices(),
            "chosen": chosen,
            "filter_errors": filters.errors,
            "query": query,
            "can_export": request.scope.has("ledgers.export"),
            "can_import": can_import(request, ledger),
        },
        status=400 if filters.errors else 200,
    )


@login_required
def export(request: ScopedRequest, code: str) -> HttpResponse | FileResponse:
    """The filtered ledger as a masked .xlsx; needs ledgers.export. Audited."""
    ledger = ledger_or_404(request.scope, code)
    require(request.scope, "ledgers.export")
    filters = Filters.from_query(request.GET, ledger)
    if filters.errors:
        field, message = next(iter(filters.errors.items()))
        return HttpResponse(f"{field}: {message}", status=400, content_type="text/plain; charset=utf-8")
    ratelimit.limit(request, "export")
    result = export_ledger(actor=request.user, scope=request.scope, ledger=ledger, filters=filters)
    return FileResponse(
        result.file,
        as_attachment=True,
        filename=result.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _importable(request: ScopedRequest, code: str) -> tuple[Ledger, tuple[Column, ...]]:
    ledger = ledger_or_404(request.scope, code)
    require(request.scope, "ledgers.import")
    try:
        return ledger, columns_for(ledger)
    except DomainError:
        raise deny(request.scope, f"ledger import {code}") from None


@login_required
def import_view(request: ScopedRequest, code: str) -> HttpResponse:
    """Upload an office's ledger; all or nothing, with every bad row, column and reason."""
    ledger, columns = _importable(request, code)
    return import_page(
        request,
        title=_("Import: %(ledger)s") % {"ledger": ledger.title},
        columns=columns,
        run=lambda upload: import_ledger(actor=request.user, scope=request.scope, ledger=ledger, upload=upload),
        template_url=reverse("ledgers:import_template", args=[ledger.code]),
        note=_("Formulas, HTML and scripts are refused; a file is at most 20 MB and 100,000 rows."),
    )


@login_required
def import_template(request: ScopedRequest, code: str) -> HttpResponse:
    """An empty sheet with the header row of this ledger's import."""
    ledger, columns = _importable(request, code)
    return template_response(columns, filename=f"{ledger.code}-template.xlsx", sheet_title=str(ledger.title)[:31])
