"""Serving speed against the work itself: nuanxin's key read endpoints and their same-work lean
twins (benchmarks/lean), under wrk, interleaved, with CPU per request (issue 15 §1).

The lean twin is a minimal Django project that does exactly an endpoint's work: the bearer
token in one indexed query, the SQL statements nuanxin ran for that very request, and a body
byte-identical to nuanxin's. The statements are captured, not rewritten: every measured path is
first sent through nuanxin in-process (Django test client, an execute wrapper recording each
statement and its parameters) twice, and the second, warm request's statements, without
nuanxin's own authentication (the token lookup, its last-use update, the session), are what
the twin replays. Before measuring, the bodies of both servers are compared for a sample of 20
paths per endpoint; any difference stops the run with the first differing bytes.

Then both run under gunicorn at once (city.py's start_server: BENCH_WORKERS × BENCH_WORKER_THREADS,
production settings) and wrk measures them in turn, nuanxin then its twin, BENCH_SERVING_ROUNDS
(2) times per endpoint at each of BENCH_SERVING_CONNECTIONS (10,50), BENCH_SERVING_SECONDS
(5 s) a run after a warm-up of BENCH_SERVING_WARMUP (2 s) per server and endpoint. Reported:
median requests/s and the median of the paired ratios nuanxin/twin, p50 and p99, CPU ms per
request of the gunicorn workers and of the PostgreSQL backends serving the database
(utime + stime from /proc over the run), and queries per request (nuanxin's, counted in-process
with its authentication; the twin's, its token query and the replayed statements).

The database: by default the demo community in nuanxin_bench_serving, built there by the first
run (migrate, then load_demo, under the benchmark's production-like ENV) and kept for the next
ones, which only migrate it; BENCH_SERVING_REBUILD=1 drops it and builds it again. With
BENCH_SERVING_DATABASE=<name> (nuanxin_bench* or helper_bench*) an existing database is measured
as it stands, e.g. the city benchmark's. Either is VACUUM (ANALYZE)d first. Redis: BENCH_REDIS_URL
(db 3 by default), flushed at the start and the end. BENCH_DRY=1 prints the table instead of
appending it to docs/performance.md.

Endpoints: the grid worker's cases page, a case's detail (200 cases of the grid), visits due,
the period figures of the grid and a rider's 5 nearest stations (500 random points) (the paths
of city.endpoints()). The nearest stations' answer holds what nuanxin computes beyond its rows
(distances, walking estimates, map links in converted coordinates, whether a station is open
now): the twin computes them with nuanxin's own model-free helpers (nuanxin/core/geo.py,
nuanxin/stations/directions.py), at request time like nuanxin. Intake has no twin yet: its
inserts need fresh numbers and a new link of the audit chain, which a twin could not make
without copying nuanxin's code.

Time: measuring takes about 4–5 minutes with the defaults (5 endpoints × 2 connection counts ×
2 rounds × 2 servers × 5 s, warm-ups, the capture and the checks). The first run builds the demo
before that: load_demo took 13 minutes on this 2-core machine at a load average of 9 (shared
with other work); later runs reuse it.

    make bench-serving
    BENCH_SERVING_DATABASE=nuanxin_bench BENCH_SERVING_SECONDS=10 BENCH_SERVING_ROUNDS=3 \\
        .venv/bin/python benchmarks/serving.py
"""

