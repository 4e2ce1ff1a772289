"""Visits waiting for a grid worker on the homes (inspections/work.py through core.workqueue)."""

from datetime import date
from typing import Any

import time_machine

from nuanxin.accounts.scope import scope_of
from nuanxin.core import workqueue
from nuanxin.inspections import actions
from nuanxin.inspections.tests.conftest import Watch

# As in test_views: the daily job on Monday 29 April 2024 marks March's visits missed and plans
# the restaurant's for Sunday 5 May and the special group's for Tuesday 30 April.
PLANNED_ON = date(2024, 4, 29)


def visits_waiting(user: Any) -> Any:
    return {w.source.key: w for w in workqueue.waiting_for(scope_of(user), user)}.get("visits")


def test_visits_due_today_and_overdue_wait_for_their_worker(world: Any, watch: Watch) -> None:
    actions.generate_due_visits(today=PLANNED_ON)
    with time_machine.travel("2024-04-30 09:00:00+08:00", tick=False):
        found = visits_waiting(world.grid1_worker)
        other = visits_waiting(world.grid2_worker)
    # Two missed in March and the special group's due today; Sunday's is not yet.
    assert found.count == 3
    assert [i.when for i in found.items] == [date(2024, 3, 10), date(2024, 3, 31), date(2024, 4, 30)]
    assert [i.overdue for i in found.items] == [True, True, False]
    assert "小面馆" in found.items[0].title and found.items[0].url.startswith("/inspections/visits/")
    assert all("小面馆" not in i.title for i in (other.items if other else []))
    assert visits_waiting(world.rider) is None
