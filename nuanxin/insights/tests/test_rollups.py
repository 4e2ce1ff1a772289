"""The rollups agree with a recount from the records after any sequence of the actions that
move the figures (hypothesis), for every viewer and node, and a rebuild gives the same rows."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.insights import rollups
from nuanxin.insights.models import FigureCount
from nuanxin.insights.queries import counted_figures, period_figures
from nuanxin.inspections import actions as inspections
from nuanxin.inspections import rectifications
from nuanxin.inspections.models import ChecklistTemplate, Rectification, Visit
from nuanxin.ledgers.disputes import actions as ledgers
from nuanxin.ledgers.models import Dispute
from nuanxin.territory import actions as territory
from nuanxin.territory.models import Place
from nuanxin.testing import SYSTEM_SCOPE, table_schema
from nuanxin.volunteers.activities import actions as volunteers
from nuanxin.volunteers.models import Activity, Participant, ParticipantGroup

SH = ZoneInfo("Asia/Shanghai")
FIRST = date(2024, 3, 1)
LAST = date(2024, 3, 31)
PARTIES = [{"kind": "person", "name": "张三丰"}]
# Clean and hazardous answers per checklist.
ANSWERS = {
    "fire-safety": (
        {
            "exits_clear": True,
            "extinguishers_ok": True,
            "extinguisher_count": 2,
            "emergency_lights_ok": True,
            "ebike_indoor": False,
            "wiring": "ok",
        },
        {
            "exits_clear": False,
            "extinguishers_ok": True,
            "extinguisher_count": 2,
            "emergency_lights_ok": True,
            "ebike_indoor": False,
            "wiring": "messy",
        },
    ),
    "food-safety": (
        {
            "licence_shown": True,
            "health_certificates": True,
            "raw_cooked_apart": True,
            "expired_food": False,
            "gas_alarm_ok": True,
        },
        {
            "licence_shown": True,
            "health_certificates": False,
            "raw_cooked_apart": True,
            "expired_food": True,
            "gas_alarm_ok": True,
        },
    ),
    "key-person": (
        {"met_in_person": True, "stable": True, "address_same": True},
        {"met_in_person": False, "stable": True, "address_same": True},
    ),
    "elderly-care": (
        {"met_in_person": True, "health": "good", "gas_safe": True, "needs_help": False},
        {"met_in_person": True, "health": "poor", "gas_safe": True, "needs_help": False},
    ),
}
OPS = (
    "dispute",
    "close",
    "activity",
    "join",
    "leave",
    "check",
    "plan",
    "visit",
    "deadline",
    "move",
)
# (viewer, node attribute of the world): who asks for which node's figures.
VIEWS = (
    ("community_admin", "community"),
    ("grid1_worker", "grid1"),
    ("grid1_leader", "grid1"),
    ("grid2_worker", "grid2"),
    ("street_staff", "street"),
)
PERIODS = ((FIRST, LAST), (date(2024, 3, 5), date(2024, 3, 15)), (date(2024, 3, 20), date(2024, 4, 30)))


def _day(n: int) -> date:
    return FIRST + timedelta(days=n % 31)


def _pick(rows: list, n: int):
    return rows[n % len(rows)] if rows else None


def _step(world, watch, op: str, a: int, b: int) -> None:
    admin = world.community_admin
    grids = (world.grid1, world.grid2)
    if op == "dispute":
        ledgers.register_dispute(
            actor=admin,
            scope=SYSTEM_SCOPE,
            kind="neighbour",
            summary="楼上漏水",
            source="walk_in",
            grid=grids[a % 2],
            received_on=_day(b),
            parties=PARTIES,
            today=LAST,
        )
    elif op == "close":
        dispute = _pick(list(Dispute.objects.filter(state=Dispute.State.OPEN).order_by("pk")), a)
        outcome = ("agreement", "referred", "failed")[b % 3]
        level = ("grid", "community", "street")[(a + b) % 3]
        if dispute is not None:
            ledgers.close_dispute(
                actor=admin,
                scope=SYSTEM_SCOPE,
                dispute=dispute,
                outcome=outcome,
                settled_level=level,
                closed_on=_day(dispute.received_on.day - 1 + b % 5),
                today=LAST + timedelta(days=5),
            )
    elif op == "activity":
        area = (world.grid1, world.grid2, world.community)[a % 3]
        day = _day(b)
        kind = ("fire_check", "cleanup", "anti_fraud")[b % 3]
        volunteers.create_activity(
            actor=admin, scope=SYSTEM_SCOPE, kind=kind, title="活动", area=area, starts_on=day, ends_on=day
        )
    elif op == "join":
        activity = _pick(list(Activity.objects.order_by("pk")), a)
        group = ParticipantGroup.values[b % len(ParticipantGroup.values)]
        if activity is not None:
            volunteers.add_participant(actor=admin, scope=SYSTEM_SCOPE, activity=activity, group=group, name="某某")
    elif op == "leave":
        participant = _pick(list(Participant.objects.order_by("pk")), a)
        if participant is not None:
            volunteers.remove_participant(actor=admin, scope=SYSTEM_SCOPE, participant=participant)
    elif op == "check":
        place = (watch.restaurant, watch.hotel)[a % 2]
        code = ("fire-safety", "food-safety")[b % 2]
        worker = world.grid1_worker if place.grid_id == world.grid1.pk else world.grid2_worker
        inspections.record_check(
            actor=worker,
            scope=SYSTEM_SCOPE,
            activity=None,
            place=place,
            template=ChecklistTemplate.objects.get(code=code),
            answers=ANSWERS[code][(a // 2) % 2],
            now=datetime.combine(_day(b), time(a % 24), tzinfo=SH),
        )
    elif op == "plan":
        inspections.generate_due_visits(today=_day(a))
    elif op == "visit":
        visit = _pick(
            list(Visit.objects.exclude(state=Visit.State.DONE).select_related("version__template").order_by("pk")), a
        )
        if visit is not None:
            code = visit.version.template.code
            inspections.record_visit(
                actor=visit.worker,
                scope=SYSTEM_SCOPE,
                visit=visit,
                answers=ANSWERS[code][b % 2],
                now=datetime.combine(_day(visit.due_on.day - 3 + b % 7), time(9), tzinfo=SH),
            )
    elif op == "deadline":
        order = _pick(list(Rectification.objects.filter(state=Rectification.State.OPEN).order_by("pk")), a)
        if order is not None:
            rectifications.change_deadline(
                actor=admin,
                scope=SYSTEM_SCOPE,
                order=order,
                deadline=_day(b) + timedelta(days=2),
                reason="协商延期",
                today=_day(b),
            )
    elif op == "move":
        place = watch.restaurant
        lng = 102.7025 if place.grid_id == world.grid1.pk else 102.7005
        territory.change_place(actor=admin, scope=SYSTEM_SCOPE, place=place, lng=lng, lat=place.lat)


def _assert_rollups_match_a_recount(world) -> None:
    for persona, node_name in VIEWS:
        scope, node = scope_of(world.users[persona]), getattr(world, node_name)
        for start, end in PERIODS:
            kept = period_figures(scope, node, start, end).as_dict()
            counted = counted_figures(scope, node, start, end).as_dict()
            assert kept == counted, (persona, node_name, start, end)


def _nonzero_rows() -> set[tuple]:
    return set(
        FigureCount.objects.exclude(count=0).values_list("node_id", "day", "metric", "category", "previous", "count")
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 40), st.integers(0, 40)),
        min_size=1,
        max_size=14,
    )
)
def test_rollups_match_a_recount_after_any_sequence_of_actions(world, watch, steps):
    savepoint = transaction.savepoint()
    try:
        for op, a, b in steps:
            try:
                with transaction.atomic():
                    _step(world, watch, op, a, b)
            except DomainError:
                continue  # refused, nothing written: the figures must not move either
        _assert_rollups_match_a_recount(world)
        kept = _nonzero_rows()
        rollups.rebuild()
        assert _nonzero_rows() == kept
    finally:
        transaction.savepoint_rollback(savepoint)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild drops indexes on PostgreSQL only")
def test_a_rebuild_puts_back_every_index_and_constraint_of_the_rollups(world, watch):
    _step(world, watch, "dispute", 0, 4)
    before = table_schema([FigureCount._meta.db_table])
    kept = _nonzero_rows()
    assert kept and len(before) >= 3
    rollups.rebuild()
    assert table_schema([FigureCount._meta.db_table]) == before
    assert _nonzero_rows() == kept


def test_a_full_history_is_counted_once_at_every_level(world, watch):
    """One of each change, then the community's and the street's rows hold the grid's."""
    for op, a, b in [
        ("dispute", 0, 4),
        ("close", 0, 6),
        ("activity", 0, 3),
        ("join", 0, 3),
        ("join", 0, 4),
        ("check", 2, 5),
        ("plan", 8, 0),
        ("visit", 0, 1),
    ]:
        _step(world, watch, op, a, b)
    _assert_rollups_match_a_recount(world)
    figures = period_figures(scope_of(world.community_admin), world.community, FIRST, LAST)
    assert figures.disputes.received == 1 and figures.fire_checks == 1
    assert figures.visits_done == 2 and figures.hazards.found >= 1
    by_node = dict(FigureCount.objects.filter(metric="disputes_received").values_list("node__level", "count"))
    assert by_node == {"grid": 1, "community": 1, "street": 1, "district": 1}


