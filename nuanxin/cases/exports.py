"""The masked .xlsx export of the console's case list.

The same filters as the list and the map (`CaseFilters`), through the same scope. A reporter
shows masked (张**, 138****5678) and an anonymous report as "anonymous"; the description,
photos and the reporter's account are never exported. At most `MAX_EXPORT_ROWS` cases, the
newest first; a larger selection says so in the sheet's second row. Every export is audited
(`cases.exported` with the filters and the row count). The sheet is streamed, as every
export is, by the shared, formula-safe `core.spreadsheets.SheetWriter` into a temporary file
the response sends: the cases are read in chunks, so memory does not grow with the rows. An
address or a name typed as `=HYPERLINK(…)` arrives as text, never as a formula.
"""

import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.cases.filters import CaseFilters
from nuanxin.cases.models import Case
from nuanxin.cases.queries import territory_cases
from nuanxin.core import audit
from nuanxin.core.masking import mask_name, mask_phone
from nuanxin.core.scoping import Scope
from nuanxin.core.spreadsheets import SheetWriter

# Enough for a community's year (the demo community reports a few thousand a year); a
# street or district exports per community or per period.
MAX_EXPORT_ROWS = 10_000
# Cases read from the database at a time while the sheet is written.
EXPORT_CHUNK = 2_000


@dataclass(frozen=True)
class CaseExport:
    file: IO[bytes]  # the .xlsx, from its start
    rows: int
    truncated: bool
    filename: str


def _local(moment: datetime | None) -> datetime | None:
    """Excel has no time zones: local (Asia/Shanghai) wall time, naive."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _reporter(case: Case) -> tuple[str, str]:
    if case.anonymous:
        return _("anonymous"), ""
    name = case.reporter_name or (case.reporter.display_name if case.reporter else "")
    return mask_name(name), mask_phone(case.reporter_phone)


def _headers() -> list[str]:
    return [
        _("Number"),
        _("Reported at"),
        _("Class"),
        _("Grid"),
        _("Address"),
        _("State"),
        _("Closure"),
        _("Level"),
        _("Handler"),
        _("Deadline"),
        _("Closed at"),
        _("Satisfaction"),
        _("Channel"),
        _("Reporter"),
        _("Reporter's phone"),
    ]


def _row(case: Case) -> list[Any]:
    name, phone = _reporter(case)
    return [
        case.number,
        _local(case.reported_at),
        case.case_class.name,
        case.grid.name,
        case.address,
        case.get_state_display(),
        case.get_closure_display(),
        case.get_level_display(),
        str(case.handler) if case.handler else "",
        _local(case.deadline),
        _local(case.closed_at),
        case.satisfaction,
        case.get_channel_display(),
        name,
        phone,
    ]


def _title_rows(filters: CaseFilters, rows: int, truncated: bool, now: datetime) -> list[list[str]]:
    chosen = filters.chosen()
    since = chosen["since"] or _("the beginning")
    until = chosen["until"] or timezone.localtime(now).date().isoformat()
    title = _("Cases reported from %(since)s to %(until)s (exported %(at)s)") % {
        "since": since,
        "until": until,
        "at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
    }
    note = (
        _("Only the newest %(n)d cases are listed: narrow the filters or the period for the rest.")
        % {"n": MAX_EXPORT_ROWS}
        if truncated
        else _("%(n)d cases.") % {"n": rows}
    )
    return [[title], [note]]


@transaction.atomic
def export_cases(*, actor: Any, scope: Scope, filters: CaseFilters) -> CaseExport:
    """The viewer's filtered cases as an .xlsx (newest first, at most MAX_EXPORT_ROWS), and a
    `cases.exported` audit entry with the filters and the row count. The caller checks the
    permission (`cases.view`); the scope decides which cases, the filters narrow them, and
    their `now` is the moment the sheet is of."""
    now = filters.now
    filters.is_valid()
    selected = filters.filter_queryset(territory_cases(scope))
    # The title says how many: counted first (at most one more than listed), then streamed.
    counted = selected.order_by()[: MAX_EXPORT_ROWS + 1].count()
    truncated = counted > MAX_EXPORT_ROWS
    rows = min(counted, MAX_EXPORT_ROWS)
    sheet = SheetWriter(_("Cases"))
    for row in [*_title_rows(filters, rows, truncated, now), _headers()]:
        sheet.append(row)
    cases = selected.select_related("reporter").order_by("-reported_at", "-id")[:rows]
    for case in cases.iterator(chunk_size=EXPORT_CHUNK):
        sheet.append(_row(case))
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    sheet.save(out)
    out.seek(0)
    audit.record(
        "cases.exported",
        actor=actor,
        detail={"filters": filters.active(), "rows": rows, "truncated": truncated},
    )
    return CaseExport(
        file=out,
        rows=rows,
        truncated=truncated,
        filename=f"cases-{timezone.localtime(now):%Y%m%d-%H%M}.xlsx",
    )
