"""Serving speed against the work itself: nuanxin's key endpoints and their same-work lean
twins (benchmarks/lean), under wrk, interleaved, with CPU per request (issue 15 §1).

The lean twin is a minimal Django project that does exactly an endpoint's work: the bearer
token in one indexed query, the SQL statements nuanxin ran for that very request, and a body
byte-identical to nuanxin's. The statements are captured, not rewritten: every measured path is
first sent through nuanxin in-process (Django test client, an execute wrapper recording each
statement and its parameters) twice, and the second, warm request's statements, without
nuanxin's own authentication (the token lookup, its last-use update, the session), are what
the twin replays. Before measuring, the bodies of both servers are compared for a sample of 20
paths per endpoint; any difference stops the run with the first differing bytes.

Then both run under gunicorn at once (city.py's start_server: BENCH_WORKERS sync workers, or
BENCH_WORKER_CLASS=gthread with BENCH_WORKER_THREADS; production settings) and wrk measures them in
turn, nuanxin then its twin, BENCH_SERVING_ROUNDS (2) times per endpoint at each of
BENCH_SERVING_CONNECTIONS (10,50), BENCH_SERVING_SECONDS (5 s) a run after a warm-up of
BENCH_SERVING_WARMUP (2 s) per server and endpoint. Reported: median requests/s and the median of
the paired ratios nuanxin/twin, p50 and p99, CPU ms per request of the gunicorn workers and of the
PostgreSQL backends serving the database (utime + stime from /proc over the run), and queries per
request (nuanxin's, counted in-process with its authentication; the twin's, its token query and the
replayed statements).

Intake (POST /api/v1/cases, the rider's reports of city.report_bodies, the first 20 of them,
each sent with its own Idempotency-Key) has a twin too (benchmarks/lean/intake.py): each body is
reported through nuanxin in-process twice, and the warm report's statements, with the column
each INSERT or UPDATE parameter fills and nuanxin's answer, are what the twin replays, in one
transaction per request, with what names the report made new (the time, the key, the
placeholder number, the number the day's counter upsert returns, the ids INSERT … RETURNING
gave, the audit chain's previous head as its locked SELECT read it and a random new hash). Each
report gets its own id, number and time, so the check compares the status (201) and the
layout of the answers (keys in order, the types of the values), not their bytes. Intake is
captured before the reads (its reports are then in the database the reads' statements were
captured on), checked after them and measured last, at BENCH_SERVING_INTAKE_CONNECTIONS
(1,5,20; wrk runs one thread per connection up to its two; an empty
BENCH_SERVING_CONNECTIONS measures intake alone): its target is 50 % of the twin at
20 connections and a throughput that grows from 1 to 5 to 20 connections. Every report filed,
by the capture, the check or wrk, stays in the database; the twin's audit entries carry random
MACs, so the chain of a measured database no longer verifies.

The database: by default the demo community in nuanxin_bench_serving, built there by the first
run (migrate, then load_demo, under the benchmark's production-like ENV) and kept for the next
ones, which only migrate it; BENCH_SERVING_REBUILD=1 drops it and builds it again. With
BENCH_SERVING_DATABASE=<name> (nuanxin_bench* or helper_bench*) an existing database is measured
as it stands, e.g. the city benchmark's. The long form, BENCH_SERVING_CITY_SIZES (e.g.
"10000,1000000,5000000"), works on the generated city in BENCH_SERVING_DATABASE (default
nuanxin_bench; made when missing, dropped first with BENCH_SERVING_REBUILD=1, migrated): for
each size it grows the city to that many cases with city.py's generate_city run
(BENCH_CITY_ARGS) when it holds fewer, skips a size the city is already half as much again past
(its own runs file thousands of reports), and measures; each size's table is appended with its
case count in the header. Every measured database is VACUUM (ANALYZE)d first. Redis:
BENCH_REDIS_URL (db 3 by default), flushed before each measurement and at the end. BENCH_DRY=1
prints the tables instead of appending them to docs/performance.md. BENCH_SERVING_EXPORTS=<n>: n
clients export the largest ledger from nuanxin, one export after another, while everything is
measured (Exports); the workers' peak memory is reported either way.

Endpoints: the grid worker's cases page, a case's detail (200 cases of the grid), visits due,
the period figures of the grid and a rider's 5 nearest stations (500 random points) (the paths
of city.endpoints()). The nearest stations' answer holds what nuanxin computes beyond its rows
(distances, walking estimates, map links in converted coordinates, whether a station is open
now): the twin computes them with nuanxin's own model-free helpers (nuanxin/core/geo.py,
nuanxin/stations/directions.py), at request time like nuanxin.

Time: measuring takes about 6 minutes with the defaults (5 read endpoints × 2 connection counts
and intake × 3, × 2 rounds × 2 servers × 5 s, warm-ups, the capture and the checks). The first
run builds the demo before that: load_demo took 13 minutes on this 2-core machine at a load
average of 9 (shared with other work); later runs reuse it. The long form adds the city's
growth (city.py's docstring: some 35 minutes to 5,000,000 cases) and its measuring per size.

    make bench-serving
    BENCH_SERVING_DATABASE=nuanxin_bench BENCH_SERVING_SECONDS=10 BENCH_SERVING_ROUNDS=3 \\
        .venv/bin/python benchmarks/serving.py
    BENCH_SERVING_CITY_SIZES=10000,1000000,5000000 .venv/bin/python benchmarks/serving.py
"""

