"""Hours waiting for organisers on the homes (volunteers/work.py through core.workqueue)."""

# ruff: noqa: F811 (the `served` fixture is imported from test_hours)
from nuanxin.accounts.scope import scope_of
from nuanxin.core import workqueue
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.hours import actions as hours
from nuanxin.volunteers.tests.test_hours import Served, served  # noqa: F401


def waiting(user):
    return {w.source.key: w for w in workqueue.waiting_for(scope_of(user), user)}


def test_pending_hours_wait_for_who_certifies_them_one_line_per_activity(world: World, served: Served) -> None:
    found = waiting(world.grid1_worker)["hours"]
    assert found.count == 1  # two pending records, one activity
    assert found.items[0].title == served.activity.title
    assert "2" in found.items[0].detail and found.items[0].url == f"/volunteers/hours/activity/{served.activity.pk}/"
    # The other community's organiser sees their own activity only; a rider nothing.
    far = waiting(world.other_admin)["hours"]
    assert [i.title for i in far.items] == [served.elsewhere.activity.title]
    assert "hours" not in waiting(world.rider)


def test_approved_hours_wait_no_more(world: World, served: Served) -> None:
    for record in (served.record, served.other):
        hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=record)
    assert "hours" not in waiting(world.grid1_worker)
