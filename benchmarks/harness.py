"""What every benchmark shares: Django set up on its own SQLite file, a bounded timing loop
with a query count, and the report appended to docs/performance.md.

Import `setup(db_file)` first thing in a benchmark script: it sets the environment and calls
django.setup(), so the benchmark never touches the development or demo database.
"""

import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SECONDS_PER_CASE = float(os.environ.get("BENCH_SECONDS", "3"))


def setup(db_file: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nuanxin.settings")
    os.environ.setdefault("SQLITE_PATH", str(ROOT / "var" / db_file))
    os.environ.setdefault("NUANXIN_DEMO", "1")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    # Benchmarks run background work inline, as the tests do: no worker process to wait for.
    os.environ.setdefault("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
    import django

    django.setup()


def measure(label: str, call: Callable[[], Any], *, seconds: float = SECONDS_PER_CASE, max_runs: int = 2000) -> dict:
    """Run `call` repeatedly for about `seconds` (at most max_runs times); timings in ms."""
    from django.db import connection

    call()  # warm caches (grid index, templates)
    queries: list[str] = []
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


def report(title: str, data: str, rows: list[dict], notes: tuple[str, ...] = (), how: str = "") -> None:
    """Print the table (when there are timed rows; a benchmark with its own table passes it in
    `notes`) and append it, with the machine and the date, to docs/performance.md."""
    from django.db import connection

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        "",
        f"### {title}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{connection.vendor} ({connection.settings_dict['NAME']}). Data: {data}",
        (how or f"In-process (Django test client, one thread); each case runs about {SECONDS_PER_CASE:g} s.")
        + f" Peak memory {peak_mb:.0f} MB.",
        *notes,
    ]
    if rows:
        lines += ["", "| case | runs | per second | p50 ms | p99 ms | queries |", "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(
            f"| {row['label']} | {row['runs']} | {row['per_s']:.0f} | {row['p50']:.2f} | {row['p99']:.2f} "
            f"| {row['queries']} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    with open(ROOT / "docs" / "performance.md", "a", encoding="utf-8") as out:
        out.write(text)


def publish(title: str, data: str, rows: list[dict], notes: tuple[str, ...] = (), how: str = "") -> None:
    """report(), or with BENCH_DRY=1 the same section printed only (for development runs,
    which must not land in docs/performance.md)."""
    if os.environ.get("BENCH_DRY"):
        print(f"### {title} (BENCH_DRY: not appended)", "", f"Data: {data}", how, *notes, sep="\n")
        for row in rows:
            print(row)
        return
    report(title, data, rows, notes, how)
