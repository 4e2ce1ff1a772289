"""Many requests at the same moment (PostgreSQL): 20 redemptions against a balance for 3
give exactly 3 and a balance of 0, never below; 20 confirmations of one code give exactly
one; redemptions against a stock of 2 from many volunteers give exactly 2."""

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import Sum

from nuanxin.accounts import actions as account_actions
from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.testing import PASSWORD, SYSTEM_SCOPE, build_world
from nuanxin.volunteers.activities.actions import create_activity
from nuanxin.volunteers.models import Attendance, PointsEntry, Redemption, Reward, ServiceRecord, Volunteer
from nuanxin.volunteers.points import actions as points
from nuanxin.volunteers.points.queries import balance
from nuanxin.volunteers.tests.test_points import AT

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite test databases are in memory; real concurrency needs a server"
)


def at_once(count: int, work: Callable[[int], Any]) -> list[str]:
    """Run `work(i)` in `count` threads released together; "won" or the refusal's field."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=20)
            work(i)
            result = "won"
        except DomainError as error:
            result = error.field or error.code
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _setup() -> tuple[Any, Volunteer, Reward]:
    world = build_world()
    points.install_default_rules(actor=None, scope=SYSTEM_SCOPE)
    rider = Volunteer.objects.create(
        user=world.rider, name="李小明", phone="13800000001", phone_index="c-1", group="rider", home_grid=world.grid1
    )
    activity = create_activity(
        actor=world.community_admin,
        scope=SYSTEM_SCOPE,
        kind="cleanup",
        title="清理",
        area=world.grid1,
        starts_on=date(2024, 6, 8),
        ends_on=date(2024, 6, 8),
    )
    attendance = Attendance.objects.create(activity=activity, volunteer=rider, checked_in_at=AT, method="qr")
    record = ServiceRecord.objects.create(
        attendance=attendance, activity=activity, volunteer=rider, minutes=30 * 60, state="approved"
    )
    points.award_service_points(actor=world.community_admin, record=record)  # 30 points
    soap = points.create_reward(
        actor=None, scope=SYSTEM_SCOPE, name="洗衣皂", kind="goods", points=10, stock=100, area=world.community
    )
    return world, rider, soap


@pytest.mark.django_db(transaction=True)
def test_twenty_redemptions_with_a_balance_for_three_give_exactly_three() -> None:
    world, rider, soap = _setup()
    outcomes = at_once(20, lambda i: points.redeem(actor=world.rider, reward=soap))
    assert outcomes.count("won") == 3 and outcomes.count("points") == 17, outcomes
    assert balance(rider) == 0
    assert Redemption.objects.filter(volunteer=rider).count() == 3
    assert Reward.objects.get(pk=soap.pk).stock == 97
    # Never below zero at any point of the ledger.
    running = 0
    for delta in PointsEntry.objects.filter(volunteer=rider).order_by("id").values_list("delta", flat=True):
        running += delta
        assert running >= 0
    assert PointsEntry.objects.filter(volunteer=rider).aggregate(s=Sum("delta"))["s"] == 0


@pytest.mark.django_db(transaction=True)
def test_twenty_confirmations_of_one_code_give_exactly_one() -> None:
    world, rider, soap = _setup()
    code = points.redeem(actor=world.rider, reward=soap).code
    outcomes = at_once(
        20,
        lambda i: points.confirm_redemption(
            actor=world.community_staff, scope=scope_of(world.community_staff), code=code
        ),
    )
    assert outcomes.count("won") == 1 and outcomes.count("code") == 19, outcomes
    assert Redemption.objects.get(code=code).state == "confirmed"


@pytest.mark.django_db(transaction=True)
def test_stock_of_two_goes_to_exactly_two_volunteers() -> None:
    world, rider, soap = _setup()
    meal = points.create_reward(
        actor=None, scope=SYSTEM_SCOPE, name="爱心餐", kind="meal_voucher", points=1, stock=2, area=world.community
    )
    users = [world.rider]
    for i in range(9):
        user = account_actions.create_user(actor=None, username=f"rider-{i}", password=PASSWORD, display_name=f"r{i}")
        vol = Volunteer.objects.create(
            user=user, name="骑手", phone=f"1390000{i:04d}", phone_index=f"c-x{i}", group="rider", home_grid=world.grid1
        )
        PointsEntry.objects.create(volunteer=vol, delta=5, reason="service")
        users.append(user)
    outcomes = at_once(10, lambda i: points.redeem(actor=users[i], reward=meal))
    assert outcomes.count("won") == 2 and outcomes.count("stock") == 8, outcomes
    assert Reward.objects.get(pk=meal.pk).stock == 0
    assert Redemption.objects.filter(reward=meal).count() == 2
