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


def test_the_node_is_read_by_one_statement_kept_per_scope(world):
    """node_or_404 reads a node through a statement compiled once per scope with the node's id
    in it (Scope.prepared): each node asked is its own row, an unknown id is a 404 and a node
    out of reach the same audited 404 as ever."""
    from django.http import Http404

    from nuanxin.insights.queries import node_or_404

    scope = scope_of(world.community_admin)
    nodes = [node_or_404(scope, area.pk) for area in (world.community, world.grid1, world.grid2)]
    assert [key for key in scope.built if key == ("figure node",)] == [("figure node",)]
    assert [(n.pk, n.name, n.level, n.path) for n in nodes] == [
        (a.pk, a.name, a.level, a.path) for a in (world.community, world.grid1, world.grid2)
    ]
    with pytest.raises(Http404):
        node_or_404(scope, 10**12)
    with pytest.raises(Http404):
        node_or_404(scope, world.street.pk)  # above the admin's community
