"""The case export never writes a formula: hostile text typed on every channel (the phone
page's action, the JSON API, Open311, a staff member entering a case for a caller) comes
back from the workbook as text (data type "s", behind a single quote)."""

import io
import json

from django.test import Client
from openpyxl import load_workbook

from nuanxin.accounts.scope import scope_of
from nuanxin.cases.exports import export_cases
from nuanxin.cases.filters import CaseFilters
from nuanxin.open311.actions import issue_api_key
from nuanxin.testing import SYSTEM_SCOPE

LINK = '=HYPERLINK("http://evil.example","click me")'
HERE = {"lng": 102.7011, "lat": 24.9811}


def _cells(content: bytes) -> list:
    return [cell for row in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows() for cell in row]


def test_hostile_text_from_every_channel_is_exported_as_text(world, report, client_for):
    report("sanitation", by=world.resident, address=LINK)
    report("noise", by=world.community_staff, channel="staff", reporter_name="=1+2", address="@SUM(A1)")
    response = client_for("rider").post(
        "/api/v1/cases",
        data=json.dumps({"class_code": "sanitation", "description": "垃圾桶满了", "reporter_name": "-2+3+cmd"} | HERE),
        content_type="application/json",
    )
    assert response.status_code == 201
    _key, raw = issue_api_key(actor=world.system_admin, scope=SYSTEM_SCOPE, name="12345", area=world.community)
    answer = Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": raw,
            "service_code": "sanitation",
            "lat": str(HERE["lat"]),
            "long": str(HERE["lng"]),
            "description": "楼道里堆满了纸箱",
            "address_string": "+cmd|' /C calc'!A0",
        },
    )
    assert answer.status_code in (200, 201), answer.content

    admin = world.community_admin
    result = export_cases(actor=admin, scope=scope_of(admin), filters=CaseFilters({}, scope=scope_of(admin)))
    cells = _cells(result.file.read())
    assert result.rows == 4
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert "'" + LINK in texts  # the address as typed, behind a quote
    assert "'@SUM(A1)" in texts
    assert "'+cmd|' /C calc'!A0" in texts  # Open311's address_string
    # Reporter names are masked (=1+2 -> =***), and the mask is quoted as well.
    assert {"'=***", "'-*******"} <= texts
    # Nothing in the sheet begins with a formula character unless behind the quote.
    assert all(not isinstance(c.value, str) or not c.value.startswith(("=", "+", "-", "@")) for c in cells)


def test_an_address_starting_with_a_tab_or_a_carriage_return_is_exported_as_text(world, report):
    # A report's text is stripped as it is taken (core.validators.plain_text): the tab or CR
    # goes, and what follows it, a formula again, arrives quoted.
    for address in ("\t=1+2", "\r@SUM(A1)"):
        report("sanitation", by=world.resident, address=address)
    admin = world.community_admin
    cells = _cells(
        export_cases(actor=admin, scope=scope_of(admin), filters=CaseFilters({}, scope=scope_of(admin))).file.read()
    )
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert {"'=1+2", "'@SUM(A1)"} <= texts, texts
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_the_export_page_answers_the_safe_sheet_and_others_are_refused(world, report, client_for):
    report("sanitation", by=world.resident, address=LINK)
    response = client_for("community_admin").get("/cases/export.xlsx")
    assert response.status_code == 200
    cells = _cells(b"".join(response.streaming_content))
    assert "'" + LINK in {c.value for c in cells} and not any(c.data_type == "f" for c in cells)
    assert client_for("rider").get("/cases/export.xlsx").status_code == 404
