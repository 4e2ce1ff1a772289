"""Importing places from an .xlsx sheet: all or nothing, scoped, every bad row named."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from nuanxin.accounts.scope import scope_of
from nuanxin.core.models import AuditEntry
from nuanxin.core.spreadsheets import workbook_bytes
from nuanxin.territory.imports import import_places
from nuanxin.territory.models import Place

HEADER = ["名称", "类型", "地址", "经度", "纬度", "所属小区", "联系人", "统一社会信用代码"]
URL = "/territory/imports/places/"


def sheet(*rows: list) -> SimpleUploadedFile:
    return SimpleUploadedFile("places.xlsx", workbook_bytes([HEADER, *rows]))


def _import(world, rows: SimpleUploadedFile, persona: str = "community_admin"):
    user = world.users[persona]
    return import_places(actor=user, scope=scope_of(user), upload=rows)


def test_valid_sheet_imports_every_place_with_parent_and_attributes(world):
    report = _import(
        world,
        sheet(
            ["三号院", "住宅小区", "幸福路3号", 102.7012, 24.9812, None, None, None],
            ["三号院1栋", "楼栋", None, 102.7013, 24.9813, "三号院", None, None],
            ["小面馆", "商户", "幸福路5号", 102.7031, 24.9811, "二号院", "王老板", "92530112MA6K000000"],
        ),
    )
    assert report.ok and report.imported == 3
    building = Place.objects.get(name="三号院1栋")
    assert building.kind == Place.Kind.BUILDING and building.parent.name == "三号院"
    shop = Place.objects.get(name="小面馆")
    assert shop.grid == world.grid2 and shop.parent == world.compound2
    assert shop.attributes == {"联系人": "王老板", "统一社会信用代码": "92530112MA6K000000"}
    assert AuditEntry.objects.filter(action="places.imported", detail__count=3).exists()


def test_sheet_with_two_bad_rows_names_both_and_writes_nothing(world):
    places, entries = Place.objects.count(), AuditEntry.objects.count()
    report = _import(
        world,
        sheet(
            ["三号院", "住宅小区", None, 102.7012, 24.9812],
            ["飞地", "商户", None, 103.5, 25.5],  # outside every grid
            ["四号院", "住宅小区", None, 102.7014, 24.9814],
            ["怪地方", "城堡", None, 102.7015, 24.9815],  # unknown kind
        ),
    )
    assert [(e.row, e.column) for e in report.errors] == [(3, "经度、纬度"), (5, "类型")]
    assert "outside every grid" in report.errors[0].reason or "网格" in report.errors[0].reason
    assert report.imported == 0
    assert (Place.objects.count(), AuditEntry.objects.count()) == (places, entries)


def test_place_in_another_community_is_a_row_error_for_a_community_admin(world):
    report = _import(world, sheet(["外面的院", "住宅小区", None, 102.7115, 24.9915]))
    assert [(e.row, e.column) for e in report.errors] == [(2, "经度、纬度")]
    assert not Place.objects.filter(name="外面的院").exists()


def test_repeated_place_and_unknown_or_ambiguous_parent_are_row_errors(world):
    report = _import(
        world,
        sheet(
            ["一号院", "住宅小区", None, 102.701, 24.981],  # already registered, same kind/name/address
            ["楼A", "楼栋", None, 102.7012, 24.9812, "不存在的院"],
            ["外楼", "楼栋", None, 102.7012, 24.9812, "外社区院"],  # a parent outside the importer's area
        ),
    )
    assert [(e.row, e.column) for e in report.errors] == [(2, "名称"), (3, "所属小区"), (4, "所属小区")]


def test_five_thousand_rows_import(world):
    rows = [
        [f"商户{i}", "商户", None, 102.7001 + (i % 50) * 0.00003, 24.9801 + (i // 50) * 0.00001] for i in range(5000)
    ]
    report = _import(world, sheet(*rows))
    assert report.ok and report.imported == 5000
    assert Place.objects.filter(kind="merchant", grid=world.grid1).count() == 5000


def test_import_page_imports_and_reports_the_count(client_for, world):
    client = client_for("community_admin")
    assert client.get(URL).status_code == 200
    response = client.post(URL, {"file": sheet(["三号院", "小区", None, 102.7012, 24.9812])}, follow=True)
    assert response.status_code == 200
    assert Place.objects.filter(name="三号院", grid=world.grid1).exists()
    assert "1" in response.content.decode()


def test_import_page_lists_every_error_and_writes_nothing(client_for, world):
    response = client_for("community_staff").post(
        URL, {"file": sheet(["三号院", "小区", None, "东经", 24.9812], ["", "小区", None, 102.7, 24.98])}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert page.count('<td class="num">') == 2 and "东经" in page and "名称" in page
    assert not Place.objects.filter(name="三号院").exists()


@pytest.mark.parametrize(
    "content", [b"\xd0\xcf\x11\xe0" + b"\0" * 600, "名称,类型\n三号院,小区\n".encode()], ids=["xls", "csv"]
)
def test_import_page_gives_a_clear_error_for_a_file_that_is_not_xlsx(client_for, world, content):
    response = client_for("community_admin").post(URL, {"file": SimpleUploadedFile("places.xlsx", content)})
    assert response.status_code == 400
    assert ".xls" in response.content.decode()


def test_import_page_without_a_file_is_a_field_error(client_for, world):
    response = client_for("community_admin").post(URL, {})
    assert response.status_code == 400 and 'class="field-error"' in response.content.decode()


def test_template_download_has_the_header_row(client_for, world):
    response = client_for("community_admin").get(URL + "template.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:5] == ("名称", "类型", "地址", "经度", "纬度")


@pytest.mark.parametrize("persona", ["grid2_worker", "rider", "resident", "auditor", "stranger"])
def test_import_page_is_404_for_people_who_may_not_import(client_for, world, persona):
    client = client_for(persona)
    assert client.get(URL).status_code == 404
    assert client.get(URL + "template.xlsx").status_code == 404
    response = client.post(URL, {"file": sheet(["三号院", "小区", None, 102.7012, 24.9812])})
    assert response.status_code == 404
    assert not Place.objects.filter(name="三号院").exists()
