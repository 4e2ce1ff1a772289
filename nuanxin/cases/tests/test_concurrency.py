"""Two people acting on one case at the same moment: exactly one succeeds (PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseClass
from nuanxin.core.errors import DomainError
from nuanxin.testing import build_world

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite test databases are in memory; real concurrency needs a server"
)


@pytest.mark.django_db(transaction=True)
def test_accept_and_reject_at_once_only_one_wins():
    world = build_world()
    install_catalogue(actor=None)
    case = actions.report_case(
        actor=None,
        case_class=CaseClass.objects.get(code="sanitation"),
        description="垃圾",
        lng=102.7011,
        lat=24.9811,
        channel="api",
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(name: str) -> None:
        try:
            copy = Case.objects.get(pk=case.pk)
            admin = world.community_admin if name == "accept" else world.grid1_leader
            barrier.wait(timeout=10)
            if name == "accept":
                actions.accept_case(actor=admin, scope=scope_of(admin), case=copy)
            else:
                actions.reject_case(actor=admin, scope=scope_of(admin), case=copy, reason="重复", closure="duplicate")
            outcomes.append("won")
        except DomainError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(n,)) for n in ("accept", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "won"]
    case.refresh_from_db()
    assert case.version == 1 and case.events.count() == 2
