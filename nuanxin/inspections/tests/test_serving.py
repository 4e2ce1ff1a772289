"""What a worker's visits due cost over the API, pinned (issue 15: docs/performance.md): read as
plain rows with a bearer token the worker process remembers, and answered as exactly VisitOut's
fields, `far` as actions.is_far says."""

from datetime import date
from typing import Any

import pytest
from django.test import Client

from nuanxin.accounts import token_memory
from nuanxin.accounts.tests.test_tokens import _bearer, _issue
from nuanxin.inspections import actions
from nuanxin.inspections.api import VisitOut
from nuanxin.inspections.models import Visit
from nuanxin.inspections.tests.conftest import MONDAY, Watch
from nuanxin.inspections.tests.test_record import FOOD_CLEAN, due
from nuanxin.testing import SYSTEM_SCOPE, World

URL = "/api/v1/inspections/visits"
DUE = {"mine": "true", "due_by": "2024-06-30", "limit": 50}


@pytest.fixture
def token(world: World) -> str:
    token_memory.forget_all()
    return _issue("grid1-worker")


def _warm(client: Client, token: str) -> None:
    for _ in range(2):  # the first request notes whose the token is, the second remembers it
        assert client.get(URL, DUE, **_bearer(token)).status_code == 200


def test_visits_due_cost_three_statements_however_many_visits(
    token: str, world: World, watch: Watch, django_assert_num_queries: Any
) -> None:
    client = Client()
    _warm(client, token)
    # The account's stamp, the count, the page's rows.
    with django_assert_num_queries(3):
        few = client.get(URL, DUE, **_bearer(token)).json()
    actions.generate_due_visits(today=date(2024, 5, 6))
    with django_assert_num_queries(3):
        more = client.get(URL, DUE, **_bearer(token)).json()
    assert 0 < few["count"] < more["count"] == len(more["items"])
    assert {v["worker_id"] for v in more["items"]} == {world.grid1_worker.pk}


def test_a_visit_due_is_the_schema_exactly_and_far_as_the_actions_say(
    token: str, world: World, watch: Watch, settings: Any
) -> None:
    settings.NUANXIN_VISIT_CHECKIN_RADIUS_M = 500
    restaurant = watch.restaurant
    far = actions.record_visit(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.restaurant_target),
        answers=FOOD_CLEAN,
        lng=102.7105,
        lat=24.9805,
    )
    actions.generate_due_visits(today=date(2024, 3, 11))  # the restaurant's next week
    near = actions.record_visit(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.restaurant_target),
        answers=FOOD_CLEAN,
        lng=restaurant.lng,
        lat=restaurant.lat,
    )
    items = Client().get(URL, DUE, **_bearer(token)).json()["items"]
    for item in items:
        assert list(item) == list(VisitOut.model_fields)
        VisitOut.model_validate(item)
        assert item["far"] is actions.is_far(Visit.objects.get(pk=item["id"]))
    flagged = {item["id"]: item["far"] for item in items}
    assert flagged[far.pk] is True and flagged[near.pk] is False
    assert any(item["checked_in_distance"] is None and item["far"] is False for item in items)
    assert all(date.fromisoformat(item["due_on"]) >= MONDAY for item in items)


def test_the_count_of_visits_due_is_kept_per_worker_and_day_and_follows_new_visits(
    token: str, world: World, watch: Watch
) -> None:
    """The count is compiled once per scope and filters (Scope.replayed): another day is a count
    of its own, and a kept count still counts visits planned after it was kept."""
    client = Client()
    _warm(client, token)
    earlier = {**DUE, "due_by": MONDAY.isoformat()}
    counts = {
        query["due_by"]: client.get(URL, query, **_bearer(token)).json()["count"] for query in (DUE, earlier, DUE)
    }
    mine = Visit.objects.filter(worker=world.grid1_worker)
    assert counts == {
        DUE["due_by"]: mine.filter(due_on__lte=date(2024, 6, 30)).count(),
        MONDAY.isoformat(): mine.filter(due_on__lte=MONDAY).count(),
    }
    assert counts[DUE["due_by"]] != counts[MONDAY.isoformat()]
    actions.generate_due_visits(today=date(2024, 5, 6))
    assert client.get(URL, DUE, **_bearer(token)).json()["count"] == mine.filter(due_on__lte=date(2024, 6, 30)).count()


def test_a_workers_to_do_is_the_visits_still_due_and_its_count_is_kept_per_state(
    token: str, world: World, watch: Watch
) -> None:
    """state=due leaves out the done and missed visits; the kept count of one state is not
    another's."""
    done = actions.record_visit(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.restaurant_target),
        answers=FOOD_CLEAN,
        lng=102.71,
        lat=24.98,
    )
    client = Client()
    _warm(client, token)
    mine = Visit.objects.filter(worker=world.grid1_worker, due_on__lte=date(2024, 6, 30))
    answers = {
        state: client.get(URL, {**DUE, "state": state} if state else DUE, **_bearer(token)).json()
        for state in ("", "due", "done", "")
    }
    assert answers[""]["count"] == mine.count()
    assert answers["done"]["count"] == mine.filter(state=Visit.State.DONE).count() >= 1
    assert answers["due"]["count"] == mine.filter(state=Visit.State.DUE).count() >= 1
    assert {item["state"] for item in answers["due"]["items"]} == {"due"}
    assert done.pk in {item["id"] for item in answers["done"]["items"]}
    assert done.pk not in {item["id"] for item in answers["due"]["items"]}


def test_a_state_that_is_not_one_is_refused_naming_the_field(token: str, world: World) -> None:
    answer = Client().get(URL, {**DUE, "state": "overdue"}, **_bearer(token))
    assert answer.status_code == 422
    assert answer.json()["field"] == "state"
