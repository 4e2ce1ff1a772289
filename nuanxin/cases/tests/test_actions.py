"""The closed loop through the actions: routing, states, levels, timeline, audit."""

import pytest

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions
from nuanxin.cases.models import Case, CaseEvent
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.testing import photo_upload


def _scope(user):
    user.__dict__.pop("_nuanxin_scope", None)
    return scope_of(user)


def test_report_routes_to_the_grid_and_its_worker(world, report):
    case = report("sanitation", by=world.rider)
    assert case.grid == world.grid1 and case.level == "grid"
    assert case.handler == world.grid1_worker
    assert case.state == "reported" and case.deadline is not None
    assert case.number.endswith("-0001")
    assert list(case.events.values_list("kind", flat=True)) == ["reported"]


def test_case_numbers_count_up_per_day(world, report):
    first, second = report("sanitation"), report("noise", lng=102.7031)
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1
    assert second.grid == world.grid2 and second.handler == world.grid2_worker


def test_community_level_class_has_no_grid_handler(world, report):
    case = report("illegal-occupation")
    assert case.level == "community" and case.handler is None


def test_emergency_class_marks_the_case(world, report):
    assert report("stove-left-on").emergency is True


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "<script>alert(1)</script>"}, "description"),
        ({"lng": 100.0, "lat": 20.0}, "location"),
        ({"lng": 500.0}, "location"),
        ({"reporter_phone": "12345"}, "reporter_phone"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_report_is_refused_and_writes_nothing(world, report, extra, field):
    with pytest.raises(DomainError) as err:
        report("sanitation", **extra)
    assert err.value.field == field
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_required_extra_question_must_be_answered(world, report):
    with pytest.raises(DomainError) as err:
        report("noise", answers={})
    assert err.value.field == "attribute[when]"
    with pytest.raises(DomainError):
        report("noise", answers={"when": "midnight-ish"})


def test_anonymous_report_keeps_no_identity(world, report):
    case = report("sanitation", by=world.rider, anonymous=True, reporter_name="李字春", reporter_phone="13812345678")
    assert case.reporter_name == "" and case.reporter_phone == ""
    entry = AuditEntry.objects.get(action="cases.reported", object_id=str(case.pk))
    assert entry.actor_id is None and entry.actor_name == ""
    assert case.events.get().actor is None


def test_the_whole_loop_with_its_timeline(world, report):
    admin, worker = world.community_admin, world.grid1_worker
    case = report("sanitation", by=world.rider)
    case = actions.accept_case(actor=admin, scope=_scope(admin), case=case)
    case = actions.dispatch_case(actor=admin, scope=_scope(admin), case=case, handler=worker)
    case = actions.start_case(actor=worker, case=case)
    case = actions.resolve_case(actor=worker, case=case, note="已清理", photos=[photo_upload()])
    case = actions.verify_case(actor=admin, scope=_scope(admin), case=case)
    case = actions.close_case(actor=admin, scope=_scope(admin), case=case)
    case = actions.evaluate_case(actor=world.rider, case=case, satisfaction=5)
    assert (case.state, case.closure, case.satisfaction) == ("closed", "fixed", 5)
    assert case.closed_at is not None and case.deadline is None
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["reported", "accepted", "dispatched", "started", "resolved", "verified", "closed", "evaluated"]
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk)).count() == 8


def test_wrong_state_transition_is_refused(world, report):
    admin = world.community_admin
    case = report("sanitation")
    with pytest.raises(DomainError) as err:
        actions.close_case(actor=admin, scope=_scope(admin), case=case)
    assert err.value.code == "invalid_transition"
    case.refresh_from_db()
    assert case.state == "reported" and case.events.count() == 1


def test_handler_cannot_verify_own_work(world, report):
    leader = world.grid1_leader
    case = report("sanitation")
    case = actions.accept_case(actor=leader, scope=_scope(leader), case=case)
    case = actions.dispatch_case(actor=leader, scope=_scope(leader), case=case, handler=leader)
    case = actions.start_case(actor=leader, case=case)
    case = actions.resolve_case(actor=leader, case=case, note="处理完毕", photos=[photo_upload()])
    with pytest.raises(DomainError):
        actions.verify_case(actor=leader, scope=_scope(leader), case=case)


def test_only_the_handler_works_the_case(world, report):
    admin = world.community_admin
    case = report("sanitation")
    case = actions.accept_case(actor=admin, scope=_scope(admin), case=case)
    case = actions.dispatch_case(actor=admin, scope=_scope(admin), case=case, handler=world.grid1_worker)
    with pytest.raises(DomainError):
        actions.start_case(actor=world.grid2_worker, case=case)


