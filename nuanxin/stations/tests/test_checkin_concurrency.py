"""Many scans of one station by one person at the same moment count once (PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections

from nuanxin.stations import actions
from nuanxin.stations.models import Station, StationCheckIn
from nuanxin.testing import SYSTEM_SCOPE, build_world

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite test databases are in memory; real concurrency needs a server"
)


@pytest.mark.django_db(transaction=True)
def test_parallel_scans_count_once() -> None:
    world = build_world()
    station = actions.create_station(
        actor=None, scope=SYSTEM_SCOPE, place=world.station, code="YXQ-01", opening_hours_text="24h", amenities=[]
    )
    n = 8
    barrier = threading.Barrier(n)
    created: list[bool] = []

    def scan() -> None:
        try:
            copy = Station.objects.get(pk=station.pk)
            barrier.wait(timeout=10)
            _checkin, was_created = actions.check_in(actor=world.rider, station=copy)
            created.append(was_created)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scan) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == [False] * (n - 1) + [True]
    assert StationCheckIn.objects.filter(station=station, user=world.rider).count() == 1