import enum
import os
import pickle
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
EXISTING = os.environ.get("BENCH_SERVING_DATABASE", "")
# city.py reads these when imported: the database (its name guard applies) and Redis.
os.environ["BENCH_DATABASE"] = EXISTING or "nuanxin_bench_serving"
# The demo is built once and kept (load_demo builds only into a database without a territory):
# building it costs minutes, measuring it three. BENCH_SERVING_REBUILD=1 builds it afresh.
os.environ["BENCH_REUSE"] = "0" if os.environ.get("BENCH_SERVING_REBUILD") == "1" else "1"
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
sys.path.insert(0, str(BENCH_DIR))
import city  # noqa: E402
from harness import publish  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SERVING_SECONDS", "5"))
WARMUP = float(os.environ.get("BENCH_SERVING_WARMUP", "2"))
ROUNDS = int(os.environ.get("BENCH_SERVING_ROUNDS", "2"))
CONNECTIONS = [int(n) for n in os.environ.get("BENCH_SERVING_CONNECTIONS", "10,50").split(",") if n]
SAMPLE = 20  # paths per endpoint whose bodies are compared before measuring
TARGET = "≥ 60 % of the twin, p99 ≤ 100 ms at 10 connections"
# The demo's accounts (nuanxin/demo/builder.py, demo_logins), used when the database is the demo.
DEMO_USERS = {"WORKER": "grid1-worker", "COMMUNITY_ADMIN": "community", "STREET_ADMIN": "street", "RIDER": "rider1"}
DEMO_PASSWORD = "nuanxin-demo"  # noqa: S105 (the demo's published password)
# The measured endpoints of city.endpoints(), by their first path; the lean twin answers these.
MEASURED = {
    "cases": re.compile(r"/api/v1/cases\?"),
    "case": re.compile(r"/api/v1/cases/\d+$"),
    "visits": re.compile(r"/api/v1/inspections/visits\?"),
    "period": re.compile(r"/api/v1/insights/period\?"),  # the first: the grid worker's grid
    "nearest": re.compile(r"/api/v1/stations/nearest\?"),
}
# nuanxin's own authentication: the twin checks the token its own way.
AUTHENTICATION = re.compile(r'\b(FROM|UPDATE|INTO)\s+"(accounts_apitoken|django_session)"')
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- the database ---------------------------------------------------------------------------------


def build_demo() -> None:
    """The demo community, as `make run` builds it, in the kept database (made when missing,
    made afresh with BENCH_SERVING_REBUILD=1); a database that holds it already is only migrated."""
    city.prepare_database()
    for command in (["migrate", "--verbosity", "0"], ["load_demo"]):
        started = time.perf_counter()
        done = city._run([sys.executable, "manage.py", *command], timeout=3600, env=dict(os.environ, NUANXIN_DEMO="1"))
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed:\n{done.stdout[-3000:]}")
        print(f"  {command[0]}: {time.perf_counter() - started:.0f} s", flush=True)


def vacuum() -> None:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        db.execute("VACUUM (ANALYZE)")


def use_demo_users() -> bool:
    """city.endpoints() signs in the generated city's users; on the demo, the demo's. Whether
    the database is the demo."""
    from nuanxin.accounts.models import User

    if not User.objects.filter(username=DEMO_USERS["WORKER"]).exists():
        return False
    for name, username in DEMO_USERS.items():
        setattr(city, name, username)
    city.PASSWORD = DEMO_PASSWORD
    return True


# --- the capture ----------------------------------------------------------------------------------


@dataclass
class Measured:
    """One endpoint: what wrk sends, what nuanxin ran for each path."""

    key: str
    endpoint: Any  # city.Endpoint
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> statements, columns
    queries: list[int] = field(default_factory=list)  # nuanxin's statements per path, with its authentication
    results: dict[tuple[int, str], list[dict]] = field(default_factory=dict)  # (connections, server) -> runs


