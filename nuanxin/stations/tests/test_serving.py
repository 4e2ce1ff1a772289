"""What the nearest stations cost over the API, pinned (issue 15: docs/performance.md): the
stations read as plain values with their photos in one statement, with a bearer token the worker
process remembers, and answered as exactly NearbyStationOut's fields."""

from typing import Any

import pytest
from django.test import Client

from nuanxin.accounts import token_memory
from nuanxin.accounts.tests.test_tokens import _bearer, _issue
from nuanxin.stations import actions
from nuanxin.stations.api import NearbyStationOut
from nuanxin.stations.models import Station, StationPhoto
from nuanxin.stations.tests.conftest import Stations, make_station
from nuanxin.testing import SYSTEM_SCOPE, World

URL = "/api/v1/stations/nearest"
# Beside the bare place, with YXQ-01 about 300 m away: both inside the first 500 m box.
HERE = {"lng": 102.7008, "lat": 24.9808, "limit": 2}


@pytest.fixture
def token(world: World) -> str:
    token_memory.forget_all()
    return _issue("rider")


def _photo(station: Station) -> int:
    name = f"p{StationPhoto.objects.count()}.jpg"
    return StationPhoto.objects.create(station=station, name=name, content_type="image/jpeg", width=1, height=1).pk


def test_the_nearest_stations_cost_three_statements_however_many_photos(
    token: str, stations: Stations, django_assert_num_queries: Any
) -> None:
    actions.create_station(
        actor=None, scope=SYSTEM_SCOPE, place=stations.bare, code="YXQ-02", opening_hours_text="24h", amenities=[]
    )
    client = Client()
    for _ in range(2):  # the first request notes whose the token is, the second remembers it
        assert client.get(URL, HERE, **_bearer(token)).status_code == 200
    # The account's stamp, the stations in the box around the rider, the chosen ones with their photos.
    with django_assert_num_queries(3):
        bare = client.get(URL, HERE, **_bearer(token)).json()
    photos = [_photo(stations.station) for _ in range(3)]
    with django_assert_num_queries(3):
        shown = client.get(URL, HERE, **_bearer(token)).json()
    assert [r["code"] for r in bare] == [r["code"] for r in shown] == ["YXQ-02", "YXQ-01"]
    assert [r["photo_ids"] for r in bare] == [[], []] and [r["photo_ids"] for r in shown] == [[], photos]


def test_a_nearest_station_is_the_schema_exactly(token: str, stations: Stations) -> None:
    hosted = stations.station
    photo = _photo(hosted)
    actions.create_station(
        actor=None, scope=SYSTEM_SCOPE, place=stations.bare, code="YXQ-02", opening_hours_text="24h", amenities=[]
    )
    rows = Client().get(URL, HERE, **_bearer(token)).json()
    for row in rows:
        assert list(row) == list(NearbyStationOut.model_fields)
        NearbyStationOut.model_validate(row)
    bare, far = rows
    assert (bare["host_id"], bare["host_name"], bare["photo_ids"]) == (None, None, [])
    assert (far["host_id"], far["host_name"], far["photo_ids"]) == (stations.host.pk, "二号院", [photo])
    assert (far["name"], far["lng"], far["opening_hours"]) == ("温新驿站一号", 102.7035, [["00:00", "24:00"]])
    assert far["amenities"] == ["hot_water", "wifi", "microwave"] and far["open_now"] is True


def test_the_box_is_read_from_the_index_of_station_places(world: World, stations: Stations) -> None:
    # A city's box holds a hundred merchants for each station: the search says its places are
    # stations, so the partial index of station places can answer it (without that filter no
    # plan could use the index, whatever its costs). PostgreSQL, with sequential scans off,
    # shows which indexes a statement can use; SQLite's planner picks by its own costs.
    from django.db import connection

    from nuanxin.stations.queries import _sides, boxed

    if connection.vendor != "postgresql":
        pytest.skip("which indexes a statement can use is shown by PostgreSQL's planner")
    box = boxed(Station.objects.all(), *_sides(HERE["lng"], HERE["lat"], 500))
    sql, params = box.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row for (row,) in cursor.fetchall())
    assert "place_station_lng_lat" in plan
    assert [row["pk"] for row in box] == [stations.station.pk]


def test_a_scope_keeps_the_box_statement_and_finds_what_a_fresh_query_finds(world: World, stations: Stations) -> None:
    # The box is compiled once for the scope with its four sides as placeholders, then run
    # with every box's sides: from points all around, widening and re-widening, the answer is
    # the one the query built afresh gives.
    from nuanxin.accounts.scope import scope_of
    from nuanxin.stations.queries import nearest_ids

    for n, (lng, lat) in enumerate([(102.7005, 24.9805), (102.7031, 24.9812), (102.7105, 24.9905)]):
        make_station(world, f"S{n}", lng, lat, f"S-{n}")
    scope = scope_of(world.rider)
    points = [(102.695 + i * 0.002, 24.975 + j * 0.002) for i in range(11) for j in range(11)]
    for limit in (1, 3, 5):
        for lng, lat in points:
            assert nearest_ids(lng, lat, limit, scope=scope) == nearest_ids(lng, lat, limit), (lng, lat, limit)
    assert ("nearest stations box",) in scope.built
