"""The console: completion per grid and worker, hazards and overdue orders, the order list
and one order, all through the scope; key persons left out of every count for a viewer
without people.view_key_person."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nuanxin.inspections import actions
from nuanxin.inspections.models import Rectification, Visit
from nuanxin.inspections.tests.conftest import Watch
from nuanxin.inspections.tests.test_record import FIRE_HAZARD, FOOD_CLEAN, due
from nuanxin.testing import SYSTEM_SCOPE, World

SH = ZoneInfo("Asia/Shanghai")
MARCH = "?from=2024-03-01&to=2024-03-31"
KEY_HAZARD = {"met_in_person": False, "stable": True, "address_same": True}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def worked(world: World, watch: Watch) -> Watch:
    """March 2024: the restaurant visited on time and clean, the hotel with hazards (order
    open, deadline 8 March), the key person visited by the leader with a hazard."""
    actions.record_visit(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.restaurant_target),
        answers=FOOD_CLEAN,
        now=datetime(2024, 3, 6, 10, tzinfo=SH),
    )
    actions.record_visit(
        actor=world.grid2_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.hotel_target),
        answers=FIRE_HAZARD,
        now=datetime(2024, 3, 5, tzinfo=SH),
    )
    actions.record_visit(
        actor=world.grid1_leader,
        scope=SYSTEM_SCOPE,
        visit=due(watch.key_target),
        answers=KEY_HAZARD,
        now=datetime(2024, 3, 5, tzinfo=SH),
    )
    return watch


def grid_row(response: Any, grid: Any) -> Any:
    for block in response.context["blocks"]:
        for row in block.grids:
            if row.grid.pk == grid.pk:
                return row
    return None


def test_completion_per_grid_and_worker(client_for: Any, world: World, worked: Watch) -> None:
    response = client_for("community_admin").get("/inspections/" + MARCH)
    assert response.status_code == 200
    g1 = grid_row(response, world.grid1)
    # restaurant (done on time), special group (due 31 March), key person (done), and the
    # key person's re-check (due 8 March)
    assert (g1.completion.due, g1.completion.done, g1.completion.on_time) == (4, 2, 2)
    assert g1.open_hazards == 1 and g1.open_orders == 1
    g2 = grid_row(response, world.grid2)
    # the hotel's quarterly visit (done) and its re-check
    assert (g2.completion.due, g2.completion.done, g2.open_hazards, g2.open_orders) == (2, 1, 3, 1)
    (block,) = response.context["blocks"]
    assert block.community == world.community
    assert (block.total.completion.due, block.total.open_hazards, block.total.open_orders) == (6, 4, 2)
    workers = {row.worker.pk: row.completion for row in response.context["workers"]}
    assert workers[world.grid1_worker.pk].due == 2 and workers[world.grid1_worker.pk].done == 1
    assert workers[world.grid1_leader.pk].due == 2


def test_a_key_person_counts_nowhere_for_a_worker_without_the_permission(
    client_for: Any, world: World, worked: Watch
) -> None:
    response = client_for("grid1_worker").get("/inspections/" + MARCH)
    assert response.status_code == 200
    g1 = grid_row(response, world.grid1)
    assert (g1.completion.due, g1.completion.done, g1.open_hazards, g1.open_orders) == (2, 1, 0, 0)
    assert grid_row(response, world.grid2) is None  # outside the worker's grid
    workers = {row.worker.pk for row in response.context["workers"]}
    assert workers == {world.grid1_worker.pk}  # the leader only visits the key person
    (block,) = response.context["blocks"]
    assert (block.total.completion.due, block.total.open_hazards) == (2, 0)
    html = response.content.decode()
    assert "grid1_leader" not in html
    leader = client_for("grid1_leader").get("/inspections/" + MARCH)
    assert grid_row(leader, world.grid1).open_hazards == 1


def test_overdue_orders_and_missed_visits(client_for: Any, world: World, worked: Watch) -> None:
    actions.generate_due_visits(today=datetime(2024, 4, 2).date())
    # The client's "today" is the real date: every March deadline has passed.
    response = client_for("community_admin").get("/inspections/" + MARCH)
    g2 = grid_row(response, world.grid2)
    assert g2.overdue_orders == 1 and g2.completion.missed == 1  # the hotel's re-check


def test_the_console_default_period_and_query_count(
    client_for: Any, worked: Watch, django_assert_max_num_queries: Any
) -> None:
    client = client_for("community_admin")
    client.get("/inspections/")
    with django_assert_max_num_queries(14):
        response = client.get("/inspections/" + MARCH)
    assert response.status_code == 200


def test_a_bad_period_is_shown_at_its_field(client_for: Any, worked: Watch) -> None:
    response = client_for("community_admin").get("/inspections/?from=2024-13-01")
    assert response.status_code == 400 and response.context["errors"]["from"]
    response = client_for("community_admin").get("/inspections/?from=2024-03-10&to=2024-03-01")
    assert response.status_code == 400 and response.context["errors"]["to"]


@pytest.mark.parametrize("persona", ["stranger", "rider", "resident", "grid1_helper"])
def test_the_console_is_a_404_without_inspections_view(client_for: Any, worked: Watch, persona: str) -> None:
    assert client_for(persona).get("/inspections/").status_code == 404
    assert client_for(persona).get("/inspections/rectifications/").status_code == 404


def test_the_order_list_filters_and_hides_key_persons(client_for: Any, world: World, worked: Watch) -> None:
    hotel = Rectification.objects.get(grid=world.grid2)
    key = Rectification.objects.get(grid=world.grid1)
    admin = client_for("community_admin")
    listed = {o.pk for o in admin.get("/inspections/rectifications/").context["page"]}
    assert listed == {hotel.pk, key.pk}
    by_grid = admin.get(f"/inspections/rectifications/?grid={world.grid2.pk}&state=open")
    assert {o.pk for o in by_grid.context["page"]} == {hotel.pk}
    overdue = admin.get("/inspections/rectifications/?overdue=1")  # today is long after March
    assert {o.pk for o in overdue.context["page"]} == {hotel.pk, key.pk}
    fixed = admin.get("/inspections/rectifications/?state=fixed")
    assert list(fixed.context["page"]) == []
    # An old link with junk still opens: what is not a state or a grid id is ignored, unchosen.
    junk = admin.get("/inspections/rectifications/?state=nonsense&grid=abc&overdue=yes")
    assert junk.status_code == 200 and {o.pk for o in junk.context["page"]} == {hotel.pk, key.pk}
    assert junk.context["chosen"] == {"state": "", "grid": "", "overdue": ""}
    worker = client_for("grid1_worker").get("/inspections/rectifications/")
    assert list(worker.context["page"]) == [] and key.number not in worker.content.decode()
    assert client_for("grid1_worker").get(f"/inspections/rectifications/{key.pk}/").status_code == 404
    assert client_for("grid1_worker").get(f"/inspections/rectifications/{key.pk}/notice/").status_code == 404


def test_changing_a_deadline_on_the_order_page(client_for: Any, world: World, worked: Watch) -> None:
    order = Rectification.objects.get(grid=world.grid2)
    client = client_for("grid2_worker")
    page = f"/inspections/rectifications/{order.pk}/"
    assert client.get(page).status_code == 200
    past = client.post(page, {"deadline": "2020-01-01", "reason": "太早"})
    assert past.status_code == 400 and past.context["form"].errors["deadline"]
    missing = client.post(page, {"deadline": "2099-01-01", "reason": ""})
    assert missing.status_code == 400 and missing.context["form"].errors["reason"]
    order.refresh_from_db()
    assert order.deadline.isoformat() == "2024-03-08"
    ok = client.post(page, {"deadline": "2099-01-01", "reason": "商户申请延期"})
    assert ok.status_code == 302
    order.refresh_from_db()
    assert order.deadline.isoformat() == "2099-01-01"
    assert Visit.objects.get(recheck_of=order).due_on.isoformat() == "2099-01-01"


def test_the_deadline_form_is_refused_outside_the_grid(client_for: Any, world: World, worked: Watch) -> None:
    order = Rectification.objects.get(grid=world.grid2)
    page = f"/inspections/rectifications/{order.pk}/"
    assert client_for("grid1_worker").post(page, {"deadline": "2099-01-01", "reason": "x"}).status_code == 404
    street = client_for("street_staff")  # sees it, may not change it
    assert street.get(page).status_code == 200
    assert street.post(page, {"deadline": "2099-01-01", "reason": "x"}).status_code == 404
    order.refresh_from_db()
    assert order.deadline.isoformat() == "2024-03-08"


def test_the_order_list_takes_few_queries(client_for: Any, worked: Watch, django_assert_max_num_queries: Any) -> None:
    client = client_for("community_admin")
    client.get("/inspections/rectifications/")
    with django_assert_max_num_queries(12):
        assert client.get("/inspections/rectifications/").status_code == 200
