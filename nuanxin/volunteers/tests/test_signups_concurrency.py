"""Many people at once (PostgreSQL): one volunteer scanning 50 times checks in once; 20
sign-ups for 5 places confirm exactly 5."""

import threading
from collections.abc import Callable
from datetime import date, time, timedelta

import pytest
from django.db import connection, connections

from nuanxin.accounts import actions as account_actions
from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.testing import SYSTEM_SCOPE, build_world
from nuanxin.volunteers.activities.actions import create_activity
from nuanxin.volunteers.models import Activity, Attendance, Participant, SignUp
from nuanxin.volunteers.signups import actions as signups
from nuanxin.volunteers.signups import checkins
from nuanxin.volunteers.tests.test_signups import local

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite test databases are in memory; real concurrency needs a server"
)


def _published(capacity: int | None) -> tuple[Activity, date]:
    world = build_world()
    day = date.today() + timedelta(days=3)
    activity = create_activity(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        kind="cleanup",
        title="清扫",
        area=world.grid1,
        starts_on=day,
        ends_on=day,
    )
    activity = signups.publish_activity(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        activity=activity,
        start_time=time(9),
        end_time=time(11),
        capacity=capacity,
        now=local(day - timedelta(days=3), 8),
    )
    return activity, day


def _run(n: int, work: Callable[[int], None]) -> list[str]:
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def act(i: int) -> None:
        try:
            barrier.wait(timeout=20)
            work(i)
            result = "ok"
        except DomainError:
            result = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=act, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_fifty_scans_by_one_volunteer_check_in_once() -> None:
    activity, day = _published(None)
    user = account_actions.create_user(actor=None, username="scanner", password=None)
    signups.register_volunteer(
        actor=user,
        scope=scope_of(user),
        user=user,
        name="何伟",
        phone="13700005555",
        group="rider",
        home_grid=activity.area,
    )
    token = checkins.checkin_token(activity)
    at = local(day, 9, 5)

    def scan(_i: int) -> None:
        found = checkins.activity_for_token(token, now=at)
        checkins.check_in(actor=user, scope=SYSTEM_SCOPE, activity=found, now=at)

    outcomes = _run(50, scan)
    assert outcomes.count("ok") == 1 and outcomes.count("refused") == 49
    assert Attendance.objects.filter(activity=activity).count() == 1
    assert Participant.objects.filter(activity=activity, user=user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_sign_ups_for_five_places_confirm_five() -> None:
    activity, day = _published(5)
    users = []
    for i in range(20):
        user = account_actions.create_user(actor=None, username=f"v{i}", password=None)
        signups.register_volunteer(
            actor=user, scope=scope_of(user), user=user, name="志愿者", phone=f"137{i:08d}", group="resident"
        )
        users.append(user)
    at = local(day - timedelta(days=1), 12)

    def sign(i: int) -> None:
        signups.sign_up(actor=users[i], activity=activity, now=at)

    outcomes = _run(20, sign)
    assert outcomes.count("ok") == 20
    states = list(SignUp.objects.filter(activity=activity).values_list("state", flat=True))
    assert states.count("confirmed") == 5 and states.count("waiting") == 15
