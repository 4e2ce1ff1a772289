"""Importing residents from an .xlsx roster: all or nothing, scoped, every bad row named."""

import io
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from nuanxin.accounts.scope import scope_of
from nuanxin.core.models import AuditEntry
from nuanxin.core.spreadsheets import workbook_bytes
from nuanxin.people.imports import import_residents
from nuanxin.people.models import Household, Resident, ResidentTag
from nuanxin.people.tests.sample import LI_ID, ZHANG_ID, make_id
from nuanxin.testing import SYSTEM_SCOPE

HEADER = ["姓名", "性别", "身份证号", "手机号", "所属小区", "户号", "特殊群体"]
URL = "/people/imports/"
ZHAO_ID = make_id("53011219600808301")  # male, born 1960
BAD_ID = LI_ID[:17] + ("0" if LI_ID[17] != "0" else "1")  # a wrong check digit


def roster(*rows: list) -> SimpleUploadedFile:
    return SimpleUploadedFile("residents.xlsx", workbook_bytes([HEADER, *rows]))


def _import(world, rows: SimpleUploadedFile, persona: str = "community_admin", scope=None):
    user = world.users[persona]
    return import_residents(actor=user, scope=scope or scope_of(user), upload=rows)


def test_valid_roster_imports_residents_households_and_special_groups(world):
    report = _import(
        world,
        roster(
            ["张三", "男", ZHANG_ID, "138 1234 5678", "一号院", "3-2-501", "独居老人、残疾人"],
            ["李四", "女", LI_ID, 13987654321, "一号院", "3-2-501", None],
            ["赵六", None, ZHAO_ID.lower(), None, "二号院", None, None],
        ),
    )
    assert report.ok and report.imported == 3
    zhang = Resident.objects.get(name="张三")
    assert zhang.phone == "13812345678" and zhang.id_number == ZHANG_ID and zhang.grid == world.grid1
    assert zhang.household == Resident.objects.get(name="李四").household
    assert Household.objects.filter(place=world.compound1, number="3-2-501").count() == 1
    assert sorted(t.category for t in zhang.tags.all()) == ["disabled", "elderly_alone"]
    zhao = Resident.objects.get(name="赵六")
    assert zhao.gender == "male" and zhao.household is None and zhao.grid == world.grid2
    entry = AuditEntry.objects.get(action="people.imported")
    assert entry.detail == {"count": 3}


def test_an_existing_household_is_reused(world):
    from nuanxin.people.actions import register_household

    household = register_household(actor=None, scope=SYSTEM_SCOPE, place=world.compound1, number="1-1-101")
    assert _import(world, roster(["张三", None, None, None, "一号院", "1-1-101"])).ok
    assert Resident.objects.get(name="张三").household == household


def test_roster_with_two_bad_rows_names_both_and_writes_nothing(world):
    counts = (Resident.objects.count(), Household.objects.count(), ResidentTag.objects.count())
    entries = AuditEntry.objects.count()
    report = _import(
        world,
        roster(
            ["张三", "男", ZHANG_ID, None, "一号院", "3-2-501", "独居老人"],
            ["李四", "女", BAD_ID, None, "一号院", "3-2-501"],
            ["王五", None, None, "12345", "二号院"],
            ["赵六", "男", ZHAO_ID, None, "二号院"],
        ),
    )
    assert [(e.row, e.column) for e in report.errors] == [(3, "身份证号"), (4, "手机号")]
    assert report.imported == 0
    assert (Resident.objects.count(), Household.objects.count(), ResidentTag.objects.count()) == counts
    assert AuditEntry.objects.count() == entries


def test_every_kind_of_bad_cell_is_named_by_its_column(world):
    report = _import(
        world,
        roster(
            ["张三", "未知", None, None, "一号院"],
            ["李四", None, None, None, "温新驿站一号"],  # not a home
            ["王五", None, None, None, "一号院", None, "外星人"],
            ["赵六", "女", ZHAO_ID, None, "一号院"],  # gender contradicts the ID number
            ["钱七", None, ZHAO_ID, None, "二号院"],
            ["孙八", None, ZHAO_ID, None, "二号院"],  # same ID number as the row above
            ["", None, None, None, "一号院"],
        ),
    )
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "性别"),
        (3, "所属小区"),
        (4, "特殊群体"),
        (5, "性别"),
        (7, "身份证号"),
        (8, "姓名"),
    ]


def test_resident_in_another_community_is_a_row_error_for_a_community_admin(world):
    report = _import(world, roster(["张三", None, None, None, "外社区院"]))
    assert [(e.row, e.column) for e in report.errors] == [(2, "所属小区")]
    assert "外社区院" in report.errors[0].reason
    assert not Resident.objects.exists()


def test_special_groups_need_the_permission_to_see_them(world):
    admin = world.users["community_admin"]
    scope = scope_of(admin)
    without_special = replace(scope, reach={k: v for k, v in scope.reach.items() if k != "people.view_special"})
    report = _import(
        world,
        roster(["张三", None, None, None, "一号院", None, None], ["李四", None, None, None, "一号院", None, "残疾人"]),
        scope=without_special,
    )
    assert [(e.row, e.column) for e in report.errors] == [(3, "特殊群体")]
    assert not Resident.objects.exists()


def test_import_page_imports_and_reports_the_count(client_for, world):
    client = client_for("community_staff")
    assert client.get(URL).status_code == 200
    response = client.post(URL, {"file": roster(["张三", "男", None, None, "二号院", "1-1-101"])}, follow=True)
    assert response.status_code == 200
    assert Resident.objects.filter(name="张三", grid=world.grid2).exists()
    assert "1" in response.content.decode()


def test_import_page_lists_every_error_and_writes_nothing(client_for, world):
    response = client_for("community_admin").post(
        URL, {"file": roster(["张三", None, None, "110", "一号院"], ["李四", None, None, None, "没有这个院"])}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert page.count('<td class="num">') == 2 and "手机号" in page and "没有这个院" in page
    assert not Resident.objects.exists()


def test_import_page_gives_a_clear_error_for_a_file_that_is_not_xlsx(client_for, world):
    response = client_for("community_admin").post(URL, {"file": SimpleUploadedFile("r.xlsx", "姓名\n张三\n".encode())})
    assert response.status_code == 400 and ".xls" in response.content.decode()


def test_import_page_without_a_file_is_a_field_error(client_for, world):
    response = client_for("community_admin").post(URL, {})
    assert response.status_code == 400 and 'class="field-error"' in response.content.decode()


def test_template_download_has_the_header_row(client_for, world):
    response = client_for("community_admin").get(URL + "template.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == tuple(HEADER)


@pytest.mark.parametrize("persona", ["grid2_worker", "rider", "resident", "auditor", "stranger"])
def test_import_page_is_404_for_people_who_may_not_import(client_for, world, persona):
    client = client_for(persona)
    assert client.get(URL).status_code == 404
    assert client.get(URL + "template.xlsx").status_code == 404
    assert client.post(URL, {"file": roster(["张三", None, None, None, "二号院"])}).status_code == 404
    assert not Resident.objects.exists()
