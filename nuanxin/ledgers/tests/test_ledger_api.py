"""The ledgers over the API: list, rows with filters, export and import."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from nuanxin.inspections.models import Visit
from nuanxin.inspections.tests.conftest import shared_watch, watch
from nuanxin.ledgers.tests.ledger_support import records, xlsx

__all__ = ["records", "shared_watch", "watch"]


def test_list_gives_the_ledgers_the_caller_may_open(client_for, records):
    body = client_for("grid1_worker").get("/api/v1/ledgers").json()
    codes = {row["code"] for row in body}
    assert {"fire-safety", "food-safety", "elderly-care", "disputes", "campaign-cleanup"} <= codes
    assert "key-person" not in codes
    assert all(row["can_export"] and not row["can_import"] for row in body)
    admin = {row["code"]: row for row in client_for("community_admin").get("/api/v1/ledgers").json()}
    assert "key-person" in admin
    assert admin["fire-safety"]["can_import"] and not admin["key-person"]["can_import"]


def test_list_is_404_for_someone_without_a_ledger_and_401_anonymous(client_for, client, records):
    assert client_for("stranger").get("/api/v1/ledgers").status_code == 404
    assert client_for("rider").get("/api/v1/ledgers").status_code == 404
    assert client.get("/api/v1/ledgers").status_code == 401


def test_rows_with_filters_and_totals(client_for, records, world):
    response = client_for("community_admin").get("/api/v1/ledgers/food-safety?result=hazards&from=2024-03-01")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["rows"][0][2] == "小面馆"
    assert body["totals"]["rows"] == 1 and body["totals"]["hazards"] == 2
    assert [c["key"] for c in body["columns"]][:3] == ["date", "grid", "subject"]


def test_rows_are_paged(client_for, records):
    body = client_for("community_admin").get("/api/v1/ledgers/food-safety?limit=1&offset=1").json()
    assert body["count"] == 2 and len(body["rows"]) == 1
    assert body["totals"]["rows"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=2024-02-30", "from"), ("to=soon", "to"), ("grid=abc", "grid"), ("result=bad", "result")],
)
def test_bad_filter_is_400_naming_it(client_for, records, query, field):
    response = client_for("community_admin").get(f"/api/v1/ledgers/disputes?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_key_person_ledger_is_the_same_404_as_an_unknown_one(client_for, records):
    worker = client_for("grid1_worker")
    hidden = worker.get("/api/v1/ledgers/key-person")
    unknown = worker.get("/api/v1/ledgers/no-such-ledger")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()
    leader = client_for("grid1_leader").get("/api/v1/ledgers/key-person").json()
    assert leader["count"] == 1 and leader["rows"][0][2] == "张*"


def test_worker_rows_hold_no_other_grid(client_for, records):
    body = client_for("grid2_worker").get("/api/v1/ledgers/disputes").json()
    assert [row[1] for row in body["rows"]] == ["JF202400002"]
    assert body["rows"][0][3] == "王*"


def test_export_over_the_api(client_for, records):
    response = client_for("community_admin").get("/api/v1/ledgers/disputes/export?from=2024-03-01")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    rows = list(load_workbook(BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 4 + 2 + 1


def test_export_over_the_api_needs_ledgers_export(client_for, records):
    assert client_for("street_staff").get("/api/v1/ledgers/disputes/export").status_code == 404
    assert client_for("community_admin").get("/api/v1/ledgers/disputes/export?to=x").status_code == 400


def _file(rows, **extra):
    return SimpleUploadedFile("台账.xlsx", xlsx(rows, **extra))


HEADER = ["巡查日期", "场所名称", "巡查人"]


def test_import_over_the_api(client_for, records):
    response = client_for("community_admin").post(
        "/api/v1/ledgers/food-safety/import", {"file": _file([HEADER, ["2024-02-01", "小面馆", "grid1-worker"]])}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"imported": 1}


def test_bad_import_over_the_api_lists_rows_and_writes_nothing(client_for, records):
    before = Visit.objects.count()
    response = client_for("community_admin").post(
        "/api/v1/ledgers/food-safety/import",
        {"file": _file([HEADER, ["2024-02-01", "小面馆", "grid1-worker"], ["2024-02-02", "=1+1", "grid1-worker"]])},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "file"
    assert body["errors"] == [{"row": 3, "column": "场所名称", "reason": body["errors"][0]["reason"]}]
    assert Visit.objects.count() == before


def test_import_over_the_api_is_denied_without_ledgers_import(client_for, records):
    file = _file([HEADER, ["2024-02-01", "小面馆", "grid1-worker"]])
    assert client_for("grid1_worker").post("/api/v1/ledgers/food-safety/import", {"file": file}).status_code == 404
    file = _file([HEADER, ["2024-02-01", "小面馆", "grid1-worker"]])
    assert client_for("community_admin").post("/api/v1/ledgers/key-person/import", {"file": file}).status_code == 404
