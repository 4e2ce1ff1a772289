"""Case benchmarks with 1,000,000 cases, bounded in time, appended to docs/performance.md.

The demo community (without its case history) is built once into var/bench-cases.sqlite3 and
filled with BENCH_CASES cases (default 1,000,000) in bulk: benchmark data, not demo data, so
it is inserted directly rather than through the actions. Then, in-process:
- a grid worker's case list (page and API) and a case page;
- intake: cases reported through POST /api/v1/cases, one after another (cases per second).

    make bench            # or: .venv/bin/python benchmarks/cases.py
"""

import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import measure, report, setup  # noqa: E402

setup("bench-cases.sqlite3")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

TARGET = int(os.environ.get("BENCH_CASES", "1000000"))
BATCH = 5000


def fill(target: int) -> str:
    """Insert cases until there are `target`; returns how long it took ("" if none were needed)."""
    from nuanxin.cases.models import Case, CaseClass
    from nuanxin.territory.models import Area

    have = Case.objects.count()
    if have >= target:
        return ""
    started = time.perf_counter()
    rng = random.Random(have)
    classes = list(CaseClass.objects.all())
    grids = list(Area.objects.filter(level="grid").defer("boundary"))
    states = list(Case.State.values)
    origin = datetime(2023, 7, 1, tzinfo=UTC)
    span = (datetime(2026, 11, 1, tzinfo=UTC) - origin).total_seconds()
    n = have
    while n < target:
        rows = []
        for _ in range(min(BATCH, target - n)):
            n += 1
            case_class = rng.choice(classes)
            state = "closed" if rng.random() < 0.85 else rng.choice(states)
            reported = origin + timedelta(seconds=rng.uniform(0, span))
            rows.append(
                Case(
                    number=f"B{n:08d}",
                    case_class=case_class,
                    description="楼道里堆满了纸箱",
                    lng=102.70,
                    lat=24.98,
                    grid=rng.choice(grids),
                    channel="phone_page",
                    state=state,
                    closure="fixed" if state == "closed" else "",
                    level=case_class.level,
                    emergency=case_class.emergency,
                    urgent=case_class.emergency and state not in ("closed", "rejected"),
                    reported_at=reported,
                    deadline=None if state == "closed" else reported + timedelta(days=3),
                )
            )
        with transaction.atomic():
            Case.objects.bulk_create(rows)
        print(f"  {n:,} cases", end="\r", flush=True)
    print()
    return f"{time.perf_counter() - started:.0f} s"


def main() -> None:
    from nuanxin.accounts.models import User
    from nuanxin.cases.models import Case
    from nuanxin.territory.models import Area

    call_command("migrate", verbosity=0)
    if not Area.objects.exists():
        call_command("load_demo", "--no-history", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        call_command("install_case_catalogue", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    filled = fill(TARGET)
    worker, rider = Client(), Client()
    worker.force_login(User.objects.get(username="grid1-worker"))
    rider.force_login(User.objects.get(username="rider1"))
    grid1 = Area.objects.get(level="grid", code="G1")
    one = Case.objects.filter(grid=grid1).order_by("-reported_at").first()
    assert one is not None

    def get(client, url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    body = '{"class_code": "sanitation", "description": "垃圾桶满了", "lng": 102.7011, "lat": 24.9811}'

    # One rider reporting a thousand cases is what the rate limit stops (docs/rate-limits.md);
    # its counting stays in what is measured.
    settings.RATE_LIMIT_REPORT = (10**9, 3600)

    def intake():
        response = rider.post(
            "/api/v1/cases", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
        )
        assert response.status_code == 201, response.content

    rows = [
        measure("grid worker: case list page (page 1, emergencies first)", get(worker, "/cases/")),
        measure("grid worker: case list page, filtered to one state", get(worker, "/cases/?state=accepted")),
        measure("grid worker: cases API, 50 per page", get(worker, "/api/v1/cases?limit=50")),
        measure("grid worker: case page", get(worker, f"/cases/{one.pk}/")),
        measure("rider: report a case (POST /api/v1/cases)", intake, max_runs=1000),
    ]
    grid_cases = Case.objects.filter(grid=grid1).count()
    report(
        "Cases",
        f"the demo community with {Case.objects.count():,} cases ({grid_cases:,} in grid 1)."
        + (f" Filled in {filled}." if filled else ""),
        rows,
    )


if __name__ == "__main__":
    main()
