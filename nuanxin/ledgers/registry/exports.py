"""A ledger as the .xlsx sheet a community office keeps, streamed with flat memory.

Layout: a title row (the reporting node and the ledger's title), the period, the reporting
unit (填报单位) and the time of export, the column header, the data rows, and a totals row.
Names are masked as on the page (the ledger's `cells` masks them). Rows are read from one
database cursor in chunks (`iter_cells`) and written by the shared `core.spreadsheets.SheetWriter`
(openpyxl write-only mode, formula-safe), which streams each row to a temporary file: memory
does not grow with the number of rows, and no cell is ever a formula. Every
export is audited (`ledgers.exported`, with the ledger, the filters and the row count).
"""

import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.styles import Font

from nuanxin.core import audit
from nuanxin.core.scoping import Scope
from nuanxin.core.spreadsheets import SheetWriter
from nuanxin.ledgers.registry.queries import Filters, Ledger
from nuanxin.territory.models import Area

# A district's year of visits fits; beyond it the sheet says it was cut and the totals row
# still counts every row of the selection.
MAX_EXPORT_ROWS = 200_000
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)


@dataclass
class LedgerExport:
    file: IO[bytes]  # the .xlsx, at position 0; deleted when closed
    rows: int
    truncated: bool
    filename: str


def reporting_unit(scope: Scope, ledger: Ledger, filters: Filters) -> str:
    """The node the sheet reports for: the chosen grid (with its community), else the
    node(s) where the viewer holds the ledger's permission."""
    if filters.grid:
        grid = (
            Area.objects.filter(scope.q(ledger.permission, "path"), pk=filters.grid)
            .select_related("parent")
            .only("name", "parent__name")
            .first()
        )
        if grid is not None:
            return f"{grid.parent.name}{grid.name}" if grid.parent else grid.name
    if scope.everything:
        return _("All areas")
    paths = scope.paths_for(ledger.permission)
    names = list(Area.objects.filter(path__in=paths).order_by("path").values_list("name", flat=True))
    return "、".join(names)


def period_text(filters: Filters, today: date) -> str:
    since = filters.since.isoformat() if filters.since else _("the beginning")
    until = (filters.until or today).isoformat()
    return _("Period: %(since)s to %(until)s") % {"since": since, "until": until}


@transaction.atomic
def export_ledger(
    *, actor: Any, scope: Scope, ledger: Ledger, filters: Filters, now: datetime | None = None
) -> LedgerExport:
    """The viewer's filtered ledger as an .xlsx in a temporary file, and a `ledgers.exported`
    audit entry with the ledger code, the filters and the row count. The caller checks
    ledgers.export and that the ledger is available to the viewer; the scope decides rows."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    columns = ledger.columns()
    unit = reporting_unit(scope, ledger, filters)
    totals = ledger.totals(scope, filters)

    sheet = SheetWriter(str(ledger.title))
    sheet.widths([14 if column.key not in ("subject", "parties", "title") else 24 for column in columns])
    sheet.append([f"{unit}{ledger.title}"], font=_TITLE)
    sheet.append([period_text(filters, local.date())])
    sheet.append(
        [
            _("Reporting unit: %(unit)s") % {"unit": unit},
            None,
            None,
            _("Exported: %(at)s") % {"at": local.strftime("%Y-%m-%d %H:%M")},
        ]
    )
    sheet.append([str(column.title) for column in columns], font=_BOLD)
    keys = [column.key for column in columns]
    written, truncated = 0, False
    for cell in ledger.iter_cells(scope, filters, limit=MAX_EXPORT_ROWS + 1):
        if written == MAX_EXPORT_ROWS:
            truncated = True
            break
        sheet.append([cell.get(key) for key in keys])
        written += 1
    totals_row = ledger.totals_row(totals)
    sheet.append([totals_row.get(key) for key in keys], font=_BOLD)
    if truncated:
        sheet.append(
            [
                _("Only the first %(n)d rows are listed: narrow the filters or the period for the rest.")
                % {"n": MAX_EXPORT_ROWS}
            ]
        )
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    sheet.save(out)
    out.seek(0)
    audit.record(
        "ledgers.exported",
        actor=actor,
        object_repr=f"ledger {ledger.code}",
        detail={"ledger": ledger.code, "filters": filters.active(), "rows": written, "truncated": truncated},
    )
    return LedgerExport(file=out, rows=written, truncated=truncated, filename=f"{ledger.code}-{local:%Y%m%d-%H%M}.xlsx")
