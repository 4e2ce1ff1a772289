"""Reading office sheets and the all-or-nothing import, and the formula-safe export writer,
without any domain."""

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from openpyxl.styles import Font

from nuanxin.core import audit
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.core.spreadsheets import (
    Column,
    ImportReport,
    SheetReader,
    SheetRow,
    SheetWriter,
    cell_text,
    parse_number,
    run_import,
    workbook_bytes,
)

COLUMNS = (
    Column("name", ("姓名", "name"), required=True),
    Column("size", ("数量", "size"), parse=parse_number),
)


def upload(rows: list[list]) -> SimpleUploadedFile:
    return SimpleUploadedFile("sheet.xlsx", workbook_bytes(rows))


def read(data: SimpleUploadedFile, *, keep_extra: bool = False, **caps: int) -> tuple[list[SheetRow], ImportReport]:
    report = ImportReport()
    rows = list(SheetReader(COLUMNS, report, keep_extra=keep_extra, **caps).rows(data))
    return rows, report


def test_header_is_found_below_a_title_row_and_matched_despite_spaces_marks_and_aliases():
    rows, report = read(
        upload([["某某社区名册", "某某社区名册"], [], [" * 姓 名（必填）", "SIZE", "备注"], ["张三", 3, "x"]])
    )
    assert report.ok
    assert [(r.number, r.values) for r in rows] == [(4, {"name": "张三", "size": 3.0})]
    assert report.ignored_columns == ["备注"]


def test_extra_columns_are_kept_when_asked():
    rows, _report = read(upload([["姓名", "联系人", "空列"], ["张三", "李四", None]]), keep_extra=True)
    assert rows[0].extra == {"联系人": "李四"}


def test_bad_cells_are_named_by_row_column_and_reason_and_blank_rows_skipped():
    rows, report = read(upload([["姓名", "数量"], ["张三", "many"], [None, None], [None, 2], ["王五", 1]]))
    assert [r.number for r in rows] == [5]
    assert [(e.row, e.column) for e in report.errors] == [(2, "数量"), (4, "姓名")]
    assert "many" in report.errors[0].reason


def test_missing_required_column_is_reported_against_the_header_row():
    rows, report = read(upload([["数量"], [1]]))
    assert rows == []
    assert [(e.row, e.column) for e in report.errors] == [(1, "姓名")]


def test_a_sheet_without_a_header_or_rows_is_refused():
    assert not read(upload([["nothing", "here"], ["张三"]]))[1].ok
    _rows, report = read(upload([["姓名"]]))
    assert report.error_count == 1 and report.errors[0].row is None


def test_duplicated_column_is_refused():
    _rows, report = read(upload([["姓名", "name", "备注", "备 注"], ["张三", "张三"]]))
    assert [(e.row, e.column) for e in report.errors] == [(1, "name"), (1, "备 注")]


@pytest.mark.parametrize(
    "content",
    [b"name,size\n\xe5\xbc\xa0,1\n", b"\xd0\xcf\x11\xe0" + b"\0" * 500, b"PK\x03\x04broken", b""],
    ids=["csv", "xls", "broken-zip", "empty"],
)
def test_a_file_that_is_not_an_xlsx_gives_one_clear_error(content):
    rows, report = read(SimpleUploadedFile("sheet.xlsx", content))
    assert rows == [] and report.error_count == 1
    assert report.errors[0].row is None and ".xls" in report.errors[0].reason


def test_a_zip_that_is_not_a_workbook_gives_one_clear_error():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    rows, report = read(SimpleUploadedFile("sheet.xlsx", buffer.getvalue()))
    assert rows == [] and report.error_count == 1


def test_size_and_row_caps_are_clear_errors():
    data = upload([["姓名"]] + [[f"人{i}"] for i in range(5)])
    assert "MB" in read(data, max_bytes=100)[1].errors[0].reason
    rows, report = read(data, max_rows=3)
    assert report.errors[0].row == 5 and "3" in report.errors[0].reason


