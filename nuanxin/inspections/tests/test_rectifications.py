"""Re-checks close or escalate their order; deadlines change with a reason, never into the past."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nuanxin.accounts.scope import scope_of
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.inspections import actions
from nuanxin.inspections.models import Hazard, Rectification, Visit
from nuanxin.inspections.rectifications import change_deadline
from nuanxin.inspections.tests.conftest import Watch
from nuanxin.inspections.tests.test_record import FIRE_CLEAN, FIRE_HAZARD, due
from nuanxin.testing import SYSTEM_SCOPE, World

SH = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2024, 3, 5, 10, 0, tzinfo=SH)
FRIDAY = datetime(2024, 3, 8, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def order(world: World, watch: Watch) -> Rectification:
    install_catalogue(actor=None)
    visit = due(watch.hotel_target)
    actions.record_visit(actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=visit, answers=FIRE_HAZARD, now=TUESDAY)
    return Rectification.objects.get(visit=visit)


def test_a_clean_recheck_fixes_the_order(world: World, order: Rectification) -> None:
    recheck = Visit.objects.get(recheck_of=order)
    actions.record_visit(
        actor=world.grid2_worker, visit=recheck, answers=FIRE_CLEAN, scope=scope_of(world.grid2_worker), now=FRIDAY
    )
    order.refresh_from_db()
    assert (order.state, order.closed_at, order.case) == ("fixed", FRIDAY, None)
    assert all(h.fixed for h in Hazard.objects.filter(rectification=order))
    assert not Case.objects.exists()
    assert AuditEntry.objects.filter(action="inspections.rectification_closed", object_repr=order.number).exists()


def test_an_unfixed_recheck_escalates_into_a_case(world: World, order: Rectification) -> None:
    recheck = Visit.objects.get(recheck_of=order)
    still = FIRE_CLEAN | {"wiring": "aged"}  # exits and extinguishers fixed, wiring not
    actions.record_visit(actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=recheck, answers=still, now=FRIDAY)
    order.refresh_from_db()
    assert order.state == "escalated" and order.case is not None
    case = order.case
    assert (case.channel, case.case_class.code, case.grid, case.place) == (
        "inspection",
        "fire-hazard",
        world.grid2,
        order.place,
    )
    assert order.number in case.description and "电气线路" in case.description
    fixed = {h.item: h.fixed for h in Hazard.objects.filter(rectification=order)}
    assert fixed == {"exits_clear": True, "extinguishers_ok": True, "wiring": False}
    # The wiring hazard is judged by the order, not opened again.
    assert not Rectification.objects.filter(visit=recheck).exists()


def test_a_new_hazard_on_a_recheck_opens_its_own_order(world: World, order: Rectification) -> None:
    recheck = Visit.objects.get(recheck_of=order)
    actions.record_visit(
        actor=world.grid2_worker,
        scope=SYSTEM_SCOPE,
        visit=recheck,
        answers=FIRE_CLEAN | {"ebike_indoor": True},
        now=FRIDAY,
    )
    order.refresh_from_db()
    assert order.state == "fixed"
    new = Rectification.objects.get(visit=recheck)
    assert [h.item for h in new.hazards.all()] == ["ebike_indoor"]


def test_a_key_person_case_tells_nothing_about_the_person(world: World, watch: Watch) -> None:
    install_catalogue(actor=None)
    visit = due(watch.key_target)
    leader = world.grid1_leader
    actions.record_visit(
        actor=leader,
        scope=SYSTEM_SCOPE,
        visit=visit,
        answers={"met_in_person": False, "stable": True, "address_same": True},
    )
    order = Rectification.objects.get(visit=visit)
    recheck = Visit.objects.get(recheck_of=order)
    actions.record_visit(
        actor=leader,
        scope=SYSTEM_SCOPE,
        visit=recheck,
        answers={"met_in_person": False, "stable": True, "address_same": True},
    )
    order.refresh_from_db()
    assert order.state == "escalated"
    case = order.case
    assert case is not None and case.case_class.code == "other" and case.place == watch.people.zhang.place
    assert "张" not in case.description and "见到本人" not in case.description


def test_escalation_falls_back_without_the_mapped_class(world: World, order: Rectification, settings: Any) -> None:
    settings.NUANXIN_RECTIFICATION_CASE_CLASSES = {"fire-safety": "no-such-class"}
    recheck = Visit.objects.get(recheck_of=order)
    actions.record_visit(actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=recheck, answers=FIRE_HAZARD, now=FRIDAY)
    order.refresh_from_db()
    assert order.case is not None and order.case.case_class.code == "other"


def test_the_deadline_moves_with_its_recheck(world: World, order: Rectification) -> None:
    change_deadline(
        actor=world.grid2_worker,
        order=order,
        deadline=date(2024, 3, 20),
        reason="商户申请延期，已同意",
        scope=scope_of(world.grid2_worker),
        today=date(2024, 3, 6),
    )
    order.refresh_from_db()
    assert order.deadline == date(2024, 3, 20)
    assert Visit.objects.get(recheck_of=order).due_on == date(2024, 3, 20)
    entry = AuditEntry.objects.get(action="inspections.deadline_changed")
    assert entry.detail["deadline"] == ["2024-03-08", "2024-03-20"]


def test_a_missed_recheck_is_due_again_on_the_new_deadline(world: World, order: Rectification) -> None:
    actions.generate_due_visits(today=date(2024, 3, 9))
    assert Visit.objects.get(recheck_of=order).state == "missed"
    change_deadline(
        actor=None,
        scope=SYSTEM_SCOPE,
        order=order,
        deadline=date(2024, 3, 12),
        reason="再给三天",
        today=date(2024, 3, 9),
    )
    recheck = Visit.objects.get(recheck_of=order)
    assert (recheck.state, recheck.due_on) == ("due", date(2024, 3, 12))


@pytest.mark.parametrize(
    ("deadline", "reason", "field"),
    [
        (date(2024, 3, 5), "太早", "deadline"),
        (date(2024, 3, 8), "没变", "deadline"),
        (date(2024, 3, 20), "  ", "reason"),
        ("2024-03-20", "不是日期", "deadline"),
    ],
)
def test_a_bad_deadline_change_names_the_field(
    world: World, order: Rectification, deadline: Any, reason: str, field: str
) -> None:
    with pytest.raises(DomainError) as error:
        change_deadline(
            actor=None, scope=SYSTEM_SCOPE, order=order, deadline=deadline, reason=reason, today=date(2024, 3, 6)
        )
    assert error.value.field == field
    order.refresh_from_db()
    assert order.deadline == date(2024, 3, 8)


def test_only_field_staff_of_the_grid_change_a_deadline(world: World, order: Rectification) -> None:
    with pytest.raises(DomainError) as error:
        change_deadline(
            actor=world.grid1_worker,
            order=order,
            deadline=date(2024, 3, 20),
            reason="越权",
            scope=scope_of(world.grid1_worker),
            today=date(2024, 3, 6),
        )
    assert error.value.code == "forbidden"


def test_a_closed_order_keeps_its_deadline(world: World, order: Rectification) -> None:
    recheck = Visit.objects.get(recheck_of=order)
    actions.record_visit(actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=recheck, answers=FIRE_CLEAN, now=FRIDAY)
    with pytest.raises(DomainError):
        change_deadline(
            actor=None,
            scope=SYSTEM_SCOPE,
            order=order,
            deadline=date(2024, 3, 20),
            reason="晚了",
            today=date(2024, 3, 9),
        )
