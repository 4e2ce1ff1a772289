"""A burst of QR check-ins to one activity against a real server, appended to docs/performance.md.

500 volunteers (BENCH_VOLUNTEERS) are inserted in bulk into var/bench-volunteers.sqlite3
(benchmark data, not demo data), each signed in: a database session and a CSRF token, as
the phone page has (BENCH_AUTH=bearer: an API bearer token instead); one activity is made
and published through the actions. Then gunicorn serves that database on loopback in a
subprocess and stdlib threads (BENCH_THREADS, default 25; no `requests`) fire
POST /api/v1/volunteers/checkin with the venue's signed code: every volunteer once, plus 3
duplicates each (one racing the first, two later in the burst), 2,000 requests in all:
- "flat out": as fast as the threads get answers (the most the server takes);
- "paced": the same 2,000 spread evenly over 60 s (500 people scanning within a minute).
Each run uses a new activity; afterwards the database must hold exactly one attendance and
one participant per volunteer, the answers must be 500 × 200 and 1,500 × 400 "duplicate",
and the audit chain must verify. A run stops at BENCH_BURST_TIMEOUT seconds (default 180).
Then, in-process and one at a time, a first check-in, a duplicate and the check_in action
alone (the length of its transaction). BENCH_DRY=1 prints without appending.

With DATABASE_URL set, the same runs go to PostgreSQL (the settings read it).

    .venv/bin/python benchmarks/volunteers.py
"""

import http.client
import json
import logging
import os
import queue
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, measure, report, setup  # noqa: E402

setup("bench-volunteers.sqlite3")

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

