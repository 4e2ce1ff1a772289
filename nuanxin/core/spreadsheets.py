"""Importing rows from the .xlsx sheets offices already keep, all or nothing.

A sheet is read in streaming mode (openpyxl read-only, values only), so a large file never
sits in memory as a whole. Its header row is found by the column titles (Chinese, with
English aliases; spaces, `*` marks and bracketed notes ignored). Each data row is parsed
by its `Column`s and handed to a handler that calls the domain's actions; every refusal
becomes a `RowError(row, column, reason)`. When any row is refused, nothing is written:
the whole import runs in one transaction that is rolled back, audit entries included.

This module knows nothing of the domain: the importers (`territory/imports.py`,
`people/imports.py`) say which columns there are and what to do with a row.

Every export writes its sheet through `SheetWriter` (below), which never writes a formula.
"""

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from nuanxin.core.errors import DomainError

MAX_BYTES = 20 * 1024 * 1024
# Rows run through the actions inside the request (a few hundred a second), so one file is
# capped at what finishes within the server's timeout (300 s under `make run`).
MAX_ROWS = 20_000
# An .xlsx is a zip: refuse one that would inflate past this (a "zip bomb"), since openpyxl
# reads the shared-strings part into memory whole.
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
# Errors kept for the result page; beyond this only the count grows.
MAX_LISTED_ERRORS = 1000
# How far down the header row is looked for (offices put a title and notes above it).
HEADER_SEARCH_ROWS = 20
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls and password-protected workbooks
_ZIP_MAGIC = b"PK\x03\x04"
_BRACKETED = re.compile(r"[(（\[【].*?[)）\]】]")
# Excel keeps numbers as doubles: past 15 digits the last ones are already lost.
_EXACT_DIGITS = 10**15


@dataclass(frozen=True)
class Column:
    """One column of an import sheet.

    key: the name the handler reads the value by (and a DomainError's `field` maps to).
    titles: accepted header titles, the first being the one templates show.
    parse: turns the cell's text into a value, raising DomainError (message only) when it cannot.
    """

    key: str
    titles: tuple[str, ...]
    required: bool = False
    parse: Callable[[str], Any] | None = None
    help: str | Promise = ""

    @property
    def title(self) -> str:
        return self.titles[0]


@dataclass(frozen=True)
class RowError:
    row: int | None  # the sheet's row number as Excel shows it; None for the file as a whole
    column: str  # the column's title as written in the file; "" for the row as a whole
    reason: str


