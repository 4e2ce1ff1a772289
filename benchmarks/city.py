"""The city benchmark: a real server under wrk at 10,000, 1,000,000 and 5,000,000 cases,
against the ceiling of a bare Django view, appended to docs/performance.md.

What it does, all bounded:
- PostgreSQL database BENCH_DATABASE (default nuanxin_bench) on 127.0.0.1, dropped and made
  again at the start (BENCH_REUSE=1 keeps it and skips the sizes it has already passed); it
  never reads DATABASE_URL, so it cannot touch the development database. Redis db 2 (cache
  and task queue; no worker runs, the queued notifications are flushed at the end).
- `manage.py generate_city` builds the city (BENCH_CITY_ARGS, default the generator's full city:
  10 districts, 6,000 grids, 2,000,000 residents, 1,000,000 watch targets, 10,000 stations) with
  the first of BENCH_CITY_SIZES cases (default "10000,1000000,5000000"), then tops the cases
  up to each next size: one database grows. Each generator run ends with VACUUM (ANALYZE) of the
  tables it wrote (the run states its seconds), as production's autovacuum would soon after a
  load: a never-vacuumed city reads the heap on every index-only scan (docs/deploy.md).
- Production settings: NUANXIN_PRODUCTION=1 with benchmark-only SECRET_KEY and
  NUANXIN_FIELD_KEY, DEBUG off, REDIS_URL, persistent connections (DB_CONN_MAX_AGE 60),
  SECURE_SSL_REDIRECT on; every request carries X-Forwarded-Proto: https as nginx sets it, so
  nothing is redirected and the cookies are the secure ones.
- Per size: gunicorn on 127.0.0.1:<free port> with the repository's gunicorn.conf.py (its
  gc.freeze() after loading; BENCH_WORKERS 10 sync workers as docs/deploy.md sizes a 2-core
  server, BENCH_WORKER_CLASS=gthread with BENCH_WORKER_THREADS to try threads; the same for
  every measurement) first serves the ceiling
  (benchmarks/bare: same Django, only CommonMiddleware, JsonResponse({"ok": True})), then
  nuanxin. Each endpoint gets a
  warm-up (BENCH_WARMUP, 3 s) and a run of BENCH_SECONDS (10 s) of wrk, 50 connections
  (BENCH_CONNECTIONS), 2 threads, --latency; the Lua scripts in benchmarks/wrk count every
  non-2xx answer. Users sign in as real ones do: a bearer token from POST /api/v1/auth/token
  for the API, the login form's session cookie for pages.
- Per endpoint: requests/s, p50, p99, the share of the ceiling, database queries per request
  (once, in-process, Django test client with an execute wrapper, as harness.measure counts),
  peak memory (the largest VmHWM of the gunicorn workers, reset after the warm-up through
  /proc/<pid>/clear_refs), non-2xx answers (a run with any is flagged), and the issue's target,
  met or missed.
- Once (visits do not grow with cases): the ledger export over HTTP for about 10,000 rows and
  for the whole ledger (BENCH_LEDGER=0 skips it), its time and the serving worker's peak memory.

Time on this machine (2 cores, x86_64): measuring takes about 3 minutes per size (a ceiling and
11 endpoints of 13 s each, two server starts, sign-in, query counts) and the ledger export about
a minute. The generator dominates: a tenth of the city (600 grids, 200,000 residents, 100,000
targets) took 73 s to build and 64 s to top up by 490,000 cases on a machine shared with other
work, so the full city is expected to take about 10 minutes, the top-up to 1,000,000 cases 2-3
and the one to 5,000,000 about 10 (each followed by the generator's rebuild of the period
figures): some 35 minutes in all, well under an hour. The run prints its duration and the
report states it. BENCH_DRY=1 prints the section instead of appending it.

    .venv/bin/python benchmarks/city.py
    BENCH_DRY=1 BENCH_SECONDS=3 BENCH_CITY_SIZES=10000,50000 BENCH_DATABASE=helper_bench_x \\
        BENCH_CITY_ARGS="--districts 1 --streets 2 --communities 3 --grids 4 --residents 20000 \\
        --targets 5000 --stations 200" .venv/bin/python benchmarks/city.py
"""

import base64
import hashlib
import http.client
import json
import os
import random
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, publish  # noqa: E402

sys.path.insert(0, str(ROOT))

