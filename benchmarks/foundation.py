"""Foundation benchmarks, bounded in time, appended to docs/performance.md.

Runs in-process (Django test client, no HTTP server) on a separate SQLite file holding
the demo community, so it measures the application's own cost per request: the view, the
scope check, the queries and the template. The HTTP harness with wrk and a bare-Django
ceiling comes with the scale work (issue 6).

    make bench            # or: .venv/bin/python benchmarks/foundation.py
"""

import os
import platform
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nuanxin.settings")
os.environ.setdefault("SQLITE_PATH", str(ROOT / "var" / "bench.sqlite3"))
os.environ.setdefault("NUANXIN_DEMO", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

SECONDS_PER_CASE = float(os.environ.get("BENCH_SECONDS", "3"))


def measure(label: str, call, *, seconds: float = SECONDS_PER_CASE, max_runs: int = 2000) -> dict:
    """Run `call` repeatedly for about `seconds` (at most max_runs times); timings in ms."""
    call()  # warm caches (grid index, templates)
    queries = []
    # Count through an execute wrapper: the test client's request_started resets query logs.
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: queries.append(sql) or execute(sql, params, many, context)
    ):
        call()
    timings = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and len(timings) < max_runs:
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "label": label,
        "runs": len(timings),
        "per_s": len(timings) / (sum(timings) / 1000),
        "p50": statistics.median(timings),
        "p99": timings[min(len(timings) - 1, int(len(timings) * 0.99))],
        "queries": len(queries),
    }


def main() -> None:
    from nuanxin.core import audit
    from nuanxin.people.models import Resident
    from nuanxin.territory.models import Area, Place
    from nuanxin.territory.queries import locate_grid

    call_command("migrate", verbosity=0)
    built = ""
    if not Area.objects.exists():
        started = time.perf_counter()
        call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        built = f"{time.perf_counter() - started:.1f} s"

    grid1 = Area.objects.get(level="grid", code="G1")
    someone = Resident.objects.filter(grid=grid1).exclude(phone_index="").first()
    assert someone is not None
    phone = someone.phone
    worker, admin = Client(), Client()
    from nuanxin.accounts.models import User

    worker.force_login(User.objects.get(username="grid1-worker"))
    admin.force_login(User.objects.get(username="community"))

    def get(client, url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    def search_by_phone():
        cache.clear()  # the per-user limit on exact searches would stop the loop after 30
        response = worker.post("/people/", {"q": phone})
        assert response.status_code == 200 and someone.name in response.content.decode()

    rng = random.Random(1)
    minx, miny, maxx, maxy = 102.690, 24.970, 102.710, 24.990

    def locate():
        locate_grid(rng.uniform(minx, maxx), rng.uniform(miny, maxy))

    def audit_append():
        audit.record("bench.append", object_repr="benchmark")

    rows = [
        measure("grid worker: residents list (page 1)", get(worker, "/people/")),
        measure("grid worker: search by phone (blind index)", search_by_phone),
        measure("grid worker: grid page (map, places, staff)", get(worker, f"/territory/areas/{grid1.pk}/")),
        measure("community admin: residents list (page 1)", get(admin, "/people/")),
        measure("API: places, 50 per page", get(worker, "/api/v1/places?limit=50")),
        measure("API: residents, 50 per page", get(admin, "/api/v1/people/residents?limit=50")),
        measure("locate_grid (STRtree, random point)", locate, max_runs=100000),
        measure("audit.record (hash-chained append)", audit_append, max_runs=3000),
    ]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = (
        f"{Area.objects.filter(level='grid').count()} grids, {Place.objects.count()} places, "
        f"{Resident.objects.count()} residents"
    )
    report = [
        "",
        f"### Foundation, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{connection.vendor} ({connection.settings_dict['NAME']}). Data: the demo community ({size})."
        + (f" Demo built in {built}." if built else ""),
        "In-process (Django test client, one thread); "
        f"each case runs about {SECONDS_PER_CASE:g} s. Peak memory {peak_mb:.0f} MB.",
        "",
        "| case | runs | per second | p50 ms | p99 ms | queries |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        report.append(
            f"| {row['label']} | {row['runs']} | {row['per_s']:.0f} | {row['p50']:.2f} | {row['p99']:.2f} "
            f"| {row['queries']} |"
        )
    text = "\n".join(report) + "\n"
    print(text)
    with open(ROOT / "docs" / "performance.md", "a", encoding="utf-8") as out:
        out.write(text)


if __name__ == "__main__":
    main()