def test_a_refused_action_moves_no_figure(world, watch):
    _step(world, watch, "dispute", 0, 2)
    before = _nonzero_rows()
    dispute = Dispute.objects.get()
    with pytest.raises(DomainError):
        ledgers.close_dispute(
            actor=world.community_admin,
            scope=SYSTEM_SCOPE,
            dispute=dispute,
            outcome="agreement",
            settled_level="grid",
            closed_on=dispute.received_on - timedelta(days=1),
            today=LAST,
        )
    assert _nonzero_rows() == before


def test_rebuild_figures_command_counts_the_records_again(world, watch):
    from io import StringIO

    from django.core.management import call_command

    _step(world, watch, "dispute", 1, 3)
    kept = _nonzero_rows()
    FigureCount.objects.all().delete()
    out = StringIO()
    call_command("rebuild_figures", stdout=out)
    assert _nonzero_rows() == kept
    assert out.getvalue().strip() == f"{FigureCount.objects.count()} rollup rows written."


def test_checks_of_one_place_in_two_grids_are_one_enterprise_in_each_grid_and_in_their_community(world, watch):
    """A check filed from a page loaded before its place moved keeps the old grid, while the
    place's earlier checks moved with it: each grid checked it once in the period, and their
    community one enterprise, not two and not none."""
    loaded_before_the_move = Place.objects.get(pk=watch.restaurant.pk)
    _step(world, watch, "check", 0, 3)  # food safety
    _step(world, watch, "move", 0, 0)  # the place and its checks to the other grid
    watch.restaurant = loaded_before_the_move
    _step(world, watch, "check", 0, 5)
    grids = set(Visit.objects.filter(place=watch.restaurant).values_list("grid_id", flat=True))
    assert grids == {world.grid1.pk, world.grid2.pk}
    _assert_rollups_match_a_recount(world)
    admin = scope_of(world.community_admin)
    for node in (world.grid1, world.grid2, world.community):
        assert period_figures(admin, node, FIRST, LAST).food_safety_enterprises == 1, node.level
    kept = _nonzero_rows()
    rollups.rebuild()
    assert _nonzero_rows() == kept