def test_long_numbers_that_excel_rounded_are_refused_and_phones_read_as_typed():
    assert cell_text(13812345678) == "13812345678"
    assert cell_text(13812345678.0) == "13812345678"
    with pytest.raises(DomainError):
        cell_text(1.1010519491231201e17)


def _record(row: SheetRow) -> None:
    audit.record("test.row", detail={"name": row.values["name"]})
    if row.values["name"].startswith("坏"):
        raise DomainError("refused", field="size")


def test_import_of_valid_rows_writes_them_all(db):
    report = run_import(upload([["姓名"], ["甲"], ["乙"]]), COLUMNS, _record)
    assert report.ok and report.imported == 2
    assert AuditEntry.objects.filter(action="test.row").count() == 2


def test_import_with_bad_rows_reports_each_and_writes_nothing(db):
    before = AuditEntry.objects.count()
    report = run_import(upload([["姓名", "数量"], ["甲", 1], ["坏一", 2], ["乙", 3], ["坏二", 4]]), COLUMNS, _record)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [(3, "数量", "refused"), (5, "数量", "refused")]
    assert report.imported == 0
    assert AuditEntry.objects.count() == before


def test_field_names_map_to_columns(db):
    def refuse(row: SheetRow) -> None:
        raise DomainError("no", field="location")

    report = run_import(
        upload([["姓名", "数量"], ["甲", 1]]), COLUMNS, refuse, field_columns={"location": ("name", "size")}
    )
    assert report.errors[0].column == "姓名、数量"


# The export writer: every cell is data, never a formula ----------------------------------

HOSTILE = [
    '=HYPERLINK("http://evil.example","click me")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=****",
]


def _cells(content: bytes) -> list:
    return [cell for row in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows() for cell in row]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_a_spreadsheet_would_run_is_written_as_quoted_text(text):
    (cell,) = _cells(workbook_bytes([[text]]))
    assert cell.data_type == "s"
    assert cell.value == "'" + text


def test_numbers_dates_and_plain_text_are_written_as_they_are():
    row = [-3, 2.5, Decimal("-1.5"), True, date(2024, 3, 5), datetime(2024, 3, 5, 8, 30), "张三 = 李四", "a-b"]
    cells = _cells(workbook_bytes([row]))
    assert [c.data_type for c in cells[:4]] == ["n", "n", "n", "b"]
    assert [c.value for c in cells] == [
        -3,
        2.5,
        -1.5,
        True,
        datetime(2024, 3, 5),
        datetime(2024, 3, 5, 8, 30),
        "张三 = 李四",
        "a-b",
    ]
    assert not any(c.data_type == "f" for c in cells)


def test_styled_rows_are_safe_too_and_characters_xml_cannot_hold_are_dropped():
    writer = SheetWriter("台账[2024]:*?/\\'")
    writer.widths([20, 10])
    writer.append(["=1+1", "a\x01b"], font=Font(bold=True))
    writer.append([-7, "plain"], font=Font(bold=True))
    workbook = load_workbook(io.BytesIO(writer.content()))
    sheet = workbook.worksheets[0]
    assert sheet.title == "台账2024"
    assert [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()] == [
        [("'=1+1", "s"), ("ab", "s")],
        [(-7, "n"), ("plain", "s")],
    ]
    assert sheet["A1"].font.bold and sheet.column_dimensions["A"].width == 20


def test_a_lazy_translation_or_any_other_object_is_written_as_its_text():
    from django.utils.translation import gettext_lazy

    cells = _cells(workbook_bytes([[gettext_lazy("Cases"), Column("k", ("=x",))]]))
    assert cells[0].value == str(gettext_lazy("Cases")) and cells[0].data_type == "s"
    assert cells[1].data_type == "s" and not str(cells[1].value).startswith("=")
