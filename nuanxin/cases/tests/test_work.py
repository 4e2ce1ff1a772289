"""The cases waiting for a viewer on the homes (cases/work.py through core.workqueue)."""

import pytest

from nuanxin.accounts.actions import grant_role
from nuanxin.accounts.models import User
from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions
from nuanxin.core import workqueue
from nuanxin.core.audit import SYSTEM
from nuanxin.core.errors import DomainError
from nuanxin.testing import photo_upload


def waiting(world, persona):
    user = world.users[persona]
    return {w.source.key: w for w in workqueue.waiting_for(scope_of(user), user)}


def test_a_new_case_waits_for_the_worker_it_is_routed_to_and_the_grids_leader(world, report):
    case = report("sanitation", by=world.users["rider"])
    assert case.handler_id == world.users["grid1_worker"].pk
    worker = waiting(world, "grid1_worker")["cases"]
    assert worker.count == 1 and worker.items[0].title.endswith(case.number)
    assert worker.items[0].url == f"/cases/{case.pk}/"
    leader = waiting(world, "grid1_leader")["cases"]
    assert leader.count == 1 and "一网格" in leader.items[0].detail
    # Not another grid's worker, not the reporter, not a resident.
    for persona in ("grid2_worker", "rider", "resident", "auditor"):
        assert "cases" not in waiting(world, persona), persona


def test_a_dispatched_case_waits_for_its_handler_only_and_comes_back_to_verify(world, report):
    leader = world.users["grid1_leader"]
    worker = world.users["grid1_worker"]
    case = report("sanitation", by=world.users["rider"])
    case = actions.accept_case(actor=leader, scope=scope_of(leader), case=case)
    case = actions.dispatch_case(actor=leader, scope=scope_of(leader), case=case, handler=worker)
    assert "cases" not in waiting(world, "grid1_leader")
    assert waiting(world, "grid1_worker")["cases"].count == 1
    case = actions.start_case(actor=worker, case=case)
    case = actions.resolve_case(actor=worker, case=case, note="清理完毕", photos=[photo_upload()])
    assert "cases" not in waiting(world, "grid1_worker")
    assert waiting(world, "grid1_leader")["cases"].count == 1


def test_emergencies_come_first_then_the_nearest_deadline(world, report):
    older = report("sanitation", by=world.users["rider"])
    emergency = report("stove-left-on", by=world.users["rider"])
    items = waiting(world, "grid1_leader")["cases"].items
    assert [i.url for i in items] == [f"/cases/{emergency.pk}/", f"/cases/{older.pk}/"]
    assert items[0].urgent and not items[1].urgent


def test_street_staff_wait_only_for_cases_escalated_to_them(world, report):
    leader = world.users["grid1_leader"]
    case = report("sanitation", by=world.users["rider"])
    assert "cases" not in waiting(world, "street_staff")
    case = actions.accept_case(actor=leader, scope=scope_of(leader), case=case)
    actions.escalate_case(actor=leader, scope=scope_of(leader), case=case, reason="需要街道协调")
    case.refresh_from_db()
    if case.level == "street":
        assert waiting(world, "street_staff")["cases"].count == 1
    else:  # escalated to the community first
        assert "cases" not in waiting(world, "street_staff")
        assert waiting(world, "community_staff")["cases"].count == 1


def test_the_queue_reads_a_bounded_number_of_statements(world, report, django_assert_max_num_queries):
    for _ in range(8):
        report("sanitation", by=world.users["rider"])
    user = world.users["grid1_leader"]
    scope = scope_of(user)
    # The roles (for the levels the leader acts at), then per source a count and its first five.
    with django_assert_max_num_queries(8):
        found = workqueue.waiting_for(scope, user)
    assert found[0].count == 8 and len(found[0].items) == 5


def test_a_role_held_elsewhere_does_not_make_unescalated_cases_wait_for_street_staff(world, report):
    # Street staff of the whole street who are also community staff of the other community:
    # that role acts on the other community's cases at every level, not on this community's.
    street_staff = world.users["street_staff"]
    grant_role(actor=SYSTEM, user=street_staff, role="community_staff", area=world.other_community)
    street_staff = User.objects.get(pk=street_staff.pk)  # roles read afresh
    here = report("sanitation", by=world.users["rider"])
    there = report("sanitation", by=world.users["rider"], lng=102.7101, lat=24.9901)
    assert there.grid == world.other_grid
    found = {w.source.key: w for w in workqueue.waiting_for(scope_of(street_staff), street_staff)}
    assert [i.url for i in found["cases"].items] == [f"/cases/{there.pk}/"]
    # As the actions say: the one waiting can be accepted, the other cannot.
    actions.accept_case(actor=street_staff, scope=scope_of(street_staff), case=there)
    with pytest.raises(DomainError):
        actions.accept_case(actor=street_staff, scope=scope_of(street_staff), case=here)


def test_a_leader_who_handled_a_case_is_not_asked_to_verify_it(world, report):
    leader = world.users["grid1_leader"]
    case = report("sanitation", by=world.users["rider"])
    case = actions.accept_case(actor=leader, scope=scope_of(leader), case=case)
    case = actions.dispatch_case(actor=leader, scope=scope_of(leader), case=case, handler=leader)
    case = actions.start_case(actor=leader, case=case)
    case = actions.resolve_case(actor=leader, case=case, note="清理完毕", photos=[photo_upload()])
    assert "cases" not in waiting(world, "grid1_leader")  # someone else verifies
    assert waiting(world, "community_admin")["cases"].count == 1