BENCH_DIR = ROOT / "benchmarks"
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "3"))
SIZES = [int(s) for s in os.environ.get("BENCH_CITY_SIZES", "10000,1000000,5000000").replace("_", "").split(",") if s]
CITY_ARGS = shlex.split(os.environ.get("BENCH_CITY_ARGS", ""))
DATABASE = os.environ.get("BENCH_DATABASE", "nuanxin_bench")
REUSE = os.environ.get("BENCH_REUSE", "") == "1"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
WORKERS = int(os.environ.get("BENCH_WORKERS", "10"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", "4"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "50"))
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
LEDGER = os.environ.get("BENCH_LEDGER", "1") == "1"
LEDGER_ROWS = (10_000, 1_000_000)  # the export is measured for about this many rows
PASSWORD = "nuanxin-bench"  # generate_city's default
HOST = "127.0.0.1"
CITY_ADMIN = "city-admin"  # the generator's, who exports the ledgers
# The targets (issue 6 §3).
TARGETS = {
    "read": "≥ 50 % of the ceiling, p99 ≤ 100 ms",
    "intake": "≥ 25 % of the ceiling",
    "figures": "p99 ≤ 100 ms",
}

if not re.fullmatch(r"(nuanxin_bench|helper_bench)\w*", DATABASE):
    # The database is dropped at the start: never one that could hold anyone's work.
    sys.exit(f"BENCH_DATABASE must start with nuanxin_bench or helper_bench, not {DATABASE!r}")

# Benchmark-only secrets, fixed so a kept database (BENCH_REUSE) still decrypts.
_FIELD_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"nuanxin city benchmark field key").digest()).decode()
_AUDIT_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"nuanxin city benchmark audit key").digest()).decode()
ENV = {
    "DJANGO_SETTINGS_MODULE": "nuanxin.settings",
    "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{DATABASE}",
    "DB_CONN_MAX_AGE": "60",
    "REDIS_URL": REDIS_URL,
    "NUANXIN_PRODUCTION": "1",
    "DEBUG": "0",
    "NUANXIN_DEMO": "0",
    # The benchmark's accounts have no authenticator app (docs/accounts-mfa.md).
    "NUANXIN_MFA_REQUIRED": "0",
    "SECRET_KEY": "nuanxin-city-benchmark-only-" + hashlib.sha256(b"bench secret").hexdigest(),
    "NUANXIN_FIELD_KEY": _FIELD_KEY,
    "NUANXIN_AUDIT_KEY": _AUDIT_KEY,
    "ALLOWED_HOSTS": f"{HOST},localhost,testserver",
    "LOG_LEVEL": "WARNING",
    # A load test is a few clients hammering on purpose: the rate limits (docs/rate-limits.md)
    # would refuse it. Their counting stays in what is measured.
    **{
        f"RATE_LIMIT_{name}": "1000000000/3600"
        for name in ("SIGN_IN", "REPORT", "EXPORT", "CASES_SIMILAR", "CASES_FOLLOW", "PEOPLE_SEARCH", "REVEAL")
    },
}
os.environ.update(ENV)
_KEY_FILES = ("SECRET_KEY_FILE", "NUANXIN_FIELD_KEY_FILE", "NUANXIN_AUDIT_KEY_FILE")
for name in ("TASKS_BACKEND", *_KEY_FILES, "SQLITE_PATH", "SECURE_SSL_REDIRECT"):
    os.environ.pop(name, None)
# What nginx adds to every request it passes on after TLS.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


# --- processes: everything started here is stopped on the way out, Ctrl-C included -------------

