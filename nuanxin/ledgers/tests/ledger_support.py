"""Records for the ledger tests.

The ledgers read records other parts write (visits and rectification orders, disputes,
campaigns); their actions are exercised by their own tests, so here the rows are put in
place directly, with exactly the values each assertion needs.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from nuanxin.inspections.models import ChecklistTemplate, Hazard, Rectification, Visit, WatchTarget
from nuanxin.inspections.tests.conftest import Watch
from nuanxin.ledgers.models import Dispute, DisputeParty, MediationSession, Mediator
from nuanxin.testing import World
from nuanxin.volunteers.models import Activity, Participant

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def version(code: str) -> Any:
    return ChecklistTemplate.objects.get(code=code).current_version()


def done_visit(target: WatchTarget, *, due: date, done: date, worker: Any, **extra: Any) -> Visit:
    return Visit.objects.create(
        kind=extra.pop("kind", Visit.Kind.ROUTINE),
        target=target,
        category=target.category,
        place=target.place,
        grid=target.grid,
        worker=worker,
        due_on=due,
        version=version(extra.pop("template")),
        state=Visit.State.DONE,
        done_at=at(done),
        **extra,
    )


def order(visit: Visit, number: str, hazards: int, state: str = Rectification.State.OPEN) -> Rectification:
    rectification = Rectification.objects.create(
        number=number,
        visit=visit,
        target=visit.target,
        place=visit.place,
        category=visit.category,
        grid=visit.grid,
        responsible_party="店主",
        severity="major",
        issued_on=visit.done_at.date(),
        deadline=date(2024, 4, 1),
        state=state,
    )
    for n in range(hazards):
        Hazard.objects.create(rectification=rectification, item=f"item{n}", label="隐患", severity="major")
    return rectification


@dataclass
class Records:
    watch: Watch
    food_hazard: Visit  # restaurant, grid 1, 2 hazards, on time
    food_clean: Visit  # restaurant, grid 1, clean, late
    fire_clean: Visit  # hotel, grid 2
    fire_campaign: Visit  # campaign check of compound 1, grid 1, 1 hazard
    key_visit: Visit  # zhang as a key person, grid 1
    care_visit: Visit  # zhang as a special group, grid 1
    dispute: Dispute  # grid 1, closed with an agreement
    open_dispute: Dispute  # grid 2
    sweep: Activity  # fire-safety sweep in grid 1


@pytest.fixture
def records(world: World, watch: Watch) -> Records:
    food_hazard = done_visit(
        watch.restaurant_target,
        due=date(2024, 3, 8),
        done=date(2024, 3, 5),
        worker=world.grid1_worker,
        template="food-safety",
    )
    order(food_hazard, "ZG2024-0001", 2)
    food_clean = done_visit(
        watch.restaurant_target,
        due=date(2024, 3, 1),
        done=date(2024, 3, 12),
        worker=world.grid1_worker,
        template="food-safety",
    )
    fire_clean = done_visit(
        watch.hotel_target,
        due=date(2024, 3, 9),
        done=date(2024, 3, 6),
        worker=world.grid2_worker,
        template="fire-safety",
    )
    key_visit = done_visit(
        watch.key_target, due=date(2024, 3, 8), done=date(2024, 3, 7), worker=world.grid1_leader, template="key-person"
    )
    care_visit = done_visit(
        watch.special_target,
        due=date(2024, 3, 9),
        done=date(2024, 3, 8),
        worker=world.grid1_worker,
        template="elderly-care",
    )
    sweep = Activity.objects.create(
        number="HD2024001",
        kind="fire_check",
        title="三月消防安全排查",
        area=world.grid1,
        starts_on=date(2024, 3, 9),
        ends_on=date(2024, 3, 9),
        organiser=world.community_staff,
    )
    sweep.places.add(world.compound1, watch.restaurant)
    for name, group in [("骑手甲", "rider"), ("骑手乙", "rider"), ("快递丙", "courier"), ("志愿丁", "volunteer")]:
        Participant.objects.create(activity=sweep, name=name, group=group)
    Participant.objects.create(activity=sweep, name="网格员", group="staff", user=world.grid1_worker)
    fire_campaign = Visit.objects.create(
        kind=Visit.Kind.CAMPAIGN,
        place=world.compound1,
        activity=sweep,
        grid=world.grid1,
        worker=world.grid1_worker,
        due_on=date(2024, 3, 9),
        version=version("fire-safety"),
        state=Visit.State.DONE,
        done_at=at(date(2024, 3, 9)),
    )
    order(fire_campaign, "ZG2024-0002", 1, state=Rectification.State.FIXED)
    dispute = Dispute.objects.create(
        number="JF202400001",
        kind="neighbour",
        summary="楼上漏水",
        source="walk_in",
        grid=world.grid1,
        received_on=date(2024, 3, 2),
        state="closed",
        outcome="agreement",
        settled_level="grid",
        closed_on=date(2024, 3, 20),
        recorded_by=world.grid1_worker,
    )
    DisputeParty.objects.create(dispute=dispute, kind="person", name="张三丰", phone="13812345678")
    DisputeParty.objects.create(dispute=dispute, kind="unit", name="安居物业公司")
    Mediator.objects.create(dispute=dispute, user=world.grid1_worker, name="一网格员", group="staff")
    Mediator.objects.create(dispute=dispute, name="王志愿", group="volunteer")
    for day in (date(2024, 3, 5), date(2024, 3, 12)):
        MediationSession.objects.create(dispute=dispute, held_on=day, summary="调解", recorded_by=world.grid1_worker)
    open_dispute = Dispute.objects.create(
        number="JF202400002",
        kind="consumer",
        summary="退货纠纷",
        source="report",
        grid=world.grid2,
        received_on=date(2024, 3, 5),
        recorded_by=world.grid2_worker,
    )
    DisputeParty.objects.create(dispute=open_dispute, kind="person", name="王五")
    return Records(
        watch, food_hazard, food_clean, fire_clean, fire_campaign, key_visit, care_visit, dispute, open_dispute, sweep
    )


def xlsx(rows: list[list[Any]], *, formula_cells: dict[str, str] | None = None) -> bytes:
    """An .xlsx with these rows on its first sheet (and formulas written into cells)."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for coordinate, formula in (formula_cells or {}).items():
        sheet[coordinate] = formula
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
