"""Visit generation for 1,000,000 watch targets, appended to docs/performance.md.

The demo community (without its case history) is built once into
var/bench-inspections.sqlite3 and given BENCH_TARGETS watch targets (default 1,000,000): the
places in bulk, then one target per place and place category, spread over the six grids and
their workers and over the three tiers. Benchmark data, not demo data, so it is inserted
directly rather than through the actions. Then the daily job is timed:
- the first run of a quarter's first day (every target gets its visit of the period);
- the same day again (nothing to create: the idempotency check alone);
- the next day (weekly targets of a new week... none: the period still holds; only the scan).

    make bench            # or: .venv/bin/python benchmarks/inspections.py
"""

import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import report, setup  # noqa: E402

setup("bench-inspections.sqlite3")

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

TARGETS = int(os.environ.get("BENCH_TARGETS", "1000000"))
BATCH = 10_000
PLACE_CATEGORIES = (
    "catering",
    "hazardous_goods",
    "crowded_venue",
    "small_hotel",
    "ebike_charging",
    "construction_site",
    "other_enterprise",
)
FIRST_DAY = date(2025, 1, 1)  # a Wednesday, a month's and a quarter's first day


def fill(target: int) -> str:
    """Add places and targets until there are `target` targets; returns how long it took."""
    from nuanxin.inspections.actions import frequency_for
    from nuanxin.inspections.models import WatchTarget
    from nuanxin.territory.models import Area, Place, StaffAssignment

    have = WatchTarget.objects.count()
    if have >= target:
        return ""
    started = time.perf_counter()
    grids = list(Area.objects.filter(level="grid").defer("boundary").order_by("code"))
    workers = {
        a.grid_id: a.person_id for a in StaffAssignment.objects.filter(duty="grid_worker").order_by("grid_id", "id")
    }
    tiers = ("high", "medium", "low")
    n = have
    while n < target:
        size = min(BATCH, target - n)
        places_needed = -(-size // len(PLACE_CATEGORIES))
        grid_of = [grids[(n + i) % len(grids)] for i in range(places_needed)]
        with transaction.atomic():
            places = Place.objects.bulk_create(
                [
                    Place(kind="merchant", name=f"基准商户{n + i}", lng=102.70, lat=24.98, grid=grid)
                    for i, grid in enumerate(grid_of)
                ]
            )
            rows = []
            for place in places:
                for category in PLACE_CATEGORIES:
                    if len(rows) == size:
                        break
                    tier = tiers[(n + len(rows)) % 3]
                    rows.append(
                        WatchTarget(
                            category=category,
                            place=place,
                            tier=tier,
                            frequency=frequency_for(category, tier),
                            grid_id=place.grid_id,
                            worker_id=workers[place.grid_id],
                            started_on=date(2024, 1, 1),
                        )
                    )
            WatchTarget.objects.bulk_create(rows)
        n += len(rows)
        print(f"  {n:,} targets", end="\r", flush=True)
    print()
    return f"{time.perf_counter() - started:.0f} s"


def timed(label: str, day: date) -> dict:
    from nuanxin.inspections.actions import generate_due_visits

    started = time.perf_counter()
    created = generate_due_visits(today=day)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {label}: {created:,} visits in {seconds:.1f} s, peak {peak:.0f} MB")
    return {"label": label, "created": created, "seconds": seconds, "peak": peak}


def main() -> None:
    from nuanxin.inspections.checklists import install_demo_templates
    from nuanxin.inspections.models import Visit, WatchTarget
    from nuanxin.territory.models import Area

    call_command("migrate", verbosity=0)
    if not Area.objects.exists():
        call_command("load_demo", "--no-history", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    install_demo_templates(actor=None)
    filled = fill(TARGETS)
    Visit.objects.all().delete()
    rows = [
        timed("first run of the period (every target planned)", FIRST_DAY),
        timed("same day again (nothing new)", FIRST_DAY),
        timed("next day (periods still hold: nothing new)", date(2025, 1, 2)),
    ]
    targets = WatchTarget.objects.count()
    lines = [
        "| run | visits created | seconds | visits per second | peak memory MB |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {r['label']} | {r['created']:,} | {r['seconds']:.1f} | "
            f"{(r['created'] / r['seconds']) if r['created'] else 0:,.0f} | {r['peak']:.0f} |"
            for r in rows
        ),
    ]
    report(
        "Inspections: due-visit generation",
        f"{targets:,} watch targets on the demo community's six grids." + (f" Filled in {filled}." if filled else ""),
        [],
        how="The daily job `generate_due_visits`, in-process, one thread, once per row.",
        notes=("", *lines),
    )


if __name__ == "__main__":
    main()
