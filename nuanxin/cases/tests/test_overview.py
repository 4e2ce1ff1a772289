"""The console's case list filters, the case map and its GeoJSON, and the masked export:
one set of filters, one scope."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from openpyxl import load_workbook

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions, exports, overview_views
from nuanxin.cases.filters import CaseFilters
from nuanxin.core.models import AuditEntry
from nuanxin.testing import photo_upload

TZ = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=TZ)


@pytest.fixture
def cases(world, report):
    """In grid 1: a named phone report (March), an anonymous API report (April), an emergency
    (May); in grid 2: a sanitation report; in the other community: one more."""
    return {
        "named": report(
            "sanitation", by=world.rider, reporter_name="张三丰", reporter_phone="13812345678", now=at(3, 4)
        ),
        "anonymous": report("noise", by=world.resident, anonymous=True, channel="api", now=at(4, 8)),
        "urgent": report("stove-left-on", by=world.rider, reporter_name="李四", now=at(5, 6)),
        "grid2": report("sanitation", lng=102.7021, now=at(5, 7)),
        "other": report("sanitation", lng=102.7111, lat=24.9911, now=at(5, 8)),
    }


# The shared filters


def test_filters_parse_every_field_and_ignore_unknown_choices(world):
    filters = CaseFilters(
        {"state": "nonsense", "grid": "abc", "channel": "api", "class": "noise", "since": "2024-04-01", "overdue": "1"},
        scope=scope_of(world.community_admin),
    )
    # An unknown state is the default: the open cases.
    assert filters.chosen()["state"] == "open" and filters.chosen()["grid"] == ""
    assert filters.active() == {
        "state": "open",
        "channel": "api",
        "class": "noise",
        "since": "2024-04-01",
        "overdue": "1",
    }
    assert not filters.field_errors


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2024-02-30"}, "since"),
        ({"until": "May"}, "until"),
        ({"since": "2024-05-01", "until": "2024-04-01"}, "until"),
    ],
)
def test_filters_name_a_bad_date(world, params, field):
    assert field in CaseFilters(params, scope=scope_of(world.community_admin)).field_errors


def test_list_filters_by_channel_and_period(client_for, world, cases):
    admin = client_for("community_admin")
    api_only = admin.get("/cases/", {"channel": "api"}).content.decode()
    assert cases["anonymous"].number in api_only and cases["named"].number not in api_only
    april = admin.get("/cases/", {"since": "2024-04-01", "until": "2024-04-30"}).content.decode()
    assert cases["anonymous"].number in april
    assert cases["named"].number not in april and cases["urgent"].number not in april
    by_category = admin.get("/cases/", {"category": "sanitation"}).content.decode()
    assert cases["named"].number in by_category and cases["anonymous"].number not in by_category


def test_list_shows_a_bad_date_at_its_field_and_links_map_and_export_with_the_filters(client_for, world, cases):
    admin = client_for("community_admin")
    bad = admin.get("/cases/", {"since": "2024-13-01"})
    assert bad.status_code == 400 and "since" in bad.context["filter_errors"]
    page = admin.get("/cases/", {"channel": "api"}).content.decode()
    assert "/cases/map/?state=open&amp;channel=api" in page and "/cases/export.xlsx?state=open&amp;channel=api" in page


def test_bad_filters_are_shown_at_their_field_and_unknown_choices_ignored_on_every_console_page(
    client_for, world, cases
):
    admin = client_for("community_admin")
    backwards = admin.get("/cases/", {"since": "2024-05-01", "until": "2024-04-01"})
    assert backwards.status_code == 400
    assert set(backwards.context["filter_errors"]) == {"until"}
    assert f'class="field-error">{backwards.context["filter_errors"]["until"]}<' in backwards.content.decode()
    # The start alone still applies: the May emergency is listed, the March report is not.
    assert cases["urgent"].number in backwards.content.decode()
    assert cases["named"].number not in backwards.content.decode()
    assert admin.get("/cases/map/", {"until": "May"}).status_code == 400
    geojson = admin.get("/cases/map.geojson", {"until": "May"})
    assert geojson.status_code == 400 and geojson.json()["field"] == "until"
    export = admin.get("/cases/export.xlsx", {"since": "2024-02-30"})
    assert export.status_code == 400 and export.content.decode().startswith("since: ")
    old_link = admin.get("/cases/", {"state": "exploded", "grid": "x", "class": "Not A Code", "overdue": "yes"})
    assert old_link.status_code == 200 and not old_link.context["filter_errors"]
    assert old_link.context["chosen"]["state"] == "open"


def test_list_query_count_does_not_grow_with_cases(client_for, world, cases, report, django_assert_num_queries):
    client = client_for("community_admin")
    client.get("/cases/")
    # The page comes in two steps (queries.Pages): its ids, then its rows.
    with django_assert_num_queries(9):
        client.get("/cases/", {"channel": "phone_page", "since": "2024-01-01"})
    for day in range(1, 6):
        report("noise", by=world.rider, now=at(6, day))
    with django_assert_num_queries(9):
        client.get("/cases/", {"channel": "phone_page", "since": "2024-01-01"})


# The map


def test_map_page_draws_from_the_geojson_endpoint_with_the_filters(client_for, world, cases):
    response = client_for("grid1_worker").get("/cases/map/", {"emergency": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-source="/cases/map.geojson?state=open&amp;emergency=1"' in page
    assert "casemap.js" in page and "<script>" not in page.replace("<script src", "")


def test_list_and_map_open_on_the_open_cases_of_the_viewers_area_and_a_filter_shows_the_rest(
    client_for, world, cases, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path  # the after-photo
    admin = world.community_admin
    rejected = actions.reject_case(
        actor=admin, scope=scope_of(admin), case=cases["named"], reason="非本社区事务", closure="referred"
    )
    leader = world.grid1_leader
    closed = cases["anonymous"]
    for step in ("accept", "start"):
        closed = actions.apply_step(
            actor=world.grid1_worker, scope=scope_of(world.grid1_worker), case=closed, step=step
        )
    closed = actions.resolve_case(actor=world.grid1_worker, case=closed, note="已处理", photos=[photo_upload()])
    closed = actions.verify_case(actor=leader, scope=scope_of(leader), case=closed)
    closed = actions.close_case(actor=leader, scope=scope_of(leader), case=closed)
    worker = client_for("grid1_worker")

    def listed(**query: str) -> set[str]:
        page = worker.get("/cases/", query).content.decode()
        return {case.number for case in cases.values() if case.number in page}

    def mapped(**query: str) -> set[str]:
        return {f["properties"]["number"] for f in worker.get("/cases/map.geojson", query).json()["features"]}

    # By default: the open cases of grid 1 only (not grid 2's, not the other community's).
    assert listed() == mapped() == {cases["urgent"].number}
    assert worker.get("/cases/").context["chosen"]["state"] == "open"
    assert 'data-source="/cases/map.geojson?state=open"' in worker.get("/cases/map/").content.decode()
    everything = {rejected.number, closed.number, cases["urgent"].number}
    assert listed(state="any") == mapped(state="any") == everything
    assert listed(state="closed") == mapped(state="closed") == {closed.number}
    assert listed(state="rejected") == {rejected.number}


def test_map_page_denied_without_case_work(client_for, world):
    for persona in ("rider", "resident", "auditor", "partner"):
        assert client_for(persona).get("/cases/map/").status_code == 404, persona


def test_geojson_holds_the_cases_in_scope_and_never_the_reporter(client_for, world, cases):
    response = client_for("grid1_worker").get("/cases/map.geojson")
    assert response.status_code == 200
    data = response.json()
    numbers = [f["properties"]["number"] for f in data["features"]]
    assert numbers == [cases["urgent"].number, cases["anonymous"].number, cases["named"].number]  # newest first
    urgent = data["features"][0]
    assert urgent["geometry"] == {"type": "Point", "coordinates": [cases["urgent"].lng, cases["urgent"].lat]}
    assert urgent["properties"]["emergency"] is True and urgent["properties"]["url"] == f"/cases/{cases['urgent'].pk}/"
    assert set(urgent["properties"]) == {"id", "number", "class", "state", "emergency", "overdue", "url"}
    body = response.content.decode()
    for secret in ("张三丰", "李四", "13812345678", "5678", "rider", "resident", "楼道里堆满了纸箱"):
        assert secret not in body, secret


def test_geojson_marks_overdue_cases_and_filters(client_for, world, cases):
    data = client_for("community_admin").get("/cases/map.geojson", {"overdue": "1"}).json()
    # Every case was reported in 2024: all of their first stages are long past due.
    assert len(data["features"]) == 4 and all(f["properties"]["overdue"] for f in data["features"])
    data = client_for("community_admin").get("/cases/map.geojson", {"grid": world.grid2.pk}).json()
    assert [f["properties"]["number"] for f in data["features"]] == [cases["grid2"].number]


def test_geojson_is_capped_and_says_so(client_for, world, cases, monkeypatch):
    monkeypatch.setattr(overview_views, "MAP_POINTS", 2)
    data = client_for("community_admin").get("/cases/map.geojson").json()
    assert data["truncated"] is True and len(data["features"]) == 2
    assert data["features"][0]["properties"]["number"] == cases["grid2"].number


def test_geojson_refuses_a_bad_date_naming_the_field(client_for, world):
    response = client_for("community_admin").get("/cases/map.geojson", {"until": "2024-02-31"})
    assert response.status_code == 400 and response.json()["field"] == "until"


def test_geojson_denied_without_case_work(client_for, world, cases):
    for persona in ("rider", "stranger", "auditor"):
        assert client_for(persona).get("/cases/map.geojson").status_code == 404, persona
    other = client_for("other_admin").get("/cases/map.geojson").json()
    assert [f["properties"]["number"] for f in other["features"]] == [cases["other"].number]


# The export


def _sheet(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def test_export_lists_the_filtered_cases_with_reporters_masked(client_for, world, cases):
    response = client_for("community_admin").get("/cases/export.xlsx", {"since": "2024-03-01", "until": "2024-04-30"})
    assert response.status_code == 200
    rows = _sheet(response)
    assert "2024-03-01" in rows[0][0] and "2024-04-30" in rows[0][0]
    header = rows[2]
    by_number = {row[0]: dict(zip(header, row, strict=False)) for row in rows[3:]}
    assert set(by_number) == {cases["named"].number, cases["anonymous"].number}
    with translation.override("zh-hans"):
        reporter, phone = translation.gettext("Reporter"), translation.gettext("Reporter's phone")
        anonymous, reported_at = translation.gettext("anonymous"), translation.gettext("Reported at")
    named = by_number[cases["named"].number]
    assert (named[reporter], named[phone]) == ("张**", "138****5678")
    assert named[reported_at] == datetime(2024, 3, 4, 9, 0)  # local wall time
    unnamed = by_number[cases["anonymous"].number]
    assert (unnamed[reporter], unnamed[phone]) == (anonymous, None)
    body = " ".join(str(cell) for row in rows for cell in row)
    assert "张三丰" not in body and "13812345678" not in body and "楼道里堆满了纸箱" not in body


def test_export_is_audited_with_the_filters_and_the_row_count(client_for, world, cases):
    client_for("community_admin").get("/cases/export.xlsx", {"channel": "api"})
    entry = AuditEntry.objects.filter(action="cases.exported").get()
    assert entry.actor_id == world.community_admin.pk
    # The export names the state it took (open by default), so the entry says which cases left.
    assert entry.detail == {"filters": {"state": "open", "channel": "api"}, "rows": 1, "truncated": False}


def test_export_is_capped_and_says_so(client_for, world, cases, monkeypatch):
    monkeypatch.setattr(exports, "MAX_EXPORT_ROWS", 2)
    rows = _sheet(client_for("community_admin").get("/cases/export.xlsx"))
    assert len(rows) == 3 + 2 and "2" in rows[1][0]
    assert AuditEntry.objects.get(action="cases.exported").detail["truncated"] is True


def test_export_holds_only_the_viewers_cases(client_for, world, cases):
    rows = _sheet(client_for("grid2_worker").get("/cases/export.xlsx"))
    assert [row[0] for row in rows[3:]] == [cases["grid2"].number]


def test_export_denied_without_case_work_and_refuses_bad_dates(client_for, world, cases):
    for persona in ("rider", "resident", "auditor", "stranger"):
        assert client_for(persona).get("/cases/export.xlsx").status_code == 404, persona
    bad = client_for("community_admin").get("/cases/export.xlsx", {"since": "soon"})
    assert bad.status_code == 400 and "since" in bad.content.decode()
    assert not AuditEntry.objects.filter(action="cases.exported").exists()


def test_mask_name_keeps_only_the_first_character():
    assert (exports.mask_name("张三丰"), exports.mask_name("张三"), exports.mask_name("张"), exports.mask_name("")) == (
        "张**",
        "张*",
        "张*",
        "",
    )


def test_console_views_leave_out_cases_seen_only_as_their_reporter(client_for, world, report):
    own = report("sanitation", by=world.grid2_worker, reporter_name="王五")  # in grid 1, outside their grid
    client = client_for("grid2_worker")
    assert own.number not in client.get("/cases/").content.decode()
    assert client.get("/cases/map.geojson").json()["features"] == []
    assert own.number not in str(_sheet(client.get("/cases/export.xlsx")))
    assert own.number in client.get("/cases/mine/").content.decode()
