"""Importing an office's ledger: a good file writes every row; any bad one writes nothing."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nuanxin.accounts.scope import scope_of
from nuanxin.core.models import AuditEntry
from nuanxin.inspections.models import Visit
from nuanxin.inspections.tests.conftest import shared_watch, watch
from nuanxin.ledgers.models import Dispute, DisputeParty, Mediator
from nuanxin.ledgers.registry.imports import import_ledger
from nuanxin.ledgers.registry.queries import BY_CODE
from nuanxin.ledgers.tests.ledger_support import records, xlsx

__all__ = ["records", "shared_watch", "watch"]

TODAY = date(2024, 6, 1)
VISIT_HEADER = ["巡查日期", "场所名称", "巡查人", "检查结果", "隐患数", "隐患情况", "备注"]
DISPUTE_HEADER = [
    "受理日期",
    "编号",
    "纠纷类型",
    "网格",
    "当事人",
    "简要情况",
    "调解人",
    "调解结果",
    "化解层级",
    "结案日期",
]


def upload(data: bytes, name: str = "台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def run(world, code: str, data: bytes, persona: str = "community_admin", **extra):
    user = world.users[persona]
    return import_ledger(
        actor=user, scope=scope_of(user), ledger=BY_CODE[code], upload=upload(data), today=TODAY, **extra
    )


def good_visits() -> bytes:
    return xlsx(
        [
            ["一网格食品安全检查台账"],  # a title row above the header is fine
            VISIT_HEADER,
            ["2024-02-01", "小面馆", "grid1-worker", "发现隐患", 2, "健康证过期", ""],
            ["2024/2/15", "小面馆", "grid1_worker", "合格", 0, "", "复查"],
        ]
    )


def test_good_inspection_file_creates_done_visits_shown_in_the_ledger(records, world, client_for):
    before = Visit.objects.count()
    report = run(world, "food-safety", good_visits())
    assert report.ok, report.errors
    assert report.imported == 2
    visits = Visit.objects.order_by("-id")[:2]
    assert Visit.objects.count() == before + 2
    assert {v.state for v in visits} == {"done"}
    assert {v.target_id for v in visits} == {records.watch.restaurant_target.pk}
    assert AuditEntry.objects.filter(action="ledgers.imported", detail__count=2).exists()
    response = client_for("grid1_worker").get("/ledgers/food-safety/?to=2024-02-29")
    assert len(response.context["rows"]) == 2
    assert response.context["totals"][7] == 2  # the imported hazard count


def test_repeating_the_same_file_is_refused(records, world):
    assert run(world, "food-safety", good_visits()).ok
    again = run(world, "food-safety", good_visits())
    assert not again.ok
    assert {e.row for e in again.errors} == {3, 4}
    assert {e.column for e in again.errors} == {"巡查日期"}


def test_bad_rows_are_all_reported_and_nothing_is_written(records, world):
    before = Visit.objects.count()
    data = xlsx(
        [
            VISIT_HEADER,
            ["2024-02-01", "小面馆", "grid1-worker", "合格", 0, "", ""],  # fine
            ["2024-02-30", "小面馆", "grid1-worker", "合格", 0, "", ""],  # no such day
            ["2024-02-03", "没有的店", "grid1-worker", "合格", 0, "", ""],  # not on the watchlist
            ["2024-02-04", "快捷旅馆", "grid1-worker", "合格", 0, "", ""],  # watched, but not for food safety
            ["2024-02-05", "小面馆", "grid2-worker", "合格", 0, "", ""],  # records in another grid
            ["2024-02-06", "小面馆", "grid1-worker", "合格", "many", "", ""],  # not a number
            ["2030-01-01", "小面馆", "grid1-worker", "合格", 0, "", ""],  # in the future
        ]
    )
    report = run(world, "food-safety", data)
    assert not report.ok
    assert report.imported == 0
    found = {(e.row, e.column) for e in report.errors}
    assert found == {
        (3, "巡查日期"),
        (4, "场所名称"),
        (5, "场所名称"),
        (6, "巡查人"),
        (7, "隐患数"),
        (8, "巡查日期"),
    }
    assert Visit.objects.count() == before
    assert not AuditEntry.objects.filter(action="ledgers.imported").exists()


def test_formula_cells_and_text_starting_with_equals_are_refused(records, world):
    data = xlsx(
        [
            VISIT_HEADER,
            ["2024-02-01", "小面馆", "grid1-worker", "合格", 0, "", ""],
            ["2024-02-02", "小面馆", "grid1-worker"],
        ],
        formula_cells={"E2": "=1+1", "D3": '=cmd|"/c calc"!A1'},
    )
    report = run(world, "food-safety", data)
    assert {(e.row, e.column) for e in report.errors} == {(2, "隐患数"), (3, "检查结果")}
    assert not Visit.objects.filter(answers___imported__isnull=False).exists()


def test_html_and_script_in_a_cell_are_refused(records, world):
    data = xlsx(
        [
            VISIT_HEADER,
            ["2024-02-01", "小面馆", "grid1-worker", "合格", 0, "", "<script>alert(1)</script>"],
            ["2024-02-02", "小面馆", "grid1-worker", "<img src=x onerror=alert(1)>", 0, "", ""],
            ["2024-02-03", "小面馆", "grid1-worker", "javascript:alert(1)", 0, "", ""],
        ]
    )
    report = run(world, "food-safety", data)
    assert {(e.row, e.column) for e in report.errors} == {(2, "备注"), (3, "检查结果"), (4, "检查结果")}


@pytest.mark.parametrize(
    "data",
    [
        b"date,place\n2024-01-01,x\n",  # a CSV
        b"\xd0\xcf\x11\xe0" + b"\0" * 100,  # an old .xls
        b"PK\x03\x04 not really a zip",
        b"",
    ],
)
def test_a_file_that_is_not_xlsx_is_refused_as_a_whole(records, world, data):
    report = run(world, "food-safety", data)
    assert not report.ok
    assert report.errors[0].row is None


def test_an_oversized_file_is_refused(records, world):
    report = run(world, "food-safety", good_visits(), max_bytes=1000)
    assert not report.ok
    assert report.errors[0].row is None
    assert not Visit.objects.filter(due_on=date(2024, 2, 1)).exists()


def test_too_many_rows_are_refused(records, world):
    rows = [VISIT_HEADER] + [["2024-01-01", "小面馆", "grid1-worker", "合格", 0, "", ""]] * 4
    report = run(world, "food-safety", xlsx(rows), max_rows=3)
    assert not report.ok


def test_a_missing_required_column_is_reported(records, world):
    report = run(world, "food-safety", xlsx([["巡查日期", "场所名称"], ["2024-02-01", "小面馆"]]))
    assert [(e.row, e.column) for e in report.errors] == [(1, "巡查人")]


def test_importer_outside_the_grid_is_refused(records, world):
    # The other community's admin reaches no target of the file: every row is refused.
    report = run(world, "food-safety", good_visits(), persona="other_admin")
    assert not report.ok
    assert {e.column for e in report.errors} == {"场所名称"}


def test_good_dispute_file_creates_disputes_with_parties_and_mediators(records, world):
    data = xlsx(
        [
            DISPUTE_HEADER,
            [
                "2024-01-05",
                "",
                "邻里纠纷",
                "一网格",
                "赵一、钱二",
                "噪音扰民",
                "grid1-worker、孙调解",
                "调解成功",
                "网格",
                "2024-01-10",
            ],
            ["2024-01-06", "TZ-7", "消费", "G2", "李四", "退款", "", "", "", ""],
        ]
    )
    report = run(world, "disputes", data)
    assert report.ok, report.errors
    closed = Dispute.objects.get(summary="噪音扰民")
    assert closed.number == "JF202400003"  # after the two of the fixture
    assert (closed.state, closed.outcome, closed.settled_level) == ("closed", "agreement", "grid")
    assert closed.closed_on == date(2024, 1, 10)
    assert sorted(DisputeParty.objects.filter(dispute=closed).values_list("name", flat=True)) == ["赵一", "钱二"]
    groups = dict(Mediator.objects.filter(dispute=closed).values_list("name", "group"))
    assert groups["孙调解"] == "volunteer"
    assert Mediator.objects.get(dispute=closed, user=world.grid1_worker).group == "staff"
    opened = Dispute.objects.get(number="TZ-7")
    assert (opened.state, opened.grid) == ("open", world.grid2)


def test_bad_dispute_rows_name_their_columns_and_write_nothing(records, world):
    before = Dispute.objects.count()
    data = xlsx(
        [
            DISPUTE_HEADER,
            ["2024-01-05", "", "邻里纠纷", "一网格", "赵一", "噪音", "", "调解成功", "", "2024-01-10"],  # no level
            [
                "2024-01-05",
                "",
                "邻里纠纷",
                "一网格",
                "赵一",
                "噪音",
                "",
                "调解成功",
                "网格",
                "2024-01-01",
            ],  # closed early
            ["2024-01-05", "JF202400001", "邻里纠纷", "一网格", "赵一", "噪音", "", "", "", ""],  # number taken
            ["2024-01-05", "", "打架", "一网格", "赵一", "噪音", "", "", "", ""],  # unknown kind
            ["2024-01-05", "", "邻里纠纷", "另一网格", "赵一", "噪音", "", "", "", ""],  # not in the area
            ["2024-01-05", "", "邻里纠纷", "一网格", "", "噪音", "", "", "", ""],  # no party
            [
                "2024-01-05",
                "",
                "邻里纠纷",
                "一网格",
                "赵一",
                "",
                "",
                "",
                "",
                "2024-01-09",
            ],  # summary, closed w/o outcome
        ]
    )
    report = run(world, "disputes", data)
    found = {(e.row, e.column) for e in report.errors}
    assert {
        (2, "化解层级"),
        (3, "结案日期"),
        (4, "编号"),
        (5, "纠纷类型"),
        (6, "网格"),
        (7, "当事人"),
        (8, "简要情况"),
    } <= found
    assert Dispute.objects.count() == before


def test_grid_worker_may_not_import(records, world, client_for):
    response = client_for("grid1_worker").post("/ledgers/disputes/import/", {"file": upload(good_visits())})
    assert response.status_code == 404


def test_import_page_reports_every_problem(records, world, client_for):
    data = xlsx([VISIT_HEADER, ["2024-02-30", "小面馆", "grid1-worker", "合格", 0, "", ""]])
    response = client_for("community_admin").post("/ledgers/food-safety/import/", {"file": upload(data)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "巡查日期" in page and ">2<" in page


def test_import_page_redirects_after_a_good_file(records, world, client_for):
    response = client_for("community_admin").post("/ledgers/food-safety/import/", {"file": upload(good_visits())})
    assert response.status_code == 302
    assert Visit.objects.filter(due_on=date(2024, 2, 15), state="done").exists()