def test_dispatch_only_to_someone_who_handles_cases_there(world, report):
    admin = world.community_admin
    case = actions.accept_case(actor=admin, scope=_scope(admin), case=report("sanitation"))
    for wrong in (world.grid2_worker, world.rider, world.auditor):
        with pytest.raises(DomainError) as err:
            actions.dispatch_case(actor=admin, scope=_scope(admin), case=case, handler=wrong)
        assert err.value.field == "handler"


def test_another_grids_worker_and_another_community_cannot_accept(world, report):
    # The handler the case is routed to may (test_routing.py); these may not.
    case = report("sanitation")
    for user in (world.grid2_worker, world.other_admin, world.rider):
        with pytest.raises(DomainError) as err:
            actions.accept_case(actor=user, scope=_scope(user), case=case)
        assert err.value.code == "forbidden"


def test_reject_needs_an_honest_closure_and_a_reason(world, report):
    admin = world.community_admin
    case = report("sanitation")
    with pytest.raises(DomainError):
        actions.reject_case(actor=admin, scope=_scope(admin), case=case, reason="重复", closure="fixed")
    with pytest.raises(DomainError):
        actions.reject_case(actor=admin, scope=_scope(admin), case=case, reason="", closure="referred")
    case = actions.reject_case(actor=admin, scope=_scope(admin), case=case, reason="属于供电公司", closure="referred")
    assert (case.state, case.closure) == ("rejected", "referred")


def test_reporter_says_not_fixed_and_the_case_reopens(world, report):
    admin, worker = world.community_admin, world.grid1_worker
    case = report("sanitation", by=world.resident)
    case = actions.accept_case(actor=admin, scope=_scope(admin), case=case)
    case = actions.dispatch_case(actor=admin, scope=_scope(admin), case=case, handler=worker)
    case = actions.resolve_case(
        actor=worker, case=actions.start_case(actor=worker, case=case), note="已处理", photos=[photo_upload()]
    )
    case = actions.reopen_case(actor=world.resident, scope=_scope(world.resident), case=case, note="垃圾还在")
    assert case.state == "in_progress" and case.handler == worker
    with pytest.raises(DomainError):  # a stranger is not the reporter and manages nothing
        actions.reopen_case(actor=world.stranger, scope=_scope(world.stranger), case=case, note="x")


def test_escalation_climbs_the_levels_and_stops_at_an_agency(world, report):
    admin = world.community_admin
    case = report("sanitation")
    for level in ("community", "street", "agency"):
        case = actions.escalate_case(actor=admin, scope=_scope(admin), case=case, reason="网格无法处置")
        assert case.level == level and case.handler is None and case.state == "accepted"
    with pytest.raises(DomainError):
        actions.escalate_case(actor=admin, scope=_scope(admin), case=case, reason="再上报")
    assert list(case.events.filter(kind="escalated").values_list("to_level", flat=True)) == [
        "community",
        "street",
        "agency",
    ]


def test_transfer_to_another_grid_is_recorded(world, report):
    admin = world.community_admin
    case = actions.transfer_case(
        actor=admin, scope=_scope(admin), case=report("sanitation"), grid=world.grid2, reason="位置在二网格"
    )
    assert case.grid == world.grid2 and case.handler == world.grid2_worker
    assert case.events.filter(kind="transferred").exists()
    with pytest.raises(DomainError):
        actions.transfer_case(actor=admin, scope=_scope(admin), case=case, grid=world.other_grid, reason="x")


def test_merge_closes_the_duplicate_into_the_survivor(world, report):
    admin = world.community_admin
    survivor, duplicate = report("sanitation"), report("sanitation")
    merged = actions.merge_case(actor=admin, scope=_scope(admin), case=duplicate, into=survivor)
    assert (merged.state, merged.closure, merged.merged_into) == ("closed", "duplicate", survivor)
    with pytest.raises(DomainError):
        actions.merge_case(actor=admin, scope=_scope(admin), case=report("noise"), into=survivor)


def test_a_stale_copy_cannot_overwrite_a_newer_change(world, report):
    """Two people acting on one case at once: the second, holding an old copy, is refused."""
    admin, leader = world.community_admin, world.grid1_leader
    case = report("sanitation")
    stale = Case.objects.get(pk=case.pk)
    actions.accept_case(actor=admin, scope=_scope(admin), case=case)
    with pytest.raises(DomainError) as err:
        actions.reject_case(actor=leader, scope=_scope(leader), case=stale, reason="不是我们的事", closure="referred")
    assert err.value.code in ("stale", "invalid_transition")
    case.refresh_from_db()
    assert case.state == "accepted" and case.events.count() == 2
