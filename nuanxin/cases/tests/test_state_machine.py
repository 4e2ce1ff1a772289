"""No sequence of actions reaches an invalid state or loses a timeline entry."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions
from nuanxin.cases.actions import OPEN_STATES, STATE_FLOW
from nuanxin.cases.models import Case
from nuanxin.core.errors import DomainError
from nuanxin.testing import photo_upload

STEPS = [
    "accept",
    "reject",
    "dispatch",
    "start",
    "resolve",
    "verify",
    "close",
    "reopen",
    "escalate",
    "transfer",
    "evaluate",
]


def _apply(step, case, world):
    admin, worker, reporter = world.community_admin, world.grid1_worker, world.resident
    scope = scope_of(admin)
    handler = case.handler or worker
    calls = {
        "accept": lambda: actions.accept_case(actor=admin, scope=scope, case=case),
        "reject": lambda: actions.reject_case(
            actor=admin, scope=scope, case=case, reason="不予受理", closure="no_action"
        ),
        "dispatch": lambda: actions.dispatch_case(actor=admin, scope=scope, case=case, handler=worker),
        "start": lambda: actions.start_case(actor=handler, case=case),
        "resolve": lambda: actions.resolve_case(actor=handler, case=case, note="已处置", photos=[photo_upload()]),
        "verify": lambda: actions.verify_case(actor=admin, scope=scope, case=case),
        "close": lambda: actions.close_case(actor=admin, scope=scope, case=case),
        "reopen": lambda: actions.reopen_case(actor=reporter, scope=scope_of(reporter), case=case, note="没修好"),
        "escalate": lambda: actions.escalate_case(actor=admin, scope=scope, case=case, reason="需要上级协调"),
        "transfer": lambda: actions.transfer_case(
            actor=admin,
            scope=scope,
            case=case,
            grid=world.grid2 if case.grid_id == world.grid1.pk else world.grid1,
            reason="位置有误",
        ),
        "evaluate": lambda: actions.evaluate_case(actor=reporter, case=case, satisfaction=4),
    }
    return calls[step]()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(STEPS), max_size=12))
def test_any_sequence_keeps_the_case_valid_and_its_timeline_whole(world, report, steps):
    case = report("sanitation", by=world.resident)
    successes = 0
    verified_seen = False
    for step in steps:
        before = Case.objects.get(pk=case.pk)
        try:
            case = _apply(step, before, world)
        except DomainError:
            after = Case.objects.get(pk=case.pk)
            assert (after.state, after.version, after.level) == (before.state, before.version, before.level)
            case = after
            continue
        successes += 1
        verified_seen = verified_seen or case.state == "verified"
        assert case.state in Case.State.values
        if case.state in OPEN_STATES:
            assert case.closure == "" and case.closed_at is None
        if case.closure == "fixed":
            assert verified_seen, "only a verified case may close as fixed"
    case.refresh_from_db()
    assert case.events.count() == successes + 1  # nothing lost, nothing extra
    assert case.version == successes
    kinds = set(case.events.values_list("kind", flat=True)) - {"reported", "evaluated"}
    assert kinds <= set(STATE_FLOW)
