"""What period figures cost over the API, pinned (issue 15: docs/performance.md): with a bearer
token the worker process remembers, the node and the rollups only, whatever the caller's reach;
the answer is the figures as the queries give them, through the caller's scope."""

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from nuanxin.accounts import token_memory
from nuanxin.accounts.scope import scope_of
from nuanxin.accounts.tests.test_tokens import _bearer, _issue
from nuanxin.insights.queries import period_figures
from nuanxin.insights.tests.test_period import END, PERIOD, START, URL, history  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("history")


@pytest.fixture(autouse=True)
def _cold() -> None:
    token_memory.forget_all()


@pytest.mark.parametrize(("username", "persona", "node"), [("community-admin", "community_admin", "community"),
                                                          ("grid1-worker", "grid1_worker", "grid1"),
                                                          ("grid1-leader", "grid1_leader", "grid1"),
                                                          ("street-staff", "street_staff", "street")])  # fmt: skip
def test_period_figures_cost_three_statements(world, django_assert_num_queries, username, persona, node):
    area = getattr(world, node)
    token, client, asked = _issue(username), Client(), {"node": area.pk, **PERIOD}
    for _ in range(2):  # the first request notes whose the token is, the second remembers it
        assert client.get(URL, asked, **_bearer(token)).status_code == 200
    # The account's stamp, the node, the rollups.
    with django_assert_num_queries(3):
        answer = client.get(URL, asked, **_bearer(token)).json()
    figures = period_figures(scope_of(world.users[persona]), area, START, END).as_dict()
    assert answer == json.loads(json.dumps(figures, cls=DjangoJSONEncoder))


def test_a_key_persons_visit_counts_over_the_api_only_with_the_permission(world):
    asked = {"node": world.grid1.pk, **PERIOD}
    worker = Client().get(URL, asked, **_bearer(_issue("grid1-worker"))).json()
    leader = Client().get(URL, asked, **_bearer(_issue("grid1-leader"))).json()
    assert (worker["visits"]["done"], worker["hazards"]["found"]) == (3, 2)
    assert (leader["visits"]["done"], leader["hazards"]["found"]) == (4, 3)