@dataclass
class SheetRow:
    number: int
    values: dict[str, Any]  # every column key; None where the cell is empty
    extra: dict[str, str]  # cells under headers no Column claims, by header title (non-empty only)


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    imported: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def unlisted_errors(self) -> int:
        return self.error_count - len(self.errors)

    def add(self, row: int | None, column: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(RowError(row, column, str(reason)))


def normalize_title(title: Any) -> str:
    """Titles "* 身份证号 （必填）" and "身份证号" match; English titles match in any case."""
    text = _BRACKETED.sub("", str(title or ""))
    return "".join(text.split()).replace("*", "").casefold()


def cell_text(value: Any) -> str:
    """A cell's value as the text a person typed: 13812345678, not 13812345678.0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            if abs(value) >= _EXACT_DIGITS:
                raise DomainError(
                    _("This long number was stored as a number and lost its last digits; format the column as text.")
                )
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return " ".join(str(value).split())


_PLAIN_TYPES = (str, int, float, bool, date, time, datetime, Decimal, type(None))
# An HTML tag or comment, or a script URL: never what an office types into a register.
_MARKUP = re.compile(r"<\s*[a-zA-Z!/?]|javascript\s*:|vbscript\s*:", re.IGNORECASE)


def is_formula(value: Any) -> bool:
    """A formula cell as openpyxl reads it without cached values: text starting with "="
    (which is also how a text cell that would become a formula in another program starts),
    or an array/table formula object."""
    return (isinstance(value, str) and value.lstrip().startswith("=")) or not isinstance(value, _PLAIN_TYPES)


def refuse_markup(text: str) -> None:
    """Refuse a cell holding HTML or a script (a `check_text` for SheetReader)."""
    if _MARKUP.search(text):
        raise DomainError(_("HTML or scripts are not accepted in a cell."))


def parse_number(text: str) -> float:
    """A decimal number, e.g. a longitude (full-width digits and a decimal comma accepted)."""
    try:
        return float(text.replace(",", ".").replace("，", "."))
    except ValueError:
        raise DomainError(_("Not a number: %(text)s.") % {"text": text[:40]}) from None


class SheetReader:
    """Reads the first worksheet of an .xlsx upload, reporting into `report`."""

    def __init__(
        self,
        columns: Sequence[Column],
        report: ImportReport,
        *,
        keep_extra: bool = False,
        max_bytes: int = MAX_BYTES,
        max_rows: int = MAX_ROWS,
        refuse_formulas: bool = False,
        check_text: Callable[[str], None] | None = None,
    ) -> None:
        self.columns = list(columns)
        self.report = report
        self.keep_extra = keep_extra
        self.max_bytes = max_bytes
        self.max_rows = max_rows
        # Read formulas as written (not their cached values) and refuse them, cell by cell.
        self.refuse_formulas = refuse_formulas
        # Called with every non-empty cell's text before it is parsed; raises DomainError.
        self.check_text = check_text
        self.titles: dict[str, str] = {}  # column key -> title as found in the file

    def title_of(self, key: str) -> str:
        column = next((c for c in self.columns if c.key == key), None)
        return self.titles.get(key) or (column.title if column else "")

    def rows(self, upload: Any) -> Iterator[SheetRow]:
        """The data rows that parsed cleanly; every other problem goes into the report."""
        if not self._looks_like_xlsx(upload):
            return
        try:
            workbook = load_workbook(upload, read_only=True, data_only=not self.refuse_formulas)
        except Exception:  # openpyxl raises many kinds (KeyError, ValueError, XML errors) on a broken file
            self.report.add(None, "", _("The file cannot be read as an .xlsx workbook."))
            return
        try:
            yield from self._rows(workbook.worksheets[0].iter_rows(values_only=True))
        except Exception:  # a part of the zip that turns out broken halfway through the sheet
            self.report.add(None, "", _("The file cannot be read as an .xlsx workbook."))
        finally:
            workbook.close()

    def _looks_like_xlsx(self, upload: Any) -> bool:
        size = getattr(upload, "size", None)
        if size is not None and size > self.max_bytes:
            self.report.add(
                None,
                "",
                _("The file is larger than %(mb)d MB; split it into smaller files.")
                % {"mb": self.max_bytes // (1024 * 1024)},
            )
            return False
        upload.seek(0)
        magic = upload.read(4)
        upload.seek(0)
        if magic == _OLE_MAGIC:
            self.report.add(
                None,
                "",
                _("This is an old .xls file or a password-protected workbook; save it as .xlsx without a password."),
            )
            return False
        try:
            if magic != _ZIP_MAGIC:
                raise zipfile.BadZipFile
            with zipfile.ZipFile(upload) as archive:
                inflated = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            self.report.add(None, "", _("The file is not an .xlsx workbook (Excel 2007 or later)."))
            return False
        finally:
            upload.seek(0)
        if inflated > MAX_UNCOMPRESSED_BYTES:
            self.report.add(None, "", _("The workbook is too large once unpacked; split it into smaller files."))
            return False
        return True

    def _rows(self, raw_rows: Iterator[tuple[Any, ...]]) -> Iterator[SheetRow]:
        header: dict[int, Column | str] | None = None
        data_rows = 0
        for number, cells in enumerate(raw_rows, start=1):
            if header is None:
                header = self._header(cells, number)
                if header is None and number >= HEADER_SEARCH_ROWS:
                    break
                if header is not None and not self._header_is_complete(header, number):
                    return
                continue
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue  # blank rows are common at the end of office sheets
            data_rows += 1
            if data_rows > self.max_rows:
                self.report.add(
                    number,
                    "",
                    _("The sheet has more than %(n)d rows; split it into smaller files.") % {"n": self.max_rows},
                )
                return
            row = self._parse(number, cells, header)
            if row is not None:
                yield row
        if header is None:
            self.report.add(
                None,
                "",
                _("No header row found: one of the first rows must name the columns (%(titles)s).")
                % {"titles": "、".join(c.title for c in self.columns)},
            )
        elif data_rows == 0:
            self.report.add(None, "", _("The sheet has no rows below its header."))

    def _header(self, cells: tuple[Any, ...], number: int) -> dict[int, Column | str] | None:
        """Column index -> Column (or the header text of an extra column), if this row is the header."""
        by_title = {normalize_title(t): c for c in self.columns for t in c.titles}
        header: dict[int, Column | str] = {}
        for index, cell in enumerate(cells):
            title = " ".join(str(cell).split()) if cell is not None else ""
            if normalize_title(title):
                header[index] = by_title.get(normalize_title(title)) or title
        if not any(isinstance(h, Column) for h in header.values()):
            return None
        seen: dict[tuple[str, str], str] = {}
        for index, where in header.items():
            title = " ".join(str(cells[index]).split())
            identity = ("column", where.key) if isinstance(where, Column) else ("extra", normalize_title(where))
            if identity in seen:
                self.report.add(
                    number, title, _("This column appears twice (also as %(other)s).") % {"other": seen[identity]}
                )
            seen[identity] = title
            if isinstance(where, Column):
                self.titles[where.key] = title
        return header

    def _header_is_complete(self, header: dict[int, Column | str], number: int) -> bool:
        found = {h.key for h in header.values() if isinstance(h, Column)}
        for column in self.columns:
            if column.required and column.key not in found:
                self.report.add(number, column.title, _("This required column is missing."))
        if not self.keep_extra:
            self.report.ignored_columns = [h for h in header.values() if isinstance(h, str)]
        return self.report.ok

    def _parse(self, number: int, cells: tuple[Any, ...], header: dict[int, Column | str]) -> SheetRow | None:
        row = SheetRow(number=number, values={c.key: None for c in self.columns}, extra={})
        refused = False
        for index, where in header.items():
            if isinstance(where, str) and not self.keep_extra:
                continue
            title = where if isinstance(where, str) else self.titles[where.key]
            try:
                cell = cells[index] if index < len(cells) else None
                if self.refuse_formulas and is_formula(cell):
                    raise DomainError(_("Formulas are not accepted: type the value itself."))
                text = cell_text(cell)
                if text and self.check_text is not None:
                    self.check_text(text)
                if isinstance(where, str):
                    if text:
                        row.extra[where] = text
                elif text:
                    row.values[where.key] = where.parse(text) if where.parse else text
                elif where.required:
                    raise DomainError(_("This cell is required."))
            except DomainError as error:
                self.report.add(number, title, error.message)
                refused = True
        return None if refused else row


def run_import(
    upload: Any,
    columns: Sequence[Column],
    handle: Callable[[SheetRow], object],
    *,
    field_columns: Mapping[str, str | tuple[str, ...]] | None = None,
    keep_extra: bool = False,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    refuse_formulas: bool = False,
    check_text: Callable[[str], None] | None = None,
) -> ImportReport:
    """Hand every row of the upload to `handle` (which calls actions) in one transaction.

    A DomainError from a row is reported against the column its `field` names (through
    `field_columns`, else a column with that key). Each row runs in a savepoint so a refused
    row leaves the transaction usable and the next rows are still checked; at the end, if
    any row was refused, everything is rolled back and the report says why, row by row.
    """
    report = ImportReport()
    reader = SheetReader(
        columns,
        report,
        keep_extra=keep_extra,
        max_bytes=max_bytes,
        max_rows=max_rows,
        refuse_formulas=refuse_formulas,
        check_text=check_text,
    )
    with transaction.atomic():
        for row in reader.rows(upload):
            try:
                with transaction.atomic():
                    handle(row)
            except DomainError as error:
                report.add(row.number, _column_for(reader, error.field, field_columns or {}), error.message)
            else:
                report.imported += 1
        if not report.ok:
            transaction.set_rollback(True)
    if not report.ok:
        report.imported = 0
    return report


def _column_for(
    reader: SheetReader, error_field: str | None, field_columns: Mapping[str, str | tuple[str, ...]]
) -> str:
    keys = field_columns.get(error_field or "", error_field or "")
    keys = (keys,) if isinstance(keys, str) else keys
    return "、".join(title for title in (reader.title_of(k) for k in keys if k) if title)


# Exports ---------------------------------------------------------------------------------

# Text starting with one of these is taken for a formula by Excel, LibreOffice or Google
# Sheets somewhere along the way (OWASP "CSV injection": =, +, -, @, tab, carriage return).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Written as they are: numbers stay numbers (a negative count is not text), dates stay dates.
_DATA_TYPES = (int, float, Decimal, date, time, datetime, type(None))  # bool is an int


def sheet_text(value: str) -> str:
    """Text as an export cell holds it: characters XML cannot hold dropped, and text that a
    spreadsheet program would take for a formula prefixed with a single quote (see SheetWriter)."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


class SheetWriter:
    """One sheet of an export, streamed (openpyxl write-only: memory does not grow with the
    rows), whose cells are always data and never formulas. Every export writes through it.

    Text that begins with =, +, -, @, a tab or a carriage return is written as an explicit
    string cell (data type "s") with a single quote before it. Why both: a string cell is
    not evaluated when Excel or LibreOffice opens the file, but the text becomes a live
    formula as soon as someone edits the cell (F2, Enter), pastes it into another sheet,
    saves the sheet as CSV and opens that, or loads it into a tool that re-types text; and
    openpyxl itself writes any text beginning with "=" as a formula unless told otherwise.
    The quote is OWASP's advice and keeps the text inert on every one of those paths; its
    cost is one visible character in the rare cell that starts that way ('=HYPERLINK(…)),
    which also shows the reader that the value was neutralised. Numbers, dates, booleans
    and empty cells are written as they are; anything else is written as its text.
    """

    def __init__(self, title: str) -> None:
        self.workbook = Workbook(write_only=True)
        # A sheet title holds at most 31 characters, none of []:*?/\ and no quote at either end.
        clean = "".join(c for c in ILLEGAL_CHARACTERS_RE.sub("", str(title)) if c not in "[]:*?/\\")
        clean = clean[:31].strip("'")
        self.sheet = self.workbook.create_sheet(clean or "Sheet1")

    def value(self, value: Any, *, font: Font | None = None) -> Any:
        """What openpyxl is given for one cell."""
        if isinstance(value, _DATA_TYPES) and font is None:
            return value
        if not isinstance(value, _DATA_TYPES):
            text = str(value)
            value = sheet_text(text)
            if value == text and font is None:
                return value  # plain text: openpyxl writes a string cell by itself
        cell = WriteOnlyCell(self.sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        return cell

    def append(self, row: Iterable[Any], *, font: Font | None = None) -> None:
        self.sheet.append([self.value(value, font=font) for value in row])

    def widths(self, widths: Sequence[float]) -> None:
        """Column widths, in characters; before the first row is appended."""
        for index, width in enumerate(widths):
            self.sheet.column_dimensions[get_column_letter(index + 1)].width = width

    def save(self, target: IO[bytes]) -> None:
        self.workbook.save(target)

    def content(self) -> bytes:
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()


def workbook_bytes(rows: Iterable[Sequence[Any]], *, sheet_title: str = "Sheet1") -> bytes:
    """An .xlsx holding `rows` on one sheet, written formula-safe through SheetWriter."""
    writer = SheetWriter(sheet_title)
    for row in rows:
        writer.append(row)
    return writer.content()


def xlsx_response(data: bytes, *, filename: str, private: bool = False) -> HttpResponse:
    """An .xlsx download named `filename` (any characters, sent RFC 5987-encoded); `private`
    for a file with personal data, which no cache may keep."""
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    if private:
        response["Cache-Control"] = "private, no-store"
    return response


def template_response(columns: Sequence[Column], *, filename: str, sheet_title: str) -> HttpResponse:
    """An empty .xlsx with the header row, to fill in and import."""
    return xlsx_response(workbook_bytes([[c.title for c in columns]], sheet_title=sheet_title), filename=filename)


def import_page(
    request: HttpRequest,
    *,
    title: str | Promise,
    columns: Sequence[Column],
    run: Callable[[Any], ImportReport],
    template_url: str,
    note: str | Promise = "",
) -> HttpResponse:
    """The upload form and, after a POST, the result: every error as (row, column, reason),
    or a redirect back with "N rows imported" so a reload cannot import twice."""
    context: dict[str, Any] = {"title": title, "columns": columns, "template_url": template_url, "note": note}
    if request.method != "POST":
        return render(request, "core/import.html", context)
    upload = request.FILES.get("file")
    if upload is None:
        context["file_error"] = _("Choose an .xlsx file to import.")
        return render(request, "core/import.html", context, status=400)
    report = run(upload)
    if report.ok:
        messages.success(
            request, ngettext("%(n)d row imported.", "%(n)d rows imported.", report.imported) % {"n": report.imported}
        )
        if report.ignored_columns:
            messages.info(
                request, _("Columns not imported: %(titles)s") % {"titles": "、".join(report.ignored_columns)}
            )
        return redirect(request.path)
    context["report"] = report
    return render(request, "core/import.html", context, status=400)
