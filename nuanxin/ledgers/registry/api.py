"""The ledgers over the API: the list, one ledger's rows as JSON (the page's filters and
paging), its .xlsx export and an .xlsx import. The same registry and scope as the pages: a
ledger the caller may not open (the key-person ledger without people.view_key_person) is
the same 404 as an unknown code."""

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from nuanxin.core import ratelimit
from nuanxin.core.access import deny, require
from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.core.schemas import Count
from nuanxin.ledgers.registry.exports import export_ledger
from nuanxin.ledgers.registry.imports import columns_for, import_ledger
from nuanxin.ledgers.registry.queries import Filters, Ledger, ledger_or_404, ledgers_for, page_rows

router = Router(tags=["ledgers"])

MAX_LIMIT = 500


class LedgerOut(Schema):
    code: str
    title: str
    kind: str
    can_export: bool
    can_import: bool


class ColumnOut(Schema):
    key: str
    title: str


class RowsOut(Schema):
    code: str
    title: str
    columns: list[ColumnOut]
    count: int
    limit: int
    offset: int
    rows: list[list[str]]
    totals: dict[str, int]


class RowsQuery(Schema):
    from_: str = Field("", alias="from", description="First day, YYYY-MM-DD")
    to: str = Field("", description="Last day, YYYY-MM-DD")
    grid: str = Field("", description="Grid id")
    worker: str = Field("", description="Worker (visits), mediator (disputes) or organiser (campaigns) id")
    result: str = Field("", description="One of the ledger's results")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: Count = 0


class ImportErrorOut(Schema):
    row: int | None
    column: str
    reason: str


class ImportOut(Schema):
    imported: int


def _out(request: ScopedRequest, ledger: Ledger) -> dict[str, Any]:
    return {
        "code": ledger.code,
        "title": str(ledger.title),
        "kind": ledger.kind,
        "can_export": request.scope.has("ledgers.export"),
        "can_import": ledger.importable and request.scope.has("ledgers.import"),
    }


def _filters(ledger: Ledger, query: RowsQuery) -> Filters:
    filters = Filters.from_query(
        {"from": query.from_, "to": query.to, "grid": query.grid, "worker": query.worker, "result": query.result},
        ledger,
    )
    filters.raise_first_error()
    return filters


@router.get("", response=list[LedgerOut])
def list_ledgers(request: ScopedRequest) -> list[dict[str, Any]]:
    """The ledgers the caller may open (404 for a caller who may open none)."""
    ledgers = ledgers_for(request.scope)
    if not ledgers:
        raise deny(request.scope, "ledgers")
    return [_out(request, ledger) for ledger in ledgers]


@router.get("/{code}", response=RowsOut)
def ledger_rows(request: ScopedRequest, code: str, query: Query[RowsQuery]) -> dict[str, Any]:
    """A page of the ledger's rows (cells as text, names masked) with the totals of every
    row matching the filters; 400 naming a bad filter."""
    ledger = ledger_or_404(request.scope, code)
    filters = _filters(ledger, query)
    rows = ledger.queryset(request.scope, filters)
    return {
        "code": ledger.code,
        "title": str(ledger.title),
        "columns": [{"key": c.key, "title": str(c.title)} for c in ledger.columns()],
        "count": rows.count(),
        "limit": query.limit,
        "offset": query.offset,
        "rows": page_rows(ledger, request.scope, rows[query.offset : query.offset + query.limit]),
        "totals": ledger.totals(request.scope, filters),
    }


@router.get("/{code}/export", response={200: None})
def export(request: ScopedRequest, code: str, query: Query[RowsQuery]) -> FileResponse:
    """The filtered ledger as a masked .xlsx (needs ledgers.export; audited)."""
    ledger = ledger_or_404(request.scope, code)
    require(request.scope, "ledgers.export")
    ratelimit.limit(request, "export")
    result = export_ledger(actor=request.user, scope=request.scope, ledger=ledger, filters=_filters(ledger, query))
    return FileResponse(
        result.file,
        as_attachment=True,
        filename=result.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@router.post("/{code}/import", response={200: ImportOut, 400: dict})
def import_sheet(request: ScopedRequest, code: str, file: File[UploadedFile]) -> Any:
    """Import an office's ledger (.xlsx, multipart field "file"), all or nothing: 200 with the
    count, or 400 with every bad row, column and reason and nothing written."""
    ledger = ledger_or_404(request.scope, code)
    require(request.scope, "ledgers.import")
    try:
        columns_for(ledger)
    except DomainError:
        raise deny(request.scope, f"ledger import {code}") from None
    report = import_ledger(actor=request.user, scope=request.scope, ledger=ledger, upload=file)
    if report.ok:
        return Status(200, {"imported": report.imported})
    first = report.errors[0] if report.errors else None
    return Status(
        400,
        {
            "error": first.reason if first else _("Nothing was imported."),
            "field": "file",
            "code": "invalid",
            "count": report.error_count,
            "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in report.errors],
        },
    )