def capture(measured: Measured) -> None:
    """Each path through nuanxin in-process, twice; the warm request's statements kept."""
    from django.db import connection
    from django.test import Client

    headers = {**city.PROXY_HEADERS, **measured.endpoint.headers}
    client = Client(**{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    for path in measured.endpoint.paths:
        for _warm in range(2):
            ran: list[tuple[str, Any]] = []

            def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                ran.append((sql, params))  # noqa: B023 (called within this iteration)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(record):
                response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: in-process {response.status_code} {response.content[:300]!r}")
        kept = [(sql, _plain(params)) for sql, params in ran if not AUTHENTICATION.search(sql)]
        measured.plans[path] = {"statements": kept, "columns": [select_labels(sql) for sql, _p in kept]}
        measured.queries.append(len(ran))


def _plain(params: Any) -> Any:
    """Parameters as the twin can load them without nuanxin's models: a choice is its value."""
    if isinstance(params, list | tuple):
        return type(params)(_plain(p) for p in params)
    return params.value if isinstance(params, enum.Enum) else params


def select_labels(sql: str) -> dict[str, int]:
    """The columns of a SELECT by label: its alias ("AS \\"pk\\""), else "table.column" for a
    plain column (a joined table's alias such as T5 kept), else the expression's text."""
    if not sql.startswith("SELECT "):
        return {}
    first = len("SELECT DISTINCT ") if sql.startswith("SELECT DISTINCT ") else len("SELECT ")
    items, depth, quoted, start = [], 0, "", first
    for at in range(first, len(sql)):
        char = sql[at]
        if quoted:
            quoted = "" if char == quoted else quoted
        elif char in "\"'":
            quoted = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char == ",":
            items.append(sql[start:at].strip())
            start = at + 1
        elif depth == 0 and sql.startswith(" FROM ", at):
            break
    items.append(sql[start:at].strip())
    labels: dict[str, int] = {}
    for position, item in enumerate(items):
        alias = re.search(r' AS "(\w+)"$', item)
        column = re.fullmatch(r'"?(\w+)"?\."(\w+)"', item)
        label = alias[1] if alias else f"{column[1]}.{column[2]}" if column else item
        labels.setdefault(label, position)
    return labels


# --- measuring ------------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process, seconds."""
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        except (OSError, IndexError, ValueError):
            pass
    return out


def backends() -> list[int]:
    """The PostgreSQL backends connected to the benchmark's database, but this process's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings; a process that appeared meanwhile counts from zero."""
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


def run(server: Any, measured: Measured, connections: int, seconds: float, files: dict[str, str]) -> dict:
    """One wrk run with the CPU the server's workers and PostgreSQL spent on it."""
    city.CONNECTIONS = connections  # city.wrk's connection count
    workers, postgres = server.workers(), backends()
    before = cpu_seconds(workers), cpu_seconds(postgres)
    figures = city.wrk(server.port, measured.endpoint, seconds, files)
    after_workers, after_postgres = cpu_seconds(workers), cpu_seconds(backends())
    requests = max(figures["requests"], 1)
    figures["worker_ms"] = spent(before[0], after_workers) * 1000 / requests
    figures["postgres_ms"] = spent(before[1], after_postgres) * 1000 / requests
    return figures


def check_bodies(nuanxin: Any, lean: Any, measured: Measured) -> None:
    """Both servers' bodies for up to SAMPLE paths: byte for byte, or the run stops."""
    headers = measured.endpoint.headers
    for path in measured.endpoint.paths[:SAMPLE]:
        status, _h, expected = city.request(nuanxin.port, "GET", path, headers=headers)
        lean_status, _h, body = city.request(lean.port, "GET", path, headers=headers)
        if status != 200 or lean_status != 200 or body != expected:
            at = next((n for n, (a, b) in enumerate(zip(expected, body, strict=False)) if a != b), None)
            at = min(len(expected), len(body)) if at is None else at
            raise RuntimeError(
                f"{path}: nuanxin {status}, lean twin {lean_status}; bodies differ at byte {at}:\n"
                f"  nuanxin: {expected[max(0, at - 150) : at + 150]!r}\n"
                f"  lean:    {body[max(0, at - 150) : at + 150]!r}"
            )


def measure(nuanxin: Any, lean: Any, items: list[Measured], files: dict[str, str]) -> None:
    for measured in items:
        for server in (nuanxin, lean):
            run(server, measured, CONNECTIONS[0], WARMUP, files)
        for connections in CONNECTIONS:
            for _round in range(ROUNDS):
                for name, server in (("nuanxin", nuanxin), ("lean", lean)):
                    figures = run(server, measured, connections, SECONDS, files)
                    measured.results.setdefault((connections, name), []).append(figures)
                    print(
                        f"    {measured.key} c{connections} {name}: {figures['per_s']:.0f}/s, "
                        f"p99 {figures['p99_us'] / 1000:.1f} ms, worker {figures['worker_ms']:.2f} ms, "
                        f"postgres {figures['postgres_ms']:.2f} ms, {figures['errors']} errors",
                        flush=True,
                    )


# --- the report -----------------------------------------------------------------------------------


def table(items: list[Measured]) -> list[str]:
    lines = [
        "| endpoint | conn. | nuanxin req/s | twin req/s | nuanxin/twin | p50 ms | p99 ms | worker CPU ms/req "
        "| PostgreSQL CPU ms/req | queries | non-2xx | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for measured in items:
        queries = statistics.median_low(measured.queries)
        lean_queries = 1 + statistics.median_low(len(plan["statements"]) for plan in measured.plans.values())
        for connections in CONNECTIONS:
            ours, twin = measured.results[(connections, "nuanxin")], measured.results[(connections, "lean")]
            ratio = statistics.median(a["per_s"] / b["per_s"] for a, b in zip(ours, twin, strict=True))

            def both(key: str, scale: float = 1.0, digits: int = 1) -> str:
                values = [statistics.median(r[key] for r in runs) / scale for runs in (ours, twin)]  # noqa: B023
                return " / ".join(f"{v:,.{digits}f}" for v in values)

            p99 = statistics.median(r["p99_us"] for r in ours) / 1000
            errors = sum(r["errors"] for r in ours + twin)
            verdict = ""
            if connections == 10:
                verdict = "met" if ratio >= 0.6 and p99 <= 100 else "**missed**"
            rates = [statistics.median(r["per_s"] for r in runs) for runs in (ours, twin)]
            lines.append(
                f"| {measured.endpoint.label} | {connections} | {rates[0]:,.0f} | {rates[1]:,.0f} "
                f"| {ratio * 100:.0f} % | {both('p50_us', 1000)} | {both('p99_us', 1000)} | {both('worker_ms', 1, 2)} "
                f"| {both('postgres_ms', 1, 2)} | {queries} / {lean_queries} "
                f"| {errors if not errors else f'**{errors}**'} | {TARGET if connections == 10 else ''} | {verdict} |"
            )
    return lines


# --- the run --------------------------------------------------------------------------------------


def main() -> None:
    started = time.perf_counter()
    subprocess.run(["bash", str(city.ROOT / "scripts" / "debian-packages.sh"), "wrk"], check=True)  # noqa: S603, S607
    if not EXISTING:
        print(f"the demo in {os.environ['BENCH_DATABASE']}", flush=True)
        build_demo()
    vacuum()
    city.flush_redis()

    import django

    django.setup()
    from django.utils import timezone

    demo = use_demo_users()
    nuanxin = lean = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
            nuanxin = city.start_server("nuanxin.wsgi")
            everything = city.endpoints(nuanxin.port, timezone.localdate())
            items = [
                Measured(key, next(e for e in everything if e.paths and first.match(e.paths[0])))
                for key, first in MEASURED.items()
            ]
            for measured in items:
                capture(measured)
            plans = Path(tmp) / "captured.pickle"
            plans.write_bytes(pickle.dumps({path: plan for m in items for path, plan in m.plans.items()}))
            os.environ["BENCH_LEAN_CAPTURE"] = str(plans)
            lean = city.start_server("lean.wsgi", bare=True)
            for measured in items:
                check_bodies(nuanxin, lean, measured)
            print("  bodies identical; measuring", flush=True)
            measure(nuanxin, lean, items, city.write_files(Path(tmp), [m.endpoint for m in items]))
    except Exception:
        for server in (nuanxin, lean):
            if server is not None:
                print("gunicorn log (tail):\n" + server.log_tail(), flush=True)
        raise
    finally:
        city._stop_all()
        city.flush_redis()
    minutes = (time.perf_counter() - started) / 60
    errors = sum(r["errors"] for m in items for runs in m.results.values() for r in runs)
    shape = city.city_shape()  # "the generated city (…)", which the demo is not
    shape = shape.replace("the generated city", "the demo community", 1) if demo else shape
    publish(
        "Serving: key endpoints against their same-work lean twins" + (" (**with errors**)" if errors else ""),
        f"{shape}, database {os.environ['BENCH_DATABASE']}, VACUUM (ANALYZE)d before measuring.",
        [],
        notes=(
            f"Servers: nuanxin and its lean twin (benchmarks/lean: the token in one query, the SQL nuanxin ran "
            "for each path replayed, the same bytes, checked before measuring) under the same gunicorn "
            f"({city.WORKERS} workers × {city.WORKER_THREADS} threads, {city.WORKER_CLASS}), production settings, "
            f"DB_CONN_MAX_AGE 60. Client: wrk, {city.WRK_THREADS} threads, {WARMUP:g} s warm-up per server and "
            f"endpoint, then {ROUNDS} rounds of {SECONDS:g} s, nuanxin then the twin, per connection count. "
            "Requests/s: medians; nuanxin/twin: the median of the paired ratios; p50, p99, CPU: medians, "
            "nuanxin / twin. CPU per request: utime + stime of the gunicorn workers, and of the PostgreSQL "
            "backends serving the database, over the run. Queries: nuanxin's per request in-process "
            f"(its authentication included) / the twin's. The whole run took {minutes:.0f} min.",
            "",
            *table(items),
        ),
        how="A real server and client (below); the benchmark process itself (capture, checks):",
    )
    if errors:
        print(f"FLAGGED: {errors} non-2xx answers or socket errors", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    finally:
        city._stop_all()