import dataclasses
import enum
import itertools
import json
import os
import pickle
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
SIZES = [int(s) for s in os.environ.get("BENCH_SERVING_CITY_SIZES", "").replace("_", "").split(",") if s]
EXISTING = os.environ.get("BENCH_SERVING_DATABASE", "nuanxin_bench" if SIZES else "")
# city.py reads these when imported: the database (its name guard applies) and Redis.
os.environ["BENCH_DATABASE"] = EXISTING or "nuanxin_bench_serving"
# The demo (or the city) is built once and kept: building it costs minutes, measuring it a few.
# BENCH_SERVING_REBUILD=1 builds it afresh.
os.environ["BENCH_REUSE"] = "0" if os.environ.get("BENCH_SERVING_REBUILD") == "1" else "1"
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
sys.path.insert(0, str(BENCH_DIR))
import city  # noqa: E402
from harness import publish  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SERVING_SECONDS", "5"))
WARMUP = float(os.environ.get("BENCH_SERVING_WARMUP", "2"))
ROUNDS = int(os.environ.get("BENCH_SERVING_ROUNDS", "2"))
CONNECTIONS = [int(n) for n in os.environ.get("BENCH_SERVING_CONNECTIONS", "10,50").split(",") if n]
INTAKE_CONNECTIONS = [int(n) for n in os.environ.get("BENCH_SERVING_INTAKE_CONNECTIONS", "1,5,20").split(",") if n]
# Clients exporting the largest ledger from nuanxin while everything is measured (Exports).
EXPORTS = int(os.environ.get("BENCH_SERVING_EXPORTS", "0"))
SAMPLE = 20  # paths per endpoint whose bodies are compared before measuring; the reports intake sends
TARGET = "≥ 60 % of the twin, p99 ≤ 100 ms at 10 connections"
INTAKE_TARGET = "≥ 50 % of the twin at 20 connections, growing from 1 to 5 to 20"
# The demo's accounts (nuanxin/demo/builder.py, demo_logins), used when the database is the demo.
DEMO_LOGINS = city.Logins("grid1-worker", "community", "street", "rider1", password="nuanxin-demo")  # noqa: S106
# The measured reads of city.endpoints(), by their first path; the lean twin answers these.
MEASURED = {
    "cases": re.compile(r"/api/v1/cases\?"),
    "case": re.compile(r"/api/v1/cases/\d+$"),
    "visits": re.compile(r"/api/v1/inspections/visits\?"),
    "period": re.compile(r"/api/v1/insights/period\?"),  # the first: the grid worker's grid
    "nearest": re.compile(r"/api/v1/stations/nearest\?"),
}
REPORT_PATH = "/api/v1/cases"  # where city.py's intake endpoint posts (benchmarks/wrk/intake.lua)
# nuanxin's own authentication: the twin checks the token its own way.
AUTHENTICATION = re.compile(r'\b(FROM|UPDATE|INTO)\s+"(accounts_apitoken|django_session)"')
# The statements a report writes with: which column each parameter fills (written()).
INSERT = re.compile(r'INSERT INTO "(\w+)" \(([^)]*)\) (?:VALUES \((.*?)\)|SELECT \* FROM UNNEST\((.*)\))')
UPDATE = re.compile(r'UPDATE "(\w+)" SET ')
WITH = re.compile(r"WITH \w+ AS \((.*)\) (UPDATE .*)", re.DOTALL)
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