_RUNNING: list[subprocess.Popen] = []


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _stop(process: subprocess.Popen, grace: float = 20) -> None:
    """Stop a process started in its own session, with everything it started."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
    if process in _RUNNING:
        _RUNNING.remove(process)


def _stop_all() -> None:
    for process in list(_RUNNING):
        _stop(process, grace=10)


def _run(command: list[str], *, timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a command in its own session (so a stop reaches its children); stopped on any exit."""
    process = subprocess.Popen(  # noqa: S603 (commands built here)
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    _RUNNING.append(process)
    try:
        out, _ = process.communicate(timeout=timeout)
    finally:
        _stop(process)
    return subprocess.CompletedProcess(command, process.returncode, out, "")


# --- the database and the city -------------------------------------------------------------------


def prepare_database() -> None:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@{HOST}:5432/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if exists and not REUSE:
            admin.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{DATABASE}"')


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def case_count() -> int:
    from nuanxin.cases.models import Case

    return Case.objects.count()


# generate_city's summary line per table (its management command prints them at the end).
GENERATOR_LINE = re.compile(
    r"^\s*(?P<table>\w+)\s+(?P<rows>[\d,]+) rows\s+(?P<seconds>[\d.]+) s\s+(?P<rate>[\d,]+) rows/s"
    r" \| indexes\s+(?P<index_seconds>[\d.]+) s \|\s+(?P<overall>[\d,]+) rows/s in all$"
)
BULK_ROWS = 50_000  # the generator's tables reported: those it wrote at least this many rows to
BULK_TARGET = 50_000  # rows/s, issue 6 §2


# generate_city's line for the closing VACUUM (ANALYZE) of the tables it wrote.
VACUUM_LINE = re.compile(r"^tables vacuumed and analysed \(VACUUM \(ANALYZE\)\) in (?P<seconds>[\d.]+) s$")


@dataclass
class Growth:
    """One generate_city run: the cases it brought the city to, its seconds (the closing
    vacuum's among them), its tables."""

    cases: int
    seconds: float
    tables: list[dict] = field(default_factory=list)
    vacuum_seconds: float | None = None


def grow(cases: int) -> Growth:
    """Build the city with `cases` cases, or top its cases up to that."""
    from django.db import connection

    connection.close()
    started = time.perf_counter()
    command = [sys.executable, "manage.py", "generate_city", *CITY_ARGS, "--cases", str(cases)]
    print("  $", " ".join(command[1:]), flush=True)
    # Its progress is shown as it comes: the full city takes minutes.
    process = subprocess.Popen(  # noqa: S603 (a fixed command)
        command,
        cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    _RUNNING.append(process)
    tables = []
    vacuum_seconds = None
    try:
        assert process.stdout is not None
        for line in process.stdout:
            print("    " + line.rstrip(), flush=True)
            if vacuumed := VACUUM_LINE.match(line.strip()):
                vacuum_seconds = float(vacuumed["seconds"])
            if match := GENERATOR_LINE.match(line.rstrip()):
                tables.append(
                    {
                        key: value if key == "table" else float(value.replace(",", ""))
                        for key, value in match.groupdict().items()
                    }
                )
        process.wait()
    finally:
        _stop(process)
    if process.returncode != 0:
        raise RuntimeError(f"generate_city failed ({process.returncode})")
    return Growth(cases, time.perf_counter() - started, tables, vacuum_seconds)


def city_shape() -> str:
    from nuanxin.inspections.models import Visit, WatchTarget
    from nuanxin.people.models import Resident
    from nuanxin.stations.models import Station
    from nuanxin.territory.models import Area

    areas = {level: Area.objects.filter(level=level).count() for level in ("district", "street", "community", "grid")}
    return (
        f"the generated city ({areas['district']:,} districts, {areas['street']:,} streets, "
        f"{areas['community']:,} communities, {areas['grid']:,} grids; {Resident.objects.count():,} residents, "
        f"{WatchTarget.objects.count():,} watch targets, {Visit.objects.count():,} visits, "
        f"{Station.objects.count():,} stations)"
    )


# --- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Any

    def workers(self) -> list[int]:
        """The gunicorn workers: the master's children."""
        out = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if parent == self.process.pid:
                    out.append(int(entry))
        return out

    def reset_peaks(self) -> None:
        """Start the workers' peak resident size (VmHWM) again from their size now."""
        for pid in self.workers():
            try:
                with open(f"/proc/{pid}/clear_refs", "w") as refs:
                    refs.write("5")
            except OSError:
                pass

    def memory(self, key: str = "VmHWM") -> dict[int, float]:
        """Each worker's VmHWM (peak) or VmRSS (now), MB."""
        out = {}
        for pid in self.workers():
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith(key + ":"):
                            out[pid] = int(line.split()[1]) / 1024
            except OSError:
                pass
        return out

    def log_tail(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-3000:]


def worker_model() -> str:
    """The benchmark's gunicorn workers, as the reports name them."""
    if WORKER_CLASS == "gthread":
        return f"{WORKERS} workers × {WORKER_THREADS} threads, gthread"
    return f"{WORKERS} {WORKER_CLASS} workers"


def start_server(app: str, *, bare: bool = False) -> Server:
    """gunicorn on a free loopback port, the same configuration for the ceiling and nuanxin:
    the repository's gunicorn.conf.py (its worker model and its gc.freeze() after loading, so
    the ceiling gets them too), with the benchmark's workers."""
    port = free_port()
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in stop_server)
    env = dict(os.environ)
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app]
    command += ["--bind", f"{HOST}:{port}"]
    command += ["--workers", str(WORKERS), "--worker-class", WORKER_CLASS]
    if WORKER_CLASS == "gthread":  # gunicorn turns sync workers with threads into gthread ones
        command += ["--threads", str(WORKER_THREADS)]
    command += ["--timeout", "300", "--log-level", "warning"]
    if bare:
        env["DJANGO_SETTINGS_MODULE"] = "bare.settings"
        command += ["--pythonpath", str(BENCH_DIR)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)  # noqa: S603
    _RUNNING.append(process)
    server = Server(process, port, log)
    probe = "/ok" if bare else "/accounts/login/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited at start:\n" + server.log_tail())
        try:
            status, _headers, _body = request(port, "GET", probe)
            if status == 200 and len(server.workers()) == WORKERS:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise RuntimeError("gunicorn did not answer within 90 s:\n" + server.log_tail())


