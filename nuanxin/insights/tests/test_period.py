"""Period figures on a small data set of March 2024: each figure, the period's first and last
days included, the node's subtree only, the viewer's scope (key persons included), the API
and the console page."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.insights.queries import MAX_PERIOD_DAYS, PeriodFigures, parse_period, period_figures
from nuanxin.insights.tests import factories as make
from nuanxin.territory import actions as territory_actions
from nuanxin.testing import SYSTEM_SCOPE

TZ = ZoneInfo("Asia/Shanghai")
START, END = date(2024, 3, 1), date(2024, 3, 31)
PERIOD = {"from": "2024-03-01", "to": "2024-03-31"}
URL = "/api/v1/insights/period"
PAGE = "/insights/period/"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def history(world, watch):
    """March 2024 in the test community (grid 1 and grid 2), with rows just outside the
    period and rows in the other community that never count."""
    g1, g2, other = world.grid1, world.grid2, world.other_grid
    admin, worker = world.community_admin, world.grid1_worker
    noodle, hotel = watch.restaurant, watch.hotel  # grid 1, grid 2
    bakery = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="面包房", lng=102.7006, lat=24.9806
    )

    # Disputes.
    make.dispute(
        grid=g1,
        received_on=date(2024, 3, 1),
        recorded_by=admin,
        outcome="agreement",
        settled_level="grid",
        closed_on=date(2024, 3, 10),
    )  # received + resolved (grid)
    make.dispute(
        grid=g1,
        received_on=date(2024, 2, 20),
        recorded_by=admin,
        outcome="agreement",
        settled_level="community",
        closed_on=date(2024, 3, 31),
    )  # resolved (community)
    make.dispute(grid=g1, received_on=date(2024, 3, 31), recorded_by=admin)  # received, open
    make.dispute(
        grid=g2, received_on=date(2024, 3, 5), recorded_by=admin, outcome="referred", closed_on=date(2024, 3, 20)
    )  # received + referred
    make.dispute(
        grid=g1, received_on=date(2024, 3, 5), recorded_by=admin, outcome="failed", closed_on=date(2024, 4, 1)
    )  # received; failed after the period
    make.dispute(
        grid=g2,
        received_on=date(2024, 2, 28),
        recorded_by=admin,
        outcome="agreement",
        settled_level="street",
        closed_on=date(2024, 2, 29),
    )  # before the period
    make.dispute(
        grid=g2,
        received_on=date(2024, 3, 10),
        recorded_by=admin,
        outcome="agreement",
        settled_level="street",
        closed_on=date(2024, 3, 12),
    )  # received + resolved (street)
    make.dispute(
        grid=other,
        received_on=date(2024, 3, 5),
        recorded_by=world.other_admin,
        outcome="agreement",
        settled_level="grid",
        closed_on=date(2024, 3, 6),
    )  # other community

    # Activities and who took part.
    make.activity(
        kind="fire_check", area=g1, starts_on=date(2024, 3, 1), organiser=admin, groups=("rider", "staff", "volunteer")
    )
    make.activity(
        kind="fire_check",
        area=world.community,
        starts_on=date(2024, 3, 31),
        organiser=admin,
        groups=("courier", "courier"),
    )
    make.activity(kind="fire_check", area=g2, starts_on=date(2024, 2, 29), organiser=admin, groups=("rider",))
    make.activity(kind="cleanup", area=g2, starts_on=date(2024, 3, 15), organiser=admin, groups=("rider", "resident"))
    make.activity(kind="cleanup", area=world.community, starts_on=date(2024, 4, 1), organiser=admin, groups=("driver",))
    make.activity(
        kind="cleanup",
        area=world.other_community,
        starts_on=date(2024, 3, 10),
        organiser=world.other_admin,
        groups=("rider",),
    )
    make.activity(kind="anti_fraud", area=g1, starts_on=date(2024, 3, 10), organiser=admin, groups=("driver", "staff"))

    # Visits: food safety.
    make.visit(
        grid=g1, worker=worker, place=noodle, template="food-safety", due_on=date(2024, 3, 1), done_at=at(3, 1, 0, 30)
    )  # first minute of the period, on time
    make.visit(
        grid=g1,
        worker=worker,
        place=noodle,
        template="food-safety",
        due_on=date(2024, 3, 30),
        done_at=at(3, 31, 23, 30),
    )  # last day, a day late; same enterprise
    food_late = make.visit(
        grid=g2,
        worker=world.grid2_worker,
        place=hotel,
        template="food-safety",
        due_on=date(2024, 3, 15),
        done_at=at(3, 16, 0, 30),
    )  # late by local day
    make.visit(
        grid=g1, worker=worker, place=bakery, template="food-safety", due_on=date(2024, 4, 1), done_at=at(4, 1, 0, 10)
    )  # after the period
    make.visit(
        grid=g2, worker=world.grid2_worker, place=hotel, due_on=date(2024, 3, 31), state="missed"
    )  # missed in the period
    make.visit(grid=g2, worker=world.grid2_worker, place=hotel, due_on=date(2024, 4, 1), state="missed")
    other_visit = make.visit(
        grid=other,
        worker=world.other_admin,
        place=world.other_compound,
        template="food-safety",
        due_on=date(2024, 3, 10),
        done_at=at(3, 10, 10),
    )
    # Fire safety, with hazards.
    before = make.visit(
        grid=g1,
        worker=worker,
        place=noodle,
        template="fire-safety",
        due_on=date(2024, 2, 29),
        done_at=at(2, 29, 23, 50),
    )
    fire1 = make.visit(
        grid=g1, worker=worker, place=noodle, template="fire-safety", due_on=date(2024, 3, 5), done_at=at(3, 5, 10)
    )
    fire2 = make.visit(
        grid=g2,
        worker=world.grid2_worker,
        place=hotel,
        template="fire-safety",
        due_on=date(2024, 3, 31),
        done_at=at(3, 31, 9),
    )
    make.rectification(visit=before, issued_on=date(2024, 2, 29), fixed=(False,))
    make.rectification(visit=fire1, issued_on=date(2024, 3, 5), fixed=(True, False))
    make.rectification(visit=fire2, issued_on=date(2024, 3, 31), fixed=(False,), state="fixed")
    make.rectification(visit=food_late, issued_on=date(2024, 3, 16), fixed=(False,))
    make.rectification(visit=other_visit, issued_on=date(2024, 3, 10), fixed=(False,))
    # A key person's visit in grid 1, on time, with a hazard.
    key_visit = make.visit(
        grid=g1,
        worker=world.grid1_leader,
        target=watch.key_target,
        template="key-person",
        due_on=date(2024, 3, 12),
        done_at=at(3, 12, 15),
    )
    make.rectification(visit=key_visit, issued_on=date(2024, 3, 12), fixed=(False,))


def figures_for(world, persona, node=None, start=START, end=END):
    return period_figures(scope_of(world.users[persona]), node or world.community, start, end)


def test_disputes_received_resolved_by_level_referred_failed(world, history):
    d = figures_for(world, "community_admin").disputes
    assert (d.received, d.resolved, d.referred, d.failed) == (5, 3, 1, 0)
    assert (d.resolved_at_grid, d.resolved_at_community, d.resolved_at_street) == (1, 1, 1)


def test_sweeps_cleanups_and_hazards(world, history):
    f = figures_for(world, "community_admin")
    assert (f.fire_checks, f.cleanups) == (2, 1)
    assert (f.hazards.found, f.hazards.fixed) == (5, 2)  # a hazard of a fixed order counts as fixed
    assert (f.fire_safety_hazards.found, f.fire_safety_hazards.fixed) == (3, 2)


def test_food_safety_counts_distinct_enterprises(world, history):
    f = figures_for(world, "community_admin")
    assert (f.food_safety_enterprises, f.food_safety_checks) == (2, 3)


def test_visits_done_on_time_missed(world, history):
    f = figures_for(world, "community_admin")
    assert (f.visits_done, f.visits_on_time, f.visits_missed) == (6, 4, 1)
    assert f.on_time_rate == pytest.approx(0.5714)  # 4 of 7: the missed visit is not on time


def test_missed_visits_bring_the_on_time_rate_down(world):
    """Every visit done on time and eleven missed is not 100 % on time."""
    figures = PeriodFigures(node=world.community, start=START, end=END)
    assert figures.on_time_rate is None
    figures.visits_done = figures.visits_on_time = 20
    assert figures.on_time_rate == 1
    figures.visits_missed = 11
    assert figures.on_time_rate == pytest.approx(0.6452)  # 20 of 31
    figures.visits_done = figures.visits_on_time = 0
    assert figures.on_time_rate == 0


def test_participation_per_group_and_new_employment(world, history):
    f = figures_for(world, "community_admin")
    by_group = {g.group: g.participants for g in f.groups}
    assert by_group == {
        "staff": 2, "volunteer": 1, "resident": 1, "rider": 2, "courier": 2, "driver": 1,
        "merchant": 0, "unit_staff": 0, "party_member": 0, "student": 0,
    }  # fmt: skip
    assert (f.new_employment_fire_checks, f.new_employment_cleanups) == (2, 1)
    assert {g.group: (g.fire_checks, g.cleanups) for g in f.new_employment_groups} == {
        "rider": (1, 1),
        "courier": (1, 0),  # two couriers, one sweep
        "driver": (0, 0),  # an anti-fraud campaign is neither
    }


def test_a_grid_node_counts_only_its_subtree(world, history):
    f = figures_for(world, "community_admin", node=world.grid2)
    assert (f.disputes.received, f.disputes.resolved, f.disputes.referred) == (2, 1, 1)
    assert (f.fire_checks, f.cleanups) == (0, 1)  # the community-wide sweep is not grid 2's
    assert (f.visits_done, f.visits_missed, f.food_safety_enterprises) == (2, 1, 1)
    assert (f.hazards.found, f.fire_safety_hazards.found) == (2, 1)


def test_street_node_includes_the_other_community(world, history):
    f = figures_for(world, "street_staff", node=world.street)
    assert f.disputes.resolved == 4 and f.cleanups == 2 and f.food_safety_enterprises == 3


def test_a_key_persons_visit_and_hazard_count_only_with_the_permission(world, history):
    worker = figures_for(world, "grid1_worker", node=world.grid1)
    leader = figures_for(world, "grid1_leader", node=world.grid1)
    assert (worker.visits_done, worker.visits_on_time, worker.hazards.found) == (3, 2, 2)
    assert (leader.visits_done, leader.visits_on_time, leader.hazards.found) == (4, 3, 3)


def test_figures_out_of_reach_are_a_404(world, history):
    from django.http import Http404

    with pytest.raises(Http404):
        figures_for(world, "grid1_worker", node=world.community)
    with pytest.raises(Http404):
        figures_for(world, "rider")


def test_figures_take_a_fixed_number_of_queries(world, history, django_assert_num_queries):
    scope = scope_of(world.community_admin)
    # the rollups: one query
    with django_assert_num_queries(1):
        period_figures(scope, world.community, START, END)
    make.activity(
        kind="cleanup",
        area=world.grid1,
        starts_on=date(2024, 3, 2),
        organiser=world.community_admin,
        groups=("rider", "staff", "courier"),
    )
    make.dispute(grid=world.grid1, received_on=date(2024, 3, 3), recorded_by=world.community_admin)
    with django_assert_num_queries(1):
        period_figures(scope, world.community, START, END)


def test_summary_sentence_uses_the_figures(world, history):
    text = figures_for(world, "community_admin").summary()
    assert "测试社区" in text and "2024-03-01" in text and "2024-03-31" in text


def test_parse_period_defaults_to_this_quarter_and_limits():
    assert parse_period(None, None, today=date(2024, 7, 9)) == (date(2024, 7, 1), date(2024, 7, 9))
    assert parse_period(None, None, today=date(2024, 12, 31)) == (date(2024, 10, 1), date(2024, 12, 31))
    assert parse_period(None, "2024-05-20") == (date(2024, 4, 1), date(2024, 5, 20))
    assert parse_period("2020-01-01", "2024-12-31") == (date(2020, 1, 1), date(2024, 12, 31))
    assert (date(2024, 12, 31) - date(2020, 1, 1)).days + 1 == MAX_PERIOD_DAYS
    with pytest.raises(DomainError) as error:
        parse_period("2019-12-31", "2024-12-31")
    assert error.value.field == "from"


# The API.


def test_api_answers_the_figures(client_for, world, history):
    response = client_for("community_admin").get(URL, {"node": world.community.pk, **PERIOD})
    assert response.status_code == 200
    data = response.json()
    assert data["node"]["id"] == world.community.pk and data["from"] == "2024-03-01" and data["to"] == "2024-03-31"
    assert data["disputes"] == {
        "received": 5,
        "resolved": 3,
        "resolved_by_level": {"grid": 1, "community": 1, "street": 1},
        "referred": 1,
        "failed": 0,
    }
    assert data["fire_safety"] == {"sweeps": 2, "hazards_found": 3, "hazards_fixed": 2}
    assert data["hazards"] == {"found": 5, "fixed": 2}
    assert data["cleanups"] == 1
    assert data["food_safety"] == {"enterprises_checked": 2, "checks": 3}
    assert data["visits"] == {"done": 6, "on_time": 4, "missed": 1, "on_time_rate": pytest.approx(0.5714)}
    participation = data["participation"]
    assert participation["participants"] == 9 and participation["by_group"]["rider"] == 2
    assert participation["new_employment"] == {
        "fire_checks": 2,
        "cleanups": 1,
        "by_group": {
            "rider": {"fire_checks": 1, "cleanups": 1},
            "courier": {"fire_checks": 1, "cleanups": 0},
            "driver": {"fire_checks": 0, "cleanups": 0},
        },
    }
    assert data["summary"]


def test_api_node_defaults_to_the_callers_topmost(client_for, world, history):
    data = client_for("grid1_worker").get(URL, PERIOD).json()
    assert data["node"]["id"] == world.grid1.pk
    assert data["visits"]["done"] == 3  # not the key person's visit


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2024-13-01"}, "from"),
        ({"from": "2024-02-30"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2024-04-01", "to": "2024-03-01"}, "from"),
        ({"from": "2018-01-01", "to": "2024-03-01"}, "from"),
        ({"node": "abc"}, "node"),
        ({"node": "-1"}, "node"),
    ],
)
def test_api_refuses_bad_input_naming_the_field(client_for, world, params, field):
    response = client_for("community_admin").get(URL, params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_api_denied(client, client_for, world, history):
    assert client.get(URL, {"node": world.community.pk, **PERIOD}).status_code == 401
    assert client_for("other_admin").get(URL, {"node": world.community.pk}).status_code == 404
    assert client_for("grid1_worker").get(URL, {"node": world.community.pk}).status_code == 404
    assert client_for("community_admin").get(URL, {"node": world.street.pk}).status_code == 404
    assert client_for("community_admin").get(URL, {"node": 999999}).status_code == 404
    for persona in ("rider", "resident", "stranger", "auditor", "grid1_helper"):
        assert client_for(persona).get(URL, PERIOD).status_code == 404, persona


# The console page.


def test_page_shows_the_figures_and_the_summary(client_for, world, history):
    response = client_for("community_admin").get(PAGE, {"node": world.community.pk, **PERIOD})
    assert response.status_code == 200
    page = response.content.decode()
    for figure, value in [
        ("disputes-resolved", 3),
        ("fire-checks", 2),
        ("cleanups", 1),
        ("food-enterprises", 2),
        ("new-employment-fire-checks", 2),
        ("new-employment-cleanups", 1),
        ("disputes-received", 5),
        ("hazards-found", 5),
        ("fire-hazards-fixed", 2),
        ("visits-missed", 1),
    ]:
        assert f'data-figure="{figure}">{value}<' in page, figure
    assert 'data-figure="on-time-rate">57.1%<' in page
    assert response.context["figures"].summary() in page
    assert "<script>" not in page.replace("<script src", "")


def test_page_defaults_to_this_quarter_and_the_topmost_node(client_for, world):
    with time_machine.travel(datetime(2024, 8, 20, 10, 0, tzinfo=TZ)):
        response = client_for("grid2_worker").get(PAGE)
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.node == world.grid2
    assert (figures.start, figures.end) == (date(2024, 7, 1), date(2024, 8, 20))
    assert [a.pk for a in response.context["nodes"]] == [world.grid2.pk]


def test_page_shows_a_bad_date_at_its_field(client_for, world):
    response = client_for("community_admin").get(PAGE, {"from": "2024-02-30"})
    assert response.status_code == 400
    assert set(response.context["errors"]) == {"from"}
    assert 'value="2024-02-30"' in response.content.decode()


def test_page_denied(client, client_for, world):
    assert client.get(PAGE).status_code == 302  # to the sign-in page
    assert client_for("rider").get(PAGE).status_code == 404
    assert client_for("auditor").get(PAGE).status_code == 404
    assert client_for("other_admin").get(PAGE, {"node": world.community.pk}).status_code == 404
    assert client_for("grid1_worker").get(PAGE, {"node": world.grid2.pk}).status_code == 404


def test_page_query_count_does_not_grow_with_rows(client_for, world, history, django_assert_num_queries):
    client = client_for("community_admin")
    params = {"node": world.community.pk, **PERIOD}
    client.get(PAGE, params)  # warm the session
    # session, user, roles (2), node, the figures' query, notifications, the node menu,
    # and the session's save (3)
    with django_assert_num_queries(7):
        client.get(PAGE, params)
    make.activity(
        kind="fire_check",
        area=world.grid2,
        starts_on=date(2024, 3, 9),
        organiser=world.community_admin,
        groups=("rider", "driver"),
    )
    make.dispute(grid=world.grid2, received_on=date(2024, 3, 9), recorded_by=world.community_admin)
    with django_assert_num_queries(7):
        client.get(PAGE, params)