def logins() -> city.Logins:
    """Whom city.endpoints() signs in: the demo's people on the demo, else the generator's."""
    from nuanxin.accounts.models import User

    return DEMO_LOGINS if User.objects.filter(username=DEMO_LOGINS.worker).exists() else city.GENERATED


# --- the capture ----------------------------------------------------------------------------------


@dataclass
class Measured:
    """One endpoint: what wrk sends, what nuanxin ran for each request."""

    key: str
    endpoint: Any  # city.Endpoint
    connections: list[int]
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)  # path or report body -> its plan
    queries: list[int] = field(default_factory=list)  # nuanxin's statements per request, with its authentication
    results: dict[tuple[int, str], list[dict]] = field(default_factory=dict)  # (connections, server) -> runs

    @property
    def intake(self) -> bool:
        return bool(self.endpoint.bodies)

    @property
    def requests(self) -> list[str]:
        """The report bodies of intake, the paths of a read."""
        return self.endpoint.bodies or self.endpoint.paths


def measured_endpoints(everything: list[Any]) -> tuple[list[Measured], Measured]:
    """The measured reads of city.endpoints(), and intake with its first SAMPLE reports."""
    reads = [
        Measured(key, next(e for e in everything if e.paths and first.match(e.paths[0])), CONNECTIONS)
        for key, first in MEASURED.items()
    ]
    report = next(e for e in everything if e.kind == "intake")
    return reads, Measured("intake", dataclasses.replace(report, bodies=report.bodies[:SAMPLE]), INTAKE_CONNECTIONS)