def stop_server(server: Server) -> None:
    _stop(server.process)
    server.log.close()


def request(
    port: int, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        conn.request(method, path, body=body, headers={**PROXY_HEADERS, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


# --- signing in as real users do ------------------------------------------------------------------


def bearer_token(port: int, username: str, password: str = PASSWORD) -> str:
    """POST /api/v1/auth/token, as the app does."""
    body = json.dumps({"username": username, "password": password}).encode()
    status, _h, answer = request(
        port, "POST", "/api/v1/auth/token", body=body, headers={"Content-Type": "application/json"}
    )
    if status != 200:
        raise RuntimeError(f"token for {username}: {status} {answer[:300]!r}")
    return json.loads(answer)["token"]


def _cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    out = {}
    for line in headers.get_all("Set-Cookie") or []:
        name, _, rest = line.partition("=")
        out[name.strip()] = rest.split(";", 1)[0]
    return out


def session_cookie(port: int, username: str, password: str = PASSWORD) -> str:
    """The login form: its CSRF cookie and token, then the POST; the session cookie it sets."""
    status, headers, page = request(port, "GET", "/accounts/login/")
    csrf = _cookies(headers).get("csrftoken", "")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not csrf or not match:
        raise RuntimeError(f"login page for {username}: {status}, no CSRF token")
    origin = f"https://{HOST}:{port}"
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
    ).encode()
    status, headers, answer = request(
        port,
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Origin": origin,
            "Referer": origin + "/accounts/login/",
        },
    )
    session = _cookies(headers).get("sessionid")
    if status != 302 or not session:
        raise RuntimeError(f"login of {username}: {status} {answer[:300]!r}")
    return f"sessionid={session}"


# --- the endpoints --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Logins:
    """Whom endpoints() signs in as: a grid worker, the admins of the grid's community and
    street, and a rider, with their password."""

    worker: str
    community_admin: str
    street_admin: str
    rider: str
    password: str = PASSWORD


# The generator's deterministic usernames: the first grid of the first community of the first
# street of the first district, its community and street admins, one of the street's riders.
GENERATED = Logins("grid-d01-s01-c01-g1", "community-d01-s01-c01", "street-d01-s01", "rider-d01-s01-1")


@dataclass
class Endpoint:
    label: str
    kind: str  # "ceiling", "read", "intake", "figures"
    paths: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)  # POST /api/v1/cases when set


def endpoints(port: int, today: date, logins: Logins = GENERATED) -> list[Endpoint]:
    """The key endpoints for the grid worker's grid, its community and street, and a rider
    (by default the generator's first grid and its people)."""
    from nuanxin.accounts.models import RoleGrant
    from nuanxin.cases.models import Case, CaseClass
    from nuanxin.territory.models import Area

    def token(username: str) -> str:
        return bearer_token(port, username, logins.password)

    worker_token, rider_token = token(logins.worker), token(logins.rider)
    worker = {"Authorization": f"Bearer {worker_token}"}
    worker_page = {"Cookie": session_cookie(port, logins.worker, logins.password)}
    grid = (
        RoleGrant.objects.select_related("area__parent__parent")
        .get(user__username=logins.worker, role="grid_worker")
        .area
    )
    community, street = grid.parent, grid.parent.parent
    rng = random.Random(6)
    ids = list(Case.objects.filter(grid=grid).values_list("pk", flat=True))
    sample = rng.sample(ids, min(200, len(ids)))
    year = f"from={today - timedelta(days=364):%Y-%m-%d}&to={today:%Y-%m-%d}"
    box = [(a.center_lng, a.center_lat) for a in Area.objects.filter(level="grid").only("center_lng", "center_lat")]
    lngs, lats = [p[0] for p in box], [p[1] for p in box]
    points = [
        f"/api/v1/stations/nearest?lng={rng.uniform(min(lngs), max(lngs)):.5f}"
        f"&lat={rng.uniform(min(lats), max(lats)):.5f}"
        for _ in range(500)
    ]
    return [
        Endpoint("grid worker: cases API, 50 per page", "read", ["/api/v1/cases?limit=50"], worker),
        Endpoint("grid worker: case list page", "read", ["/cases/"], worker_page),
        Endpoint(
            "grid worker: case detail API (200 cases of the grid)",
            "read",
            [f"/api/v1/cases/{i}" for i in sample],
            worker,
        ),
        Endpoint(
            "grid worker: case page (200 cases of the grid)", "read", [f"/cases/{i}/" for i in sample], worker_page
        ),
        Endpoint(
            "rider: report a case (POST /api/v1/cases, varied)",
            "intake",
            headers={"Authorization": f"Bearer {rider_token}"},
            bodies=report_bodies(rng, CaseClass.objects.filter(active=True)),
        ),
        Endpoint(
            "grid worker: visits due today (API)",
            "read",
            [f"/api/v1/inspections/visits?mine=true&due_by={today:%Y-%m-%d}&limit=50"],
            worker,
        ),
        Endpoint(
            "rider: 5 nearest stations (500 random points)",
            "read",
            points,
            {"Authorization": f"Bearer {rider_token}"},
        ),
        Endpoint(
            "grid worker: period figures, the grid, one year",
            "figures",
            [f"/api/v1/insights/period?node={grid.pk}&{year}"],
            worker,
        ),
        Endpoint(
            "community admin: period figures, the community, one year",
            "figures",
            [f"/api/v1/insights/period?node={community.pk}&{year}"],
            {"Authorization": f"Bearer {token(logins.community_admin)}"},
        ),
        Endpoint(
            "street admin: period figures, the street, one year",
            "figures",
            [f"/api/v1/insights/period?node={street.pk}&{year}"],
            {"Authorization": f"Bearer {token(logins.street_admin)}"},
        ),
        Endpoint(
            "street admin: party coverage, the street, one year",
            "figures",
            [f"/api/v1/party/coverage?node_id={street.pk}&{year}"],
            {"Authorization": f"Bearer {token(logins.street_admin)}"},
        ),
    ]


