"""Nearest-station benchmark with 10,000 stations, appended to docs/performance.md.

One grid over a 20 × 20 km square of Kunming is made through the territory actions in
var/bench-stations.sqlite3, and BENCH_STATIONS (default 10,000) station places and their
station records are bulk-inserted at random points in it: benchmark data, not demo data.
Then, in-process, from a different random point each run:
- `nearest_stations(lng, lat, 5)` (the query and the distances, route links included);
- GET /api/v1/stations/nearest (the rider's phone asking);
both without and with the schema's index on the (lng, lat) of station places, which the
bounding box uses (dropped for the first pair, made again for the second).

    .venv/bin/python benchmarks/stations.py
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import measure, report, setup  # noqa: E402

setup("bench-stations.sqlite3")

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

TARGET = int(os.environ.get("BENCH_STATIONS", "10000"))
WEST, SOUTH, SIZE = 102.60, 24.90, 0.2  # degrees: about 20 km × 22 km
INDEX = "place_station_lng_lat"  # the schema's (territory.Place)


def territory() -> None:
    from nuanxin.territory import actions
    from nuanxin.territory.models import Area
    from nuanxin.testing import rectangle

    if Area.objects.exists():
        return
    box = rectangle(WEST, SOUTH, SIZE, SIZE)
    district = actions.create_area(actor=None, level="district", code="B01", name="基准区", boundary=box, parent=None)
    street = actions.create_area(actor=None, level="street", code="S01", name="基准街道", boundary=box, parent=district)
    community = actions.create_area(
        actor=None, level="community", code="C01", name="基准社区", boundary=box, parent=street
    )
    actions.create_area(actor=None, level="grid", code="G1", name="基准网格", boundary=box, parent=community)


def fill(target: int) -> str:
    from nuanxin.stations.models import Station
    from nuanxin.territory.models import Area, Place

    have = Station.objects.count()
    if have >= target:
        return ""
    started = time.perf_counter()
    rng = random.Random(have)
    grid = Area.objects.get(level="grid")
    n = have
    while n < target:
        batch = min(2000, target - n)
        with transaction.atomic():
            places = Place.objects.bulk_create(
                [
                    Place(
                        kind="station",
                        name=f"基准驿站{n + i + 1}",
                        lng=round(rng.uniform(WEST, WEST + SIZE), 6),
                        lat=round(rng.uniform(SOUTH, SOUTH + SIZE), 6),
                        grid=grid,
                    )
                    for i in range(batch)
                ]
            )
            Station.objects.bulk_create(
                [
                    Station(
                        place=place,
                        code=f"B-{n + i + 1:05d}",
                        opening_hours_text="09:00-22:00" if i % 3 else "24h",
                        opening_hours=[["09:00", "22:00"]] if i % 3 else [["00:00", "24:00"]],
                        amenities=["hot_water", "wifi", "toilet"],
                    )
                    for i, place in enumerate(places)
                ]
            )
        n += batch
    return f"{time.perf_counter() - started:.0f} s"


def main() -> None:
    from nuanxin.accounts import actions as accounts
    from nuanxin.accounts.models import User
    from nuanxin.stations.models import Station
    from nuanxin.stations.queries import nearest_stations

    call_command("migrate", verbosity=0)
    territory()
    filled = fill(TARGET)
    rider = User.objects.filter(username="bench-rider").first() or accounts.create_user(
        actor=None, username="bench-rider", password=None, display_name="骑手"
    )
    client = Client()
    client.force_login(rider)
    rng = random.Random(1)

    def point() -> tuple[float, float]:
        return rng.uniform(WEST, WEST + SIZE), rng.uniform(SOUTH, SOUTH + SIZE)

    def query() -> None:
        lng, lat = point()
        assert len(nearest_stations(lng, lat, 5)) == 5

    def api() -> None:
        lng, lat = point()
        response = client.get("/api/v1/stations/nearest", {"lng": f"{lng:.6f}", "lat": f"{lat:.6f}"})
        assert response.status_code == 200 and len(response.json()) == 5, response.status_code

    rows = []
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    rows.append(measure("nearest_stations(), 5 nearest, no lng/lat index", query))
    rows.append(measure("GET /api/v1/stations/nearest, no lng/lat index", api))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON territory_place (lng, lat) WHERE kind = 'station'")
        cursor.execute("ANALYZE") if connection.vendor == "sqlite" else None
    rows.append(measure("nearest_stations(), 5 nearest, index on (lng, lat)", query))
    rows.append(measure("GET /api/v1/stations/nearest, index on (lng, lat)", api))
    report(
        "Nearest warm stations",
        f"{Station.objects.count():,} stations at random points in a 20 × 22 km square (about 23 per km²)."
        + (f" Filled in {filled}." if filled else ""),
        rows,
        notes=(
            "Each run asks from a new random point. The bounding box starts at 500 m and widens until it holds"
            " the 5 stations; distances are exact (haversine) on the rows in the box.",
        ),
    )


if __name__ == "__main__":
    main()