def capture(measured: Measured) -> None:
    """Each request through nuanxin in-process, twice; the warm request's statements kept, and
    for a report also the columns its parameters fill and nuanxin's answer."""
    from django.db import connection
    from django.test import Client

    headers = {**city.PROXY_HEADERS, **measured.endpoint.headers}
    client = Client(**{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    for sent in measured.requests:
        for _warm in range(2):
            ran: list[tuple[str, Any]] = []

            def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                ran.append((sql, params))  # noqa: B023 (called within this iteration)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(record):
                if measured.intake:
                    response = client.post(
                        REPORT_PATH, sent, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
                    )
                else:
                    response = client.get(sent)
            if not 200 <= response.status_code < 300:
                raise RuntimeError(f"{sent}: in-process {response.status_code} {response.content[:300]!r}")
        kept = [(sql, _plain(params)) for sql, params in ran if not AUTHENTICATION.search(sql)]
        plan = {"statements": kept, "columns": [select_labels(sql) for sql, _p in kept]}
        if measured.intake:
            plan |= {"targets": [written(sql, params) for sql, params in kept], "answer": response.json()}
        if measured.key == "period":
            plan["counted"] = counted(headers["Authorization"], sent)
        measured.plans[sent] = plan
        measured.queries.append(len(ran))


def counted(authorization: str, path: str) -> dict[tuple[str, str], set[str]]:
    """What nuanxin's period totals keep of the rows they read for this viewer and node
    (rollups.counted_paths): the twin keeps the same, as it replays the same statements."""
    from urllib.parse import parse_qs, urlsplit

    from nuanxin.accounts.scope import scope_of
    from nuanxin.accounts.token_memory import user_for_token
    from nuanxin.insights.rollups import counted_paths
    from nuanxin.territory.models import Area

    node = Area.objects.get(pk=parse_qs(urlsplit(path).query)["node"][0])
    kept = counted_paths(scope_of(user_for_token(authorization.removeprefix("Bearer "))), node)
    # Categories are choices of nuanxin's models: plain strings for the twin, which has none.
    return {(family, str(category)): paths for (family, category), paths in kept.items()}


def _plain(params: Any) -> Any:
    """Parameters as the twin can load them without nuanxin's models: a choice is its value,
    in a JSON document too."""
    from psycopg.types.json import Jsonb

    if isinstance(params, list | tuple):
        return type(params)(_plain(p) for p in params)
    if isinstance(params, dict):
        return {key: _plain(value) for key, value in params.items()}
    if isinstance(params, Jsonb):
        return Jsonb(_plain(params.obj), dumps=params.dumps)
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


def written(sql: str, params: Any) -> tuple[str | None, list[tuple[str, str]]]:
    """The table whose rows an INSERT (one row, or rows as UNNEST arrays) or an UPDATE returns,
    and the (table, column) each of its parameters fills ("id" for an UPDATE's WHERE on its own
    id); a data-modifying WITH (`WITH x AS (INSERT …) UPDATE …`) is its INSERT's parameters, then
    its UPDATE's, and returns the UPDATE's rows. The twin of intake gives some of them values of
    its own. (None, []) for any other statement."""
    if with_ := WITH.match(sql):
        _table, first = written(with_[1], None)
        table, then = written(with_[2], None)
        targets = first + then
    elif insert := INSERT.match(sql):
        values = (insert[3] or insert[4]).split(", ")
        names = re.findall(r'"(\w+)"', insert[2])
        table = insert[1]
        targets = [(table, name) for name, value in zip(names, values, strict=True) if "%s" in value]
    elif update := UPDATE.match(sql):
        table = update[1]
        targets = [(table, column) for column in re.findall(r'"(\w+)" = %s', sql)]
    else:
        return None, []
    if params is not None and len(targets) != len(params):
        raise RuntimeError(f"which column each parameter fills is unclear: {sql[:300]}")
    return table, targets


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
    workers, postgres = server.workers(), backends()
    before = cpu_seconds(workers), cpu_seconds(postgres)
    figures = city.wrk(server.port, measured.endpoint, seconds, files, connections)
    after_workers, after_postgres = cpu_seconds(workers), cpu_seconds(backends())
    requests = max(figures["requests"], 1)
    figures["worker_ms"] = spent(before[0], after_workers) * 1000 / requests
    figures["postgres_ms"] = spent(before[1], after_postgres) * 1000 / requests
    return figures


def ask(server: Any, measured: Measured, sent: str) -> tuple[int, bytes]:
    """One request over HTTP: a read's path, or a report's body with a new Idempotency-Key."""
    if measured.intake:
        headers = {**measured.endpoint.headers, "Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
        status, _h, body = city.request(server.port, "POST", REPORT_PATH, body=sent.encode(), headers=headers)
    else:
        status, _h, body = city.request(server.port, "GET", sent, headers=measured.endpoint.headers)
    return status, body


def layout(body: bytes) -> Any:
    """A JSON answer's keys in order and the types of its values: what two reports share."""

    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return [(key, shape(item)) for key, item in value.items()]
        if isinstance(value, list):
            return [shape(item) for item in value]
        return type(value).__name__

    return shape(json.loads(body))


def check_bodies(nuanxin: Any, lean: Any, measured: Measured) -> None:
    """Both servers' answers for up to SAMPLE requests: a read's byte for byte, a report's by its
    status and layout (each report has its own id, number and time), or the run stops."""
    wanted = 201 if measured.intake else 200
    for sent in measured.requests[:SAMPLE]:
        status, expected = ask(nuanxin, measured, sent)
        lean_status, body = ask(lean, measured, sent)
        if status == lean_status == wanted and (
            layout(body) == layout(expected) if measured.intake else body == expected
        ):
            continue
        at = next((n for n, (a, b) in enumerate(zip(expected, body, strict=False)) if a != b), None)
        at = min(len(expected), len(body)) if at is None else at
        raise RuntimeError(
            f"{sent}: nuanxin {status}, lean twin {lean_status}; "
            f"{'layouts' if measured.intake else 'bodies'} differ, the bodies at byte {at}:\n"
            f"  nuanxin: {expected[max(0, at - 150) : at + 150]!r}\n"
            f"  lean:    {body[max(0, at - 150) : at + 150]!r}"
        )


def measure(nuanxin: Any, lean: Any, items: list[Measured], files: dict[str, str]) -> None:
    for measured in items:
        if not measured.connections:  # e.g. BENCH_SERVING_CONNECTIONS= : intake alone
            continue
        for server in (nuanxin, lean):
            run(server, measured, measured.connections[0], WARMUP, files)
        for connections in measured.connections:
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


class Exports:
    """BENCH_SERVING_EXPORTS clients, each exporting the largest visit ledger from nuanxin
    (GET /api/v1/ledgers/<code>/export: as the city admin in the city, 200,000 rows and tens of
    seconds; as the community admin in the demo), one export after another for as long as the
    endpoints are measured: how the worker model takes a long request. Only nuanxin serves
    exports, so they run on its server while both servers are measured: both share the machine
    with them, and nuanxin also gives up the worker or thread each export holds."""

    def __init__(self, server: Any, clients: int, login: str, password: str) -> None:
        largest = city.largest_ledger()
        if largest is None:
            raise RuntimeError("BENCH_SERVING_EXPORTS: the database has no ledger to export")
        self.path = f"/api/v1/ledgers/{largest[0]}/export"
        self.headers = {"Authorization": f"Bearer {city.bearer_token(server.port, login, password)}"}
        self.port = server.port
        self.stopping = threading.Event()
        self.done: list[tuple[int, float, int]] = []  # status, seconds, bytes
        self.threads = [threading.Thread(target=self._export, daemon=True) for _ in range(clients)]
        for thread in self.threads:
            thread.start()

    def _export(self) -> None:
        while not self.stopping.is_set():
            started = time.perf_counter()
            status, _h, body = city.request(self.port, "GET", self.path, headers=self.headers)
            self.done.append((status, time.perf_counter() - started, len(body)))

    def finish(self) -> str:
        """Stop after the exports under way; what they did, as a sentence."""
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        failed = sum(1 for status, _s, _b in self.done if status != 200)
        seconds = statistics.median(s for _st, s, _b in self.done) if self.done else 0.0
        megabytes = statistics.median(b for _st, _s, b in self.done) / 1e6 if self.done else 0.0
        return (
            f"While measuring, {len(self.threads)} client(s) exported {self.path} from nuanxin one export "
            f"after another: {len(self.done)} exports, {seconds:.1f} s and {megabytes:.1f} MB each (medians)"
            + (f", **{failed} not 200**" if failed else "")
            + "."
        )


def memory(server: Any) -> str:
    """The workers' peak resident size since the last reset: all of them, and the largest."""
    peaks = server.memory()
    return f"{sum(peaks.values()):,.0f} MB in all, {max(peaks.values(), default=0):,.0f} MB the largest"


# --- the report -----------------------------------------------------------------------------------


def judged(measured: Measured, connections: int, ratio: float, p99: float) -> tuple[str, str]:
    """A row's target and verdict: a read's at 10 connections, intake's at 20, where its
    throughput must also have grown with each connection count before."""
    if measured.intake:
        if connections != 20:
            return "", ""
        rates = [statistics.median(r["per_s"] for r in measured.results[(n, "nuanxin")]) for n in measured.connections]
        met = ratio >= 0.5 and all(a < b for a, b in itertools.pairwise(rates))
        return INTAKE_TARGET, "met" if met else "**missed**"
    if connections != 10:
        return "", ""
    return TARGET, "met" if ratio >= 0.6 and p99 <= 100 else "**missed**"


def table(items: list[Measured]) -> list[str]:
    lines = [
        "| endpoint | conn. | nuanxin req/s | twin req/s | nuanxin/twin | p50 ms | p99 ms | worker CPU ms/req "
        "| PostgreSQL CPU ms/req | queries | non-2xx | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for measured in items:
        queries = statistics.median_low(measured.queries)
        lean_queries = 1 + statistics.median_low(len(plan["statements"]) for plan in measured.plans.values())
        for connections in measured.connections:
            ours, twin = measured.results[(connections, "nuanxin")], measured.results[(connections, "lean")]
            ratio = statistics.median(a["per_s"] / b["per_s"] for a, b in zip(ours, twin, strict=True))

            def both(key: str, scale: float = 1.0, digits: int = 1) -> str:
                values = [statistics.median(r[key] for r in runs) / scale for runs in (ours, twin)]  # noqa: B023
                return " / ".join(f"{v:,.{digits}f}" for v in values)

            p99 = statistics.median(r["p99_us"] for r in ours) / 1000
            errors = sum(r["errors"] for r in ours + twin)
            target, verdict = judged(measured, connections, ratio, p99)
            rates = [statistics.median(r["per_s"] for r in runs) for runs in (ours, twin)]
            lines.append(
                f"| {measured.endpoint.label} | {connections} | {rates[0]:,.0f} | {rates[1]:,.0f} "
                f"| {ratio * 100:.0f} % | {both('p50_us', 1000)} | {both('p99_us', 1000)} | {both('worker_ms', 1, 2)} "
                f"| {both('postgres_ms', 1, 2)} | {queries} / {lean_queries} "
                f"| {errors if not errors else f'**{errors}**'} | {target} | {verdict} |"
            )
    return lines


# --- the run --------------------------------------------------------------------------------------


def serve() -> int:
    """The database as it is now: captured, checked and measured, its table published. Returns
    the non-2xx answers and socket errors of the runs."""
    from django.utils import timezone

    started = time.perf_counter()
    vacuum()
    city.flush_redis()
    people = logins()
    cases = city.case_count()
    nuanxin = lean = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
            nuanxin = city.start_server("nuanxin.wsgi")
            reads, intake = measured_endpoints(city.endpoints(nuanxin.port, timezone.localdate(), people))
            # Intake first: the reports it files are then in the database the reads are captured on.
            for measured in (intake, *reads):
                capture(measured)
            items = [*reads, intake]  # compared and measured last: its reports add cases
            plans = Path(tmp) / "captured.pickle"
            plans.write_bytes(pickle.dumps({sent: plan for m in items for sent, plan in m.plans.items()}))
            os.environ["BENCH_LEAN_CAPTURE"] = str(plans)
            lean = city.start_server("lean.wsgi", bare=True)
            for measured in items:
                check_bodies(nuanxin, lean, measured)
            print("  answers checked; measuring", flush=True)
            for server in (nuanxin, lean):
                server.reset_peaks()
            exports = None
            if EXPORTS:
                exporter = people.community_admin if people == DEMO_LOGINS else city.CITY_ADMIN
                exports = Exports(nuanxin, EXPORTS, exporter, people.password)
            try:
                measure(nuanxin, lean, items, city.write_files(Path(tmp), [m.endpoint for m in items]))
            finally:
                exported = exports.finish() if exports else ""
            memories = f"Workers' peak resident memory: nuanxin {memory(nuanxin)}; the twin {memory(lean)}."
    except Exception:
        for server in (nuanxin, lean):
            if server is not None:
                print("gunicorn log (tail):\n" + server.log_tail(), flush=True)
        raise
    finally:
        for server in (nuanxin, lean):
            if server is not None:
                city.stop_server(server)
    minutes = (time.perf_counter() - started) / 60
    errors = sum(r["errors"] for m in items for runs in m.results.values() for r in runs)
    shape = city.city_shape()  # "the generated city (…)", which the demo is not
    shape = shape.replace("the generated city", "the demo community", 1) if people == DEMO_LOGINS else shape
    publish(
        f"Serving: key endpoints against their same-work lean twins, {cases:,} cases"
        + (" (**with errors**)" if errors else ""),
        f"{shape}, {cases:,} cases, database {os.environ['BENCH_DATABASE']}, VACUUM (ANALYZE)d before measuring.",
        [],
        notes=(
            f"Servers: nuanxin and its lean twin (benchmarks/lean: the token in one query, the SQL nuanxin ran "
            "for each path replayed, the same bytes, checked before measuring; for intake, the statements of "
            "each report replayed in one transaction with its own time, number, ids and audit link, the status "
            "and the answer's layout checked) under the same gunicorn "
            f"({city.worker_model()}), production settings, "
            f"DB_CONN_MAX_AGE 60. Client: wrk, {city.WRK_THREADS} threads, {WARMUP:g} s warm-up per server and "
            f"endpoint, then {ROUNDS} rounds of {SECONDS:g} s, nuanxin then the twin, per connection count "
            f"(intake: {SAMPLE} reports' bodies, each request with its own Idempotency-Key). "
            "Requests/s: medians; nuanxin/twin: the median of the paired ratios; p50, p99, CPU: medians, "
            "nuanxin / twin. CPU per request: utime + stime of the gunicorn workers, and of the PostgreSQL "
            "backends serving the database, over the run. Queries: nuanxin's per request in-process "
            f"(its authentication included) / the twin's. Capturing, checking and measuring took {minutes:.0f} min. "
            f"{memories}" + (f" {exported}" if exported else ""),
            "",
            *table(items),
        ),
        how="A real server and client (below); the benchmark process itself (capture, checks):",
    )
    return errors


def main() -> None:
    subprocess.run(["bash", str(city.ROOT / "scripts" / "debian-packages.sh"), "wrk"], check=True)  # noqa: S603, S607
    if SIZES:
        city.prepare_database()
    elif not EXISTING:
        print(f"the demo in {os.environ['BENCH_DATABASE']}", flush=True)
        build_demo()

    import django

    django.setup()
    from django.core.management import call_command

    errors = 0
    try:
        if not SIZES:
            errors = serve()
        else:
            call_command("migrate", verbosity=0)
        for size in SIZES:
            have = city.case_count()
            # Each run files its reports into the city (thousands, by wrk): a size the city
            # has passed by less than half is measured again, not skipped.
            if have > size * 1.5:
                print(f"skipping {size:,} cases: the database already holds {have:,}", flush=True)
                continue
            if have < size:
                city.grow(size)
            errors += serve()
    finally:
        city._stop_all()
        city.flush_redis()
    if errors:
        print(f"FLAGGED: {errors} non-2xx answers or socket errors", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    finally:
        city._stop_all()