def report_bodies(rng: random.Random, classes: Any) -> list[str]:
    """500 reports over the whole city: classes without required questions, points inside
    random grids (so every report is routed), a few words of description, sometimes an address."""
    from nuanxin.territory.models import Area

    codes = [c.code for c in classes if not any(q.get("required") for q in c.questions or [])]
    grids = list(Area.objects.filter(level="grid").values_list("boundary", flat=True)[:2000])
    words = ["路灯不亮", "垃圾桶满了", "井盖松动", "占道经营", "噪音扰民", "共享单车乱停", "道路坑洼", "绿化带缺水"]
    bodies = []
    for n in range(500):
        ring = grids[rng.randrange(len(grids))]["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        # Well inside the square, away from the edges a neighbour shares.
        lng = rng.uniform(min(xs), max(xs)) * 0.8 + (min(xs) + max(xs)) / 2 * 0.2
        lat = rng.uniform(min(ys), max(ys)) * 0.8 + (min(ys) + max(ys)) / 2 * 0.2
        body = {
            "class_code": codes[rng.randrange(len(codes))],
            "description": f"{words[rng.randrange(len(words))]}，基准上报 {n}",
            "lng": round(lng, 6),
            "lat": round(lat, 6),
        }
        if n % 3 == 0:
            body["address"] = f"春城路{rng.randrange(1, 300)}号"
        bodies.append(json.dumps(body, ensure_ascii=False))
    return bodies


# --- wrk and the in-process query count ----------------------------------------------------------


def wrk(port: int, endpoint: Endpoint, seconds: float, files: dict[str, str], connections: int = CONNECTIONS) -> dict:
    """One wrk run; the figures from the Lua scripts' BENCH-JSON line."""
    env = dict(os.environ, BENCH_WRK_DIR=str(BENCH_DIR / "wrk"), BENCH_WRK_RUN=f"{os.getpid()}-{time.time_ns()}")
    script = "intake.lua" if endpoint.bodies else "get.lua"
    env["BENCH_WRK_BODIES" if endpoint.bodies else "BENCH_WRK_PATHS"] = files[endpoint.label]
    command = [
        "wrk",
        "-t",
        str(min(WRK_THREADS, connections)),
        "-c",
        str(connections),
        "-d",
        f"{seconds:g}s",
        "--latency",
    ]
    command += ["--timeout", "60s", "-s", str(BENCH_DIR / "wrk" / script)]
    for name, value in {**PROXY_HEADERS, **endpoint.headers}.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://{HOST}:{port}/")
    result = _run(command, timeout=seconds + 120, env=env)
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH-JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout[-2000:]}")
    figures = json.loads(line.removeprefix("BENCH-JSON "))
    figures["per_s"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = figures["non2xx"] + sum(
        figures[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return figures


def queries_per_request(endpoint: Endpoint) -> int:
    """One request in-process (Django test client, same settings), its queries counted with an
    execute wrapper; fails on a non-2xx answer."""
    from django.db import connection
    from django.test import Client

    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in {**PROXY_HEADERS, **endpoint.headers}.items()}
    client = Client(**meta)
    counted: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        counted.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        if endpoint.bodies:
            response = client.post(
                "/api/v1/cases",
                endpoint.bodies[0],
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"bench-inprocess-{time.time_ns()}",
            )
        else:
            response = client.get(endpoint.paths[0])
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"{endpoint.label}: in-process {response.status_code} {response.content[:300]!r}")
    return len(counted)


def measure(server: Server, endpoint: Endpoint, files: dict[str, str]) -> dict:
    if WARMUP > 0:
        wrk(server.port, endpoint, WARMUP, files)
    server.reset_peaks()
    figures = wrk(server.port, endpoint, SECONDS, files)
    figures["peak_mb"] = max(server.memory().values(), default=0.0)
    figures["queries"] = None if endpoint.kind == "ceiling" else queries_per_request(endpoint)
    flag = f"  **{figures['errors']} errors**: {figures['sample']}" if figures["errors"] else ""
    queries = "–" if figures["queries"] is None else figures["queries"]
    print(
        f"    {endpoint.label}: {figures['per_s']:.0f}/s, p50 {figures['p50_us'] / 1000:.1f} ms, "
        f"p99 {figures['p99_us'] / 1000:.1f} ms, {queries} queries, "
        f"peak {figures['peak_mb']:.0f} MB{flag}",
        flush=True,
    )
    return figures


def write_files(tmp: Path, items: list[Endpoint]) -> dict[str, str]:
    files = {}
    for n, endpoint in enumerate(items):
        path = tmp / f"endpoint-{n}.txt"
        path.write_text("\n".join(endpoint.bodies or endpoint.paths) + "\n", encoding="utf-8")
        files[endpoint.label] = str(path)
    return files


# --- the ledger export ----------------------------------------------------------------------------


def largest_ledger() -> tuple[str, int, Any] | None:
    """The visit ledger with the most rows: its code, its row count and its done visits."""
    from django.db.models import Count

    from nuanxin.inspections.models import Visit
    from nuanxin.ledgers.registry.queries import BY_CODE

    done = Visit.objects.filter(state="done", version__template__code__in=list(BY_CODE))
    counts = done.values("version__template__code").annotate(n=Count("pk")).order_by("-n")
    if not counts:
        return None
    code = counts[0]["version__template__code"]
    return code, counts[0]["n"], done.filter(version__template__code=code)


def ledger_exports(server: Server) -> list[dict]:
    """The visit ledger with the most rows, exported by the city admin over HTTP for about
    10,000 and 1,000,000 rows (a `from` day that leaves that many; the whole ledger when it is
    smaller). Time to the last byte, and the serving worker's peak resident size against its
    size before the request: with the rows streamed, it must not grow with them."""
    from django.utils import timezone

    from nuanxin.core.models import AuditEntry
    from nuanxin.ledgers.registry.exports import MAX_EXPORT_ROWS

    largest = largest_ledger()
    if largest is None:
        return []
    code, total, ledger = largest
    newest_first = ledger.order_by("-done_at").values_list("done_at", flat=True)
    token = bearer_token(server.port, CITY_ADMIN)
    out = []
    for wanted in LEDGER_ROWS:
        if wanted < total:
            since = timezone.localtime(newest_first[wanted - 1]).date()
            query, label = f"?from={since:%Y-%m-%d}", f"about {wanted:,} rows"
            selected = ledger.filter(done_at__gte=timezone.make_aware(datetime.combine(since, datetime.min.time())))
        elif out and not out[-1]["query"]:
            break  # the whole ledger was the previous export already
        else:
            query, label, selected = "", "the whole ledger", ledger
        before = server.memory("VmRSS")
        server.reset_peaks()
        started = time.perf_counter()
        status, _h, body = request(
            server.port,
            "GET",
            f"/api/v1/ledgers/{code}/export{query}",
            headers={**PROXY_HEADERS, "Authorization": f"Bearer {token}"},
        )
        seconds = time.perf_counter() - started
        peaks = server.memory()
        grew = {pid: peaks[pid] - before.get(pid, peaks[pid]) for pid in peaks}
        busiest = max(grew, key=lambda pid: grew[pid])
        entry = AuditEntry.objects.filter(action="ledgers.exported").order_by("-pk").first()
        detail = entry.detail if entry else {}
        out.append(
            {
                "label": f"{code}, {label}",
                "query": query,
                "status": status,
                "selected": selected.count(),
                "rows": detail.get("rows", 0),
                "truncated": detail.get("truncated", False),
                "seconds": seconds,
                "bytes": len(body),
                "peak_mb": peaks[busiest],
                "grew_mb": grew[busiest],
                "cap": MAX_EXPORT_ROWS,
            }
        )
        print(f"    export {out[-1]}", flush=True)
    return out


# --- the report -----------------------------------------------------------------------------------


def verdict(kind: str, figures: dict, ceiling: float) -> str:
    share = figures["per_s"] / ceiling if ceiling else 0
    p99 = figures["p99_us"] / 1000
    if kind == "read":
        met = share >= 0.5 and p99 <= 100
    elif kind == "intake":
        met = share >= 0.25
    elif kind == "figures":
        met = p99 <= 100
    else:
        return ""
    text = "met" if met else "**missed**"
    return text if not figures["errors"] else f"{text}, **{figures['errors']} errors**"


def table(results: list[tuple[int, Endpoint, dict]], ceilings: dict[int, float]) -> list[str]:
    lines = [
        "| endpoint | cases | requests/s | p50 ms | p99 ms | of ceiling | queries | peak MB | non-2xx | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    order = {}
    for _size, endpoint, _f in results:
        order.setdefault(endpoint.label, len(order))
    for size, endpoint, f in sorted(results, key=lambda r: (order[r[1].label], r[0])):
        if "failed" in f:
            reason = " ".join(f["failed"].replace("|", "/").split())
            lines.append(
                f"| {endpoint.label} | {size:,} | | | | | | | | {TARGETS.get(endpoint.kind, '')} "
                f"| **failed**: {reason} |"
            )
            continue
        share = f["per_s"] / ceilings[size] * 100 if ceilings.get(size) else 0
        errors = f["errors"]
        lines.append(
            f"| {endpoint.label} | {size:,} | {f['per_s']:,.0f} | {f['p50_us'] / 1000:.1f} | {f['p99_us'] / 1000:.1f} "
            f"| {share:.1f} % | {'–' if f['queries'] is None else f['queries']} | {f['peak_mb']:.0f} "
            f"| {errors if not errors else f'**{errors}**'} | {TARGETS.get(endpoint.kind, '')} "
            f"| {verdict(endpoint.kind, f, ceilings.get(size, 0))} |"
        )
    return lines


def export_table(exports: list[dict]) -> list[str]:
    if not exports:
        return []
    lines = [
        "",
        "Ledger export (GET /api/v1/ledgers/<code>/export, the city admin, one request at a time on the same "
        f"server; the sheet stops at {exports[0]['cap']:,} rows, MAX_EXPORT_ROWS):",
        "",
        "| export | rows selected | rows written | seconds | rows/s | .xlsx MB | worker peak MB | worker growth MB "
        "| status |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in exports:
        lines.append(
            f"| {e['label']} | {e['selected']:,} | {e['rows']:,}{' (cut)' if e['truncated'] else ''} "
            f"| {e['seconds']:.1f} | {e['rows'] / e['seconds']:,.0f} | {e['bytes'] / 1e6:.1f} | {e['peak_mb']:.0f} "
            f"| {e['grew_mb']:.0f} | {e['status'] if e['status'] == 200 else '**' + str(e['status']) + '**'} |"
        )
    return lines


def generator_table(grown: list[Growth]) -> list[str]:
    """The bulk tables of each generate_city run: rows/s made and written, and with the
    indexes built again."""
    lines = [
        "",
        f"generate_city, tables of at least {BULK_ROWS:,} rows (rows/s made and written; then with the "
        "indexes and constraints built again after the load):",
        "",
        "| run | table | rows | seconds | rows/s | indexes s | rows/s in all | target | |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for growth in grown:
        for t in _jobs(growth.tables):
            if t["rows"] >= BULK_ROWS:
                met = "met" if t["rate"] >= BULK_TARGET else "**missed**"
                lines.append(
                    f"| to {growth.cases:,} cases | {t['table']} | {t['rows']:,.0f} | {t['seconds']:.1f} "
                    f"| {t['rate']:,.0f} | {t['index_seconds']:.1f} | {t['overall']:,.0f} "
                    f"| ≥ {BULK_TARGET:,} rows/s | {met} |"
                )
    return lines


def _jobs(tables: list[dict]) -> list[dict]:
    """The tables as the generator makes them: a case and its events are made together (the
    time to make both is counted with the cases), so they are reported as one."""
    by_name = {t["table"]: t for t in tables}
    cases, events = by_name.get("cases_case"), by_name.get("cases_caseevent")
    if not (cases and events):
        return tables
    both = {"table": "cases_case + cases_caseevent (made together)"}
    for key in ("rows", "seconds", "index_seconds"):
        both[key] = cases[key] + events[key]
    both["rate"] = both["rows"] / both["seconds"]
    both["overall"] = both["rows"] / (both["seconds"] + both["index_seconds"])
    return [both] + [t for t in tables if t not in (cases, events)]


def _vacuumed(growth: Growth) -> str:
    if growth.vacuum_seconds is None:
        return f"**no vacuum reported** by the run to {growth.cases:,} cases"
    return f"{growth.vacuum_seconds:.1f} s"


def versions() -> str:
    """PostgreSQL's version and Redis's, for the report."""
    import redis
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    return f"{postgres} and Redis {redis.Redis.from_url(REDIS_URL).info('server')['redis_version']}"


# --- the run --------------------------------------------------------------------------------------


def main() -> None:
    started = time.perf_counter()
    subprocess.run(["bash", str(ROOT / "scripts" / "debian-packages.sh"), "wrk"], check=True)  # noqa: S603, S607
    # Ctrl-C even when started in the background (where a shell ignores SIGINT for it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    prepare_database()
    flush_redis()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    results: list[tuple[int, Endpoint, dict]] = []
    ceilings: dict[int, float] = {}
    grown: list[Growth] = []
    exports: list[dict] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-city-") as tmp:
            for size in SIZES:
                have = case_count()
                if have > size:
                    print(f"skipping {size:,} cases: the database already holds {have:,}", flush=True)
                    continue
                print(f"{size:,} cases", flush=True)
                grown.append(grow(size))
                ceiling = Endpoint("ceiling: bare Django JSON view", "ceiling", ["/ok"])
                bare = start_server("bare.wsgi", bare=True)
                try:
                    figures = measure(bare, ceiling, write_files(Path(tmp), [ceiling]))
                    ceilings[size] = figures["per_s"]
                    results.append((size, ceiling, figures))
                finally:
                    stop_server(bare)
                server = start_server("nuanxin.wsgi")
                try:
                    items = endpoints(server.port, timezone.localdate())
                    files = write_files(Path(tmp), items)
                    for endpoint in items:
                        try:
                            results.append((size, endpoint, measure(server, endpoint, files)))
                        except RuntimeError as exc:
                            # One broken endpoint is reported as such; the others are still measured.
                            print(f"    {endpoint.label}: FAILED {exc}", flush=True)
                            results.append((size, endpoint, {"failed": str(exc)[:200]}))
                    if LEDGER and not exports:
                        exports = ledger_exports(server)
                except Exception:
                    print("gunicorn log (tail):\n" + server.log_tail(), flush=True)
                    raise
                finally:
                    stop_server(server)
                connection.close()
            shape = city_shape()
    finally:
        _stop_all()
        flush_redis()  # the queued notifications no worker will run, and the cache
    errors = sum(f.get("errors", 1) for _s, _e, f in results)  # a failed endpoint counts as one
    minutes = (time.perf_counter() - started) / 60
    publish(
        "City: key endpoints under wrk on PostgreSQL" + (" (**with errors**)" if errors else ""),
        f"{shape}; cases grown by generate_city top-ups: "
        f"{', '.join(f'{g.cases:,} cases in {g.seconds:.0f} s' for g in grown)}; each run ended with "
        f"VACUUM (ANALYZE) of the tables it wrote ({', '.join(_vacuumed(g) for g in grown)}).",
        [],
        notes=(
            f"Server: gunicorn {worker_model()} (gunicorn.conf.py: no "
            "keep-alive, gc.freeze() after loading) on 127.0.0.1, the same "
            "for the ceiling and for nuanxin; settings NUANXIN_PRODUCTION=1 (benchmark-only keys), DEBUG off, "
            "SECURE_SSL_REDIRECT on with X-Forwarded-Proto: https on every request (as nginx sends it), "
            f"DB_CONN_MAX_AGE 60; PostgreSQL {versions()} ({REDIS_URL}: the cache and the task queue, no task "
            "worker ran). "
            f"Client: wrk on the same machine, {WRK_THREADS} threads, {CONNECTIONS} connections, {WARMUP:g} s warm-up "
            f"then {SECONDS:g} s per endpoint. The ceiling is a bare Django project (benchmarks/bare: only "
            "CommonMiddleware, JsonResponse) under the same gunicorn, measured at each size. "
            "Queries: one request in-process (Django test client). Peak MB: the largest VmHWM of "
            "the workers during the timed run. Non-2xx: any answer outside 200–299 and any socket error. "
            f"The whole run took {minutes:.0f} min.",
            "",
            *table(results, ceilings),
            *export_table(exports),
            *generator_table(grown),
        ),
        how="A real server and client (below); the benchmark process itself (sign-in, query counts):",
    )
    if errors:
        print(f"FLAGGED: {errors} non-2xx answers, socket errors or failed endpoints", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    finally:
        _stop_all()
