"""Figures for a node and a period: counts, on-time rate, handling time per stage, and where
fixed cases were resolved, from cases built through the actions at known times."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nuanxin.cases import actions
from nuanxin.cases.figures import case_figures, parse_period
from nuanxin.core.errors import DomainError
from nuanxin.testing import image_bytes

TZ = ZoneInfo("Asia/Shanghai")
PERIOD = {"from": "2024-03-01", "to": "2024-03-31"}


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("after.jpg", image_bytes(), content_type="image/jpeg")


def _close_loop(world, scope, case, times):
    """accept, dispatch, start, resolve, verify, close at the given times."""
    admin, worker = world.community_admin, world.grid1_worker
    case = actions.accept_case(actor=admin, scope=scope, case=case, now=times[0])
    case = actions.dispatch_case(actor=admin, scope=scope, case=case, handler=worker, now=times[1])
    case = actions.start_case(actor=worker, case=case, now=times[2])
    case = actions.resolve_case(actor=worker, case=case, note="已处理", photos=[_photo()], now=times[3])
    case = actions.verify_case(actor=admin, scope=scope, case=case, now=times[4])
    return actions.close_case(actor=admin, scope=scope, case=case, now=times[5])


@pytest.fixture
def history(world, report):
    """March 2024 in the test community:
    A  stove left on (emergency, limits around the clock), grid 1, every step on time, fixed at grid level;
    B  stove left on, accepted late, then escalated on time-out to the community (late again), open;
    C  sanitation in grid 2, only reported;
    E  street occupation (a community-level class), every step on time, fixed at community level;
    plus one case reported in May and one in the other community, which never count."""
    from nuanxin.accounts.scope import scope_of

    scope = scope_of(world.community_admin)
    a = report("stove-left-on", by=world.rider, now=at(4, 9))
    _close_loop(world, scope, a, [at(4, 9, 10), at(4, 9, 20), at(4, 9, 30), at(4, 11, 30), at(4, 12), at(4, 12, 30)])
    b = report("stove-left-on", channel="api", now=at(4, 10))
    b = actions.accept_case(actor=world.community_admin, scope=scope, case=b, now=at(4, 11))  # due 10:30
    assert actions.escalate_overdue_cases(now=at(4, 12)) == 1  # dispatch was due 11:30
    c = report("sanitation", lng=102.7021, now=at(5, 9))
    e = report("illegal-occupation", now=at(4, 14))
    _close_loop(world, scope, e, [at(4, 14, 30), at(4, 14, 40), at(4, 14, 50), at(4, 15), at(4, 15, 10), at(4, 15, 20)])
    report("sanitation", now=at(1, 9, month=5))
    report("sanitation", lng=102.7111, lat=24.9911, now=at(6, 9))
    return {"a": a, "b": b, "c": c, "e": e}


def test_figures_count_the_period_and_the_node(world, history):
    from nuanxin.accounts.scope import scope_of

    since, until = parse_period(PERIOD["from"], PERIOD["to"])
    figures = case_figures(scope=scope_of(world.community_admin), node=world.community, since=since, until=until)
    assert figures.reported == 4
    assert {c.key: c.n for c in figures.by_state} == {"closed": 2, "accepted": 1, "reported": 1}
    assert {c.key: c.n for c in figures.by_class} == {"stove-left-on": 2, "sanitation": 1, "illegal-occupation": 1}
    assert {c.label: c.n for c in figures.by_grid} == {"一网格": 3, "二网格": 1}
    assert {c.key: c.n for c in figures.by_level} == {"grid": 2, "community": 2}  # B was escalated
    assert {c.key: c.n for c in figures.by_channel} == {"phone_page": 3, "api": 1}


def test_on_time_rate_counts_a_late_step_and_a_time_out_escalation(world, history):
    from nuanxin.accounts.scope import scope_of

    since, until = parse_period(PERIOD["from"], PERIOD["to"])
    figures = case_figures(scope=scope_of(world.community_admin), node=world.community, since=since, until=until)
    assert (figures.cases_with_steps, figures.cases_on_time) == (3, 2)  # A, B, E; B was late
    assert figures.on_time_rate == pytest.approx(0.6667)
    stages = {s.stage: s for s in figures.stages}
    assert (stages["accept"].steps, stages["accept"].late) == (3, 1)  # B accepted at 11:00, due 10:30
    assert (stages["dispatch"].steps, stages["dispatch"].late) == (3, 1)  # B escalated on time-out
    assert (stages["handle"].steps, stages["handle"].late) == (4, 0)  # start and resolve, A and E
    assert (stages["verify"].steps, stages["verify"].late) == (2, 0)


def test_average_handling_time_per_stage_runs_from_entering_to_ending_it(world, history):
    from nuanxin.accounts.scope import scope_of

    since, until = parse_period(PERIOD["from"], PERIOD["to"])
    figures = case_figures(scope=scope_of(world.community_admin), node=world.community, since=since, until=until)
    stages = {s.stage: s for s in figures.stages}
    # accept: A 10 min, B 60 min, E 30 min
    assert (stages["accept"].ended, stages["accept"].average_hours) == (3, pytest.approx(0.56))
    # dispatch: A 10 min, E 10 min (B's escalation keeps it waiting for dispatch)
    assert (stages["dispatch"].ended, stages["dispatch"].average_hours) == (2, pytest.approx(0.17))
    # handle, from the dispatch to the resolution: A 130 min, E 20 min
    assert (stages["handle"].ended, stages["handle"].average_hours) == (2, pytest.approx(1.25))
    # verify: A 30 min, E 10 min
    assert (stages["verify"].ended, stages["verify"].average_hours) == (2, pytest.approx(0.33))


def test_share_of_fixed_cases_resolved_within_the_grid_and_the_community(world, history):
    from nuanxin.accounts.scope import scope_of

    since, until = parse_period(PERIOD["from"], PERIOD["to"])
    figures = case_figures(scope=scope_of(world.community_admin), node=world.community, since=since, until=until)
    assert (figures.fixed, figures.fixed_in_grid, figures.fixed_in_community) == (2, 1, 2)
    assert (figures.share_in_grid, figures.share_in_community) == (0.5, 1.0)


def test_a_grid_node_counts_only_its_grid(world, history):
    from nuanxin.accounts.scope import scope_of

    since, until = parse_period(PERIOD["from"], PERIOD["to"])
    figures = case_figures(scope=scope_of(world.community_admin), node=world.grid2, since=since, until=until)
    assert figures.reported == 1 and figures.cases_with_steps == 0 and figures.on_time_rate is None


def test_api_answers_the_figures_for_a_node_in_scope(client_for, world, history):
    response = client_for("community_admin").get("/api/v1/cases/figures", {"node": world.community.pk, **PERIOD})
    assert response.status_code == 200
    data = response.json()
    assert data["reported"] == 4 and data["node"]["id"] == world.community.pk
    assert data["on_time"] == {"cases": 3, "on_time": 2, "rate": pytest.approx(0.6667)}
    assert data["resolution"]["share_in_grid"] == 0.5
    assert {s["stage"]: s["late"] for s in data["stages"]} == {"accept": 1, "dispatch": 1, "handle": 0, "verify": 0}


def test_api_street_staff_see_both_communities(client_for, world, history):
    data = client_for("street_staff").get("/api/v1/cases/figures", {"node": world.street.pk, **PERIOD}).json()
    assert data["reported"] == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2024-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2024-04-01", "to": "2024-03-01"}, "from"),
        ({"node": "abc"}, "node"),
    ],
)
def test_api_refuses_bad_dates_and_nodes_naming_the_field(client_for, world, params, field):
    response = client_for("community_admin").get("/api/v1/cases/figures", params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_api_refuses_a_node_out_of_scope_and_a_viewer_without_cases(client_for, world, history):
    other = client_for("other_admin").get("/api/v1/cases/figures", {"node": world.community.pk, **PERIOD})
    assert other.status_code == 404
    upward = client_for("community_admin").get("/api/v1/cases/figures", {"node": world.street.pk})
    assert upward.status_code == 404
    assert client_for("rider").get("/api/v1/cases/figures").status_code == 404
    assert client_for("community_admin").get("/api/v1/cases/figures", {"node": 999999}).status_code == 404


def test_figures_page_shows_the_numbers_and_charts(client_for, world, history):
    response = client_for("community_admin").get("/cases/figures/", {"node": world.community.pk, **PERIOD})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-figure="reported">4<' in page
    assert 'data-figure="on-time">66.7%<' in page
    assert 'data-figure="in-grid">50%<' in page
    assert 'data-chart="chart-states"' in page and "<script>" not in page.replace("<script src", "")


def test_figures_page_shows_a_bad_date_at_its_field(client_for, world):
    response = client_for("community_admin").get("/cases/figures/", {"from": "2024-02-30"})
    assert response.status_code == 400
    assert "from" in response.context["errors"]


def test_figures_page_denied(client_for, world):
    assert client_for("rider").get("/cases/figures/").status_code == 404
    assert client_for("other_admin").get("/cases/figures/", {"node": world.community.pk}).status_code == 404


def test_figures_page_query_count_does_not_grow_with_cases(
    client_for, world, history, report, django_assert_num_queries
):
    client = client_for("community_admin")
    params = {"node": world.community.pk, **PERIOD}
    client.get("/cases/figures/", params)  # warm the session and caches
    with django_assert_num_queries(17):
        client.get("/cases/figures/", params)
    for day in range(10, 15):
        report("noise", now=at(day, 9))
    with django_assert_num_queries(17):
        client.get("/cases/figures/", params)


def test_parse_period_defaults_to_this_year():
    from datetime import date

    assert parse_period(None, None, today=date(2024, 7, 9)) == (date(2024, 1, 1), date(2024, 7, 9))
    with pytest.raises(DomainError):
        parse_period("2024-03-02", "2024-03-01")