VOLUNTEERS = int(os.environ.get("BENCH_VOLUNTEERS", "500"))
DUPLICATES = 3
THREADS = int(os.environ.get("BENCH_THREADS", "25"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", "4"))
PACE_SECONDS = float(os.environ.get("BENCH_PACE_SECONDS", "60"))
RUN_TIMEOUT = float(os.environ.get("BENCH_BURST_TIMEOUT", "180"))
REQUEST_TIMEOUT = 30.0
AUTH = os.environ.get("BENCH_AUTH", "session")  # or "bearer"
HOST = "127.0.0.1"
USERNAME = "bench-vol-{:04d}"


# --- data ---------------------------------------------------------------------------------------


def territory():
    """One community with one grid, made through the territory actions, and its organiser."""
    from nuanxin.accounts import actions as accounts
    from nuanxin.accounts.models import User
    from nuanxin.accounts.roles import Role
    from nuanxin.core.audit import SYSTEM
    from nuanxin.territory import actions
    from nuanxin.territory.models import Area
    from nuanxin.testing import rectangle

    if not Area.objects.filter(level="grid", code="G1").exists():
        box = rectangle(102.70, 24.98, 0.01, 0.01)
        district = actions.create_area(
            actor=None, level="district", code="B01", name="基准区", boundary=box, parent=None
        )
        street = actions.create_area(
            actor=None, level="street", code="S01", name="基准街道", boundary=box, parent=district
        )
        community = actions.create_area(
            actor=None, level="community", code="C01", name="基准社区", boundary=box, parent=street
        )
        actions.create_area(actor=None, level="grid", code="G1", name="基准网格", boundary=box, parent=community)
    community = Area.objects.get(level="community", code="C01")
    organiser = User.objects.filter(username="bench-organiser").first()
    if organiser is None:
        organiser = accounts.create_user(actor=None, username="bench-organiser", password=None, display_name="组织者")
        accounts.grant_role(actor=SYSTEM, user=organiser, role=Role.COMMUNITY_ADMIN, area=community)
    return community, Area.objects.get(level="grid", code="G1"), organiser


def volunteers(grid, target: int) -> str:
    """Insert accounts and volunteer registrations up to `target`; "" when none were needed."""
    from nuanxin.accounts.models import User
    from nuanxin.volunteers.models import ParticipantGroup, Volunteer
    from nuanxin.volunteers.signups.actions import phone_index

    have = Volunteer.objects.filter(user__username__startswith="bench-vol-").count()
    if have >= target:
        return ""
    started = time.perf_counter()
    groups = [ParticipantGroup.RIDER, ParticipantGroup.COURIER, ParticipantGroup.RESIDENT, ParticipantGroup.MERCHANT]
    surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    with transaction.atomic():
        users = []
        for n in range(have + 1, target + 1):
            user = User(username=USERNAME.format(n), display_name=f"志愿者{n}")
            user.set_unusable_password()
            users.append(user)
        users = User.objects.bulk_create(users)
        rows = []
        for user in users:
            n = int(user.username.rsplit("-", 1)[1])
            phone = f"139{n:08d}"
            rows.append(
                Volunteer(
                    user=user,
                    name=surnames[n % 10] + given[n % 20] + given[(n // 20) % 20],
                    phone=phone,
                    phone_index=phone_index(phone),
                    group=groups[n % len(groups)],
                    home_grid=grid,
                )
            )
        Volunteer.objects.bulk_create(rows)
    return f"{time.perf_counter() - started:.1f} s"


def credentials(target: int, mode: str) -> list[tuple[int, dict[str, str]]]:
    """Fresh credentials for each benchmark volunteer: [(volunteer id, request headers)].

    "session" (default): a database session as a login makes it (with the console's
    `login_at`, so the first request does not write the session) and a CSRF cookie with the
    matching X-CSRFToken header, as the phone page's script sends. "bearer": an API token
    (only digests are stored, so the previous run's cannot be reused)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.crypto import get_random_string

    from nuanxin.accounts.models import ApiToken, User
    from nuanxin.volunteers.models import Volunteer

    rows = list(
        Volunteer.objects.filter(user__username__startswith="bench-vol-").order_by("id").values_list("id", "user_id")
    )[:target]
    users = User.objects.in_bulk([uid for _vid, uid in rows])
    out: list[tuple[int, dict[str, str]]] = []
    if mode == "bearer":
        expires = timezone.now() + timedelta(days=1)
        issued = [(vid, uid, secrets.token_urlsafe(32)) for vid, uid in rows]
        with transaction.atomic():
            ApiToken.objects.filter(user_id__in=users).delete()
            ApiToken.objects.bulk_create(
                [ApiToken(user_id=uid, digest=ApiToken.digest_of(tok), expires_at=expires) for _vid, uid, tok in issued]
            )
        return [(vid, {"Authorization": f"Bearer {tok}"}) for vid, _uid, tok in issued]
    for vid, uid in rows:
        session = SessionStore()
        session[SESSION_KEY] = str(uid)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = users[uid].get_session_auth_hash()
        session["login_at"] = int(time.time())
        session.create()
        csrf = get_random_string(32)
        out.append((vid, {"Cookie": f"sessionid={session.session_key}; csrftoken={csrf}", "X-CSRFToken": csrf}))
    return out


def new_activity(community, organiser, label: str):
    """A clean-up starting in 30 minutes (so its code is valid now), through the actions."""
    from nuanxin.volunteers.activities import actions
    from nuanxin.volunteers.signups import actions as signups
    from nuanxin.volunteers.signups import checkins

    begin = timezone.localtime() + timedelta(minutes=30)
    end = begin + timedelta(hours=2)
    activity = actions.create_activity(
        actor=organiser,
        kind="cleanup",
        title=f"基准签到 {label}",
        area=community,
        starts_on=begin.date(),
        ends_on=end.date(),
        location="社区广场",
    )
    signups.publish_activity(
        actor=organiser, activity=activity, start_time=begin.time(), end_time=end.time(), capacity=None
    )
    activity.refresh_from_db()
    return activity, checkins.checkin_token(activity)


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(port: int, log) -> subprocess.Popen:
    env = dict(os.environ, ALLOWED_HOSTS=f"{HOST},localhost", DEBUG="0")
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "nuanxin.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(WORKERS),
        "--threads",
        str(WORKER_THREADS),
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)  # noqa: S603 (a fixed command)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited at start; see its log")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            conn.getresponse().read()
            conn.close()
            return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- the burst ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    first_latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    checked_in: dict[int, int] = field(default_factory=dict)  # volunteer id -> 200s
    errors: list[str] = field(default_factory=list)
    not_sent: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def plan(people: list[tuple[int, dict[str, str]]], rng: random.Random) -> list[tuple[int, dict[str, str]]]:
    """Each volunteer 1 + DUPLICATES times: the first two side by side (a double tap racing
    itself), the others at random later points in the burst."""
    order = people[:]
    rng.shuffle(order)
    keyed = []
    for i, person in enumerate(order):
        at = i / len(order)
        keyed += [(at, 0, person), (at, 1, person)]
        keyed += [(rng.uniform(at, 1.0), 2, person) for _ in range(DUPLICATES - 1)]
    keyed.sort(key=lambda row: (row[0], row[1]))
    return [person for _at, _k, person in keyed]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children (gunicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1] is the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def fire(
    server: subprocess.Popen, port: int, code: str, jobs: list[tuple[int, dict[str, str]]], *, pace: float
) -> Outcome:
    """Send the jobs from THREADS threads; with `pace` > 0, job i is not sent before
    i × pace / len(jobs) seconds after the start (open arrivals), else as fast as answered."""
    outcome = Outcome()
    work: queue.Queue = queue.Queue()
    for i, job in enumerate(jobs):
        work.put((i * pace / len(jobs), job))
    body = json.dumps({"token": code, "step": "in"})
    server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
    started = time.perf_counter()
    deadline = started + RUN_TIMEOUT

    def worker() -> None:
        while True:
            try:
                due, (volunteer_id, credential) = work.get_nowait()
            except queue.Empty:
                return
            wait = started + due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            if time.perf_counter() > deadline:
                with outcome.lock:
                    outcome.not_sent += 1
                continue
            sent = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
                conn.request(
                    "POST",
                    "/api/v1/volunteers/checkin",
                    body=body,
                    headers={"Content-Type": "application/json", **credential},
                )
                response = conn.getresponse()
                payload = response.read()
                conn.close()
                status = response.status
                if status == 400 and json.loads(payload).get("code") == "duplicate":
                    label = "400 duplicate"
                else:
                    label = str(status)
                problem = "" if status in (200,) or label == "400 duplicate" else payload[:200].decode(errors="replace")
            except (OSError, http.client.HTTPException, ValueError) as exc:
                label, problem = "no answer", repr(exc)
            elapsed = (time.perf_counter() - sent) * 1000
            with outcome.lock:
                outcome.latencies.append(elapsed)
                outcome.statuses[label] = outcome.statuses.get(label, 0) + 1
                if label == "200":
                    outcome.first_latencies.append(elapsed)
                    outcome.checked_in[volunteer_id] = outcome.checked_in.get(volunteer_id, 0) + 1
                if problem and len(outcome.errors) < 5:
                    outcome.errors.append(f"{label}: {problem}")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RUN_TIMEOUT + REQUEST_TIMEOUT + 10)
    outcome.seconds = time.perf_counter() - started
    outcome.server_cpu = cpu_seconds(server.pid) - server_cpu
    outcome.client_cpu = time.process_time() - client_cpu
    return outcome


def check(activity, people: list[tuple[int, dict[str, str]]], outcome: Outcome) -> dict:
    """What the database holds after the burst, and whether it is exactly right."""
    from nuanxin.volunteers.models import Attendance, Participant

    attendances = Attendance.objects.filter(activity=activity)
    participants = Participant.objects.filter(activity=activity)
    result = {
        "attendances": attendances.count(),
        "distinct": attendances.values("volunteer").distinct().count(),
        "participants": participants.count(),
        "ok": outcome.statuses.get("200", 0),
        "duplicates": outcome.statuses.get("400 duplicate", 0),
    }
    n = len(people)
    result["exact"] = (
        result["attendances"] == n
        and result["distinct"] == n
        and result["participants"] == n
        and result["ok"] == n
        and result["duplicates"] == n * DUPLICATES
        and all(count == 1 for count in outcome.checked_in.values())
        and len(outcome.checked_in) == n
    )
    return result


def percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p99 of `values` (0 when empty)."""
    if not values:
        return 0.0, 0.0
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def row(label: str, outcome: Outcome, held: dict) -> str:
    sent = len(outcome.latencies)
    p50, p99 = percentiles(outcome.latencies)
    first50, first99 = percentiles(outcome.first_latencies)
    others = {k: v for k, v in outcome.statuses.items() if k not in ("200", "400 duplicate")}
    errors = sum(others.values()) + outcome.not_sent
    return (
        f"| {label} | {sent:,} | {outcome.seconds:.1f} | {sent / outcome.seconds:.0f} | {p50:.0f} | {p99:.0f} "
        f"| {max(outcome.latencies, default=0):.0f} | {first50:.0f} / {first99:.0f} | {held['ok']} "
        f"| {held['duplicates']:,} | {errors} | {held['attendances']} / {held['participants']} "
        f"| {'yes' if held['exact'] else '**NO**'} | {outcome.server_cpu / outcome.seconds:.2f} "
        f"| {outcome.client_cpu / outcome.seconds:.2f} |"
    )


def in_process(community, organiser, people: list[tuple[int, dict[str, str]]]) -> list[dict]:
    """One request at a time through the Django test client, on a fresh activity: a first
    check-in (each run a new volunteer) and a duplicate (the same volunteer again), with
    their query counts: the cost of one request when nothing waits for a lock."""
    from django.test import Client

    activity, code = new_activity(community, organiser, "in-process")
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the duplicates' 400s are expected
    client = Client()
    body = json.dumps({"token": code, "step": "in"})
    queue_of_people = iter(people)

    def post(headers: dict[str, str], expected: int) -> None:
        response = client.post(
            "/api/v1/volunteers/checkin",
            body,
            content_type="application/json",
            HTTP_COOKIE=headers["Cookie"],
            HTTP_X_CSRFTOKEN=headers["X-CSRFToken"],
        )
        assert response.status_code == expected, (response.status_code, response.content[:200])

    def first() -> None:
        post(next(queue_of_people)[1], 200)

    rows = [measure("in-process, one thread: a first check-in", first, max_runs=len(people) - 2)]
    rows.append(measure("in-process, one thread: a duplicate check-in", lambda: post(people[0][1], 400)))

    # The action alone is one transaction: on SQLite, how long a check-in holds the write lock.
    from nuanxin.volunteers.models import Volunteer
    from nuanxin.volunteers.signups import checkins

    activity, _code = new_activity(community, organiser, "action")
    registered = iter(Volunteer.objects.filter(pk__in=[vid for vid, _h in people]).select_related("user"))

    def action() -> None:
        volunteer = next(registered)
        checkins.check_in(actor=volunteer.user, activity=activity, method="qr")

    rows.append(measure("the check_in action alone (one transaction)", action, max_runs=len(people) - 2))
    return rows


def dry_report(title: str, data: str, rows: list, notes: tuple[str, ...] = (), how: str = "") -> None:
    """BENCH_DRY=1: print the section without appending it to docs/performance.md."""
    print(title, data, how, *notes, *rows, sep="\n")


def main() -> None:
    from nuanxin.core.audit import verify_chain
    from nuanxin.core.models import AuditEntry

    call_command("migrate", verbosity=0)
    community, grid, organiser = territory()
    filled = volunteers(grid, VOLUNTEERS)
    people = credentials(VOLUNTEERS, AUTH)
    rng = random.Random(5)
    runs = [("flat out", 0.0), (f"paced over {PACE_SECONDS:g} s", PACE_SECONDS)]
    lines, failures = [], []
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-volunteers-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    port = free_port()
    server = start_server(port, log)
    try:
        # Warm every worker (imports, URL resolver, first connection) with reads of the API.
        warm_headers = people[0][1]
        for _ in range(WORKERS * WORKER_THREADS * 2):
            conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
            conn.request("GET", "/api/v1/volunteers/me", headers=warm_headers)
            conn.getresponse().read()
            conn.close()
        for label, pace in runs:
            activity, code = new_activity(community, organiser, label)
            audit_before = AuditEntry.objects.count()
            print(f"  {label}: {len(people) * (1 + DUPLICATES):,} check-ins to {activity.number}…", flush=True)
            outcome = fire(server, port, code, plan(people, rng), pace=pace)
            connection.close()  # see the server's commits (and let PostgreSQL drop the idle session)
            held = check(activity, people, outcome)
            held["audit"] = AuditEntry.objects.count() - audit_before
            lines.append(row(label, outcome, held))
            print("  " + lines[-1], flush=True)
            if not held["exact"]:
                failures.append(f"{label}: {held} {outcome.statuses} {outcome.errors}")
            elif outcome.errors:
                failures.append(f"{label}: {outcome.errors}")
    finally:
        stop_server(server)
    timed = in_process(community, organiser, people) if AUTH == "session" else []
    problems = verify_chain()
    log.seek(0)
    server_log = log.read().strip()
    log.close()
    os.unlink(log.name)
    vendor = connection.vendor
    publish = report if not os.environ.get("BENCH_DRY") else dry_report
    publish(
        "Volunteers: a burst of QR check-ins to one activity",
        f"{VOLUNTEERS:,} registered volunteers, each "
        + ("signed in (a session and a CSRF token)" if AUTH == "session" else "with an API bearer token")
        + "; one new published activity per run."
        + (f" Volunteers inserted in {filled}." if filled else ""),
        timed,
        notes=(
            f"Real server: gunicorn on loopback ({WORKERS} workers × {WORKER_THREADS} threads, DEBUG off), "
            f"{vendor}; client: {THREADS} stdlib http.client threads in the benchmark process on the same "
            "machine, one connection per request (each phone its own). "
            f"Each run sends POST /api/v1/volunteers/checkin for every volunteer once plus {DUPLICATES} duplicates "
            "(one racing the first, two later): the first must be 200, the others 400 `duplicate`. "
            "Latency is per request, send to last byte. Audit chain after the runs: "
            + ("intact." if not problems else f"**{len(problems)} problems**."),
            "",
            "| run | requests | seconds | requests/s | p50 ms | p99 ms | max ms | p50 / p99 ms of the 200s | 200 "
            "| 400 duplicate | errors | attendances / participants | exact | server CPU (cores) | client CPU (cores) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
            *lines,
        ),
        how="Two runs against one server started for the benchmark; below them, the same request in-process"
        " (Django test client, one thread, no server) for the cost of one check-in when nothing waits.",
    )
    if failures or problems:
        print("FAILED:", *failures, *(p.reason for p in problems[:5]), sep="\n  ")
        if server_log:
            print("gunicorn log (tail):", server_log[-3000:], sep="\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
