"""Ledger benchmarks: the .xlsx export of 100,000 rows (time and peak memory at 10,000 and at
100,000 rows, to show memory stays flat) and the import of 100,000 rows; appended to
docs/performance.md.

The data lives in its own file, var/bench-ledgers.sqlite3: the test territory and personas
(nuanxin.testing.build_world), 1,000 restaurants of grid 1 on the watchlist, and
BENCH_LEDGER_ROWS (default 100,000) done food-safety visits, one in ten with a rectification
order and a hazard, inserted in bulk (benchmark data, not demo data). Then, in-process:
- export_ledger (what the page and the API call) for the first 10,000 rows (a period filter)
  and for all of them: wall time, and the peak of Python's heap during the export (tracemalloc,
  run separately so it does not slow the timed run);
- import_ledger of a generated sheet of the same number of past visits, in another year.

    .venv/bin/python benchmarks/ledgers.py
"""

import os
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import report, setup  # noqa: E402

setup("bench-ledgers.sqlite3")

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

ROWS = int(os.environ.get("BENCH_LEDGER_ROWS", "100000"))
PLACES = 1000
START = date(2022, 1, 1)  # exported visits: PLACES a day from here
IMPORT_START = date(2019, 1, 1)  # imported visits: another range, so nothing collides


def build() -> None:
    """The territory, the restaurants on the watchlist and ROWS done visits, once."""
    from nuanxin.inspections.checklists import install_demo_templates
    from nuanxin.inspections.models import ChecklistTemplate, Hazard, Rectification, Visit, WatchTarget
    from nuanxin.territory.models import Area, Place
    from nuanxin.testing import build_world

    if not Area.objects.exists():
        with transaction.atomic():
            build_world()
            install_demo_templates(actor=None)
    world_grid = Area.objects.get(level="grid", code="G1", parent__code="C01")
    from nuanxin.accounts.models import User

    worker = User.objects.get(username="grid1-worker")
    if not WatchTarget.objects.exists():
        with transaction.atomic():
            places = Place.objects.bulk_create(
                Place(kind="merchant", name=f"餐馆{n:04d}", lng=102.7005, lat=24.9805, grid=world_grid)
                for n in range(PLACES)
            )
            WatchTarget.objects.bulk_create(
                WatchTarget(
                    category="catering",
                    place=place,
                    tier="high",
                    frequency="weekly",
                    grid=world_grid,
                    worker=worker,
                    started_on=date(2018, 1, 1),
                )
                for place in places
            )
    have = Visit.objects.filter(state="done", due_on__gte=START).count()
    if have >= ROWS:
        return
    version = ChecklistTemplate.objects.get(code="food-safety").current_version()
    targets = list(WatchTarget.objects.order_by("id").select_related("place"))
    started = time.perf_counter()
    for chunk in range(have, ROWS, 5000):
        with transaction.atomic():
            visits = []
            for i in range(chunk, min(chunk + 5000, ROWS)):
                target = targets[i % PLACES]
                day = START + timedelta(days=i // PLACES)
                visits.append(
                    Visit(
                        target=target,
                        category="catering",
                        place=target.place,
                        grid=world_grid,
                        worker=worker,
                        due_on=day,
                        version=version,
                        state="done",
                        done_at=datetime(day.year, day.month, day.day, 2, tzinfo=UTC),
                        answers={"licence_shown": True},
                    )
                )
            visits = Visit.objects.bulk_create(visits)
            orders = Rectification.objects.bulk_create(
                Rectification(
                    number=f"B{v.pk:09d}",
                    visit=v,
                    target=v.target,
                    place=v.place,
                    category="catering",
                    grid=world_grid,
                    responsible_party="店主",
                    severity="minor",
                    issued_on=v.due_on,
                    deadline=v.due_on + timedelta(days=7),
                )
                for v in visits[::10]
            )
            Hazard.objects.bulk_create(
                Hazard(rectification=o, item="health_certificates", label="健康证", severity="minor") for o in orders
            )
        print(f"  {min(chunk + 5000, ROWS):,} visits", end="\r", flush=True)
    print(f"  built {ROWS:,} visits in {time.perf_counter() - started:.0f} s")


def export(rows: int) -> tuple[float, float, int]:
    """Seconds, peak heap MB (a second, traced run) and row count of an export of `rows` rows."""
    from nuanxin.accounts.models import User
    from nuanxin.accounts.scope import scope_of
    from nuanxin.ledgers.registry.exports import export_ledger
    from nuanxin.ledgers.registry.queries import BY_CODE, Filters

    admin = User.objects.get(username="community-admin")
    scope = scope_of(admin)
    last = START + timedelta(days=(rows - 1) // PLACES)
    filters = Filters(since=START, until=last)

    def run() -> int:
        result = export_ledger(actor=admin, scope=scope, ledger=BY_CODE["food-safety"], filters=filters)
        result.file.close()
        return result.rows

    started = time.perf_counter()
    count = run()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 1024 / 1024, count


def sheet(rows: int) -> Path:
    """A ledger sheet of `rows` past visits of the restaurants, written in streaming mode."""
    from openpyxl import Workbook

    path = Path(__file__).resolve().parents[1] / "var" / f"bench-ledger-import-{rows}.xlsx"
    workbook = Workbook(write_only=True)
    out = workbook.create_sheet("台账")
    out.append(["食品安全检查台账"])
    out.append(["巡查日期", "场所名称", "巡查人", "检查结果", "隐患数", "备注"])
    for i in range(rows):
        day = IMPORT_START + timedelta(days=i // PLACES)
        out.append([day, f"餐馆{i % PLACES:04d}", "grid1-worker", "合格", 0, ""])
    workbook.save(path)
    return path


def import_rows(path: Path) -> tuple[float, float, int]:
    """Seconds (untraced run) and peak Python heap in MB (a second, traced run) of an import of
    the sheet at `path`, and the rows imported."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from nuanxin.accounts.models import User
    from nuanxin.accounts.scope import scope_of
    from nuanxin.inspections.models import Visit
    from nuanxin.ledgers.registry.imports import import_ledger
    from nuanxin.ledgers.registry.queries import BY_CODE

    admin = User.objects.get(username="community-admin")

    def clean() -> None:
        """Drop a previous run's import (outside the measured part: delete() loads the rows)."""
        Visit.objects.filter(due_on__lt=START).delete()

    def run() -> int:
        upload = SimpleUploadedFile(path.name, path.read_bytes())
        result = import_ledger(actor=admin, scope=scope_of(admin), ledger=BY_CODE["food-safety"], upload=upload)
        assert result.ok, result.errors[:5]
        return result.imported

    clean()
    started = time.perf_counter()
    count = run()
    seconds = time.perf_counter() - started
    clean()
    tracemalloc.start()
    run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 1024 / 1024, count


def main() -> None:
    call_command("migrate", verbosity=0)
    build()
    lines = ["", "| case | rows | seconds | rows per second | peak Python heap MB |", "|---|---:|---:|---:|---:|"]
    for rows in sorted({min(10_000, ROWS), ROWS}):
        seconds, peak, count = export(rows)
        lines.append(
            f"| export food-safety ledger (.xlsx) | {count:,} | {seconds:.1f} | {count / seconds:,.0f} | {peak:.1f} |"
        )
        print(lines[-1])
    path = sheet(ROWS)
    size = path.stat().st_size / 1024 / 1024
    seconds, peak, count = import_rows(path)
    lines.append(
        f"| import food-safety ledger ({size:.1f} MB .xlsx) | {count:,} | {seconds:.1f} | {count / seconds:,.0f} "
        f"| {peak:.1f} |"
    )
    print(lines[-1])
    report(
        "Ledgers",
        f"the test territory with {PLACES:,} restaurants on the watchlist and {ROWS:,} done visits "
        "(one in ten with a rectification order).",
        [],
        notes=(
            "Peak Python heap is measured with tracemalloc in a second run of the same case (the timed run is "
            "untraced). The export reads 2,000 rows at a time and streams the sheet to a temporary file, so its "
            "heap stays flat from 10,000 to 100,000 rows; the import holds the uploaded file, one buffer of "
            "2,000 visits and, per place, the days it already has a visit on.",
            *lines,
        ),
    )


if __name__ == "__main__":
    main()
