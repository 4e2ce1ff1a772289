"""A burst of case reports with Idempotency-Keys while the app workers are killed (issue 14 §2).

Runs a real gunicorn (two workers) against the test database, sends reports from several
client threads, SIGKILLs the workers (not the master, which starts new ones) several times
during the burst, and lets the clients retry each key until it is answered. Then: every key
has exactly one case, no case is duplicated, every key replays its answer, and the audit chain
is intact. PostgreSQL only: the server process must see the test's committed rows.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case
from nuanxin.core import audit
from nuanxin.core.models import IdempotencyRecord
from nuanxin.testing import PASSWORD

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite test databases are in memory; a separate server process needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

REPORTS = 120
CLIENTS = 4
KILL_AFTER = (10, 45, 80)  # kill every worker when this many reports are acknowledged
PERSONAS = ("rider", "resident")
DESCRIPTION = "崩溃测试第{}号"
HOST = "127.0.0.1"
DEADLINE = 100.0  # a cap for the burst, reached only when keys are wedged; it takes far less


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def _wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Ask `condition` every 20 ms until it holds or `timeout` passes (never a fixed sleep)."""
    done = threading.Event()
    timer = threading.Timer(timeout, done.set)
    timer.start()
    try:
        while not done.is_set():
            if condition():
                return True
            done.wait(0.02)
        return condition()
    finally:
        timer.cancel()


def _workers(master: int) -> set[int]:
    """The master's children, read from /proc."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                children.add(int(entry.name))
    return children


class Server:
    """gunicorn with gunicorn.conf.py's sync workers as `make run` starts it (2 of them here), on a
    free port, in its own session.

    `--preload` loads the app once in the master, so a killed worker's replacement is forked
    ready in a fraction of a second and the test stays short; a request meets the same code."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        env = os.environ | {
            "DATABASE_URL": _database_url(),
            "RATE_LIMIT_REPORT": "100000/3600",  # the burst is a test, not abuse
            "NUANXIN_AUDIT_CHECKPOINT_FILE": str(log.with_suffix(".checkpoints")),
            "LOG_LEVEL": "CRITICAL",
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        config = str(settings.BASE_DIR / "gunicorn.conf.py")
        command = [str(gunicorn), "-c", config, "nuanxin.wsgi", "--bind", f"{HOST}:{self.port}", "--workers", "2"]
        command += ["--timeout", "300", "--graceful-timeout", "2", "--preload"]
        self.log = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            command, cwd=settings.BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=15)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def answers(self) -> bool:
        try:
            self.request("GET", "/api/v1/categories")
        except (OSError, http.client.HTTPException):
            return False
        return True

    def workers(self) -> set[int]:
        return _workers(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.log.close()


def _token(username: str) -> str:
    answer = Client().post(
        "/api/v1/auth/token", {"username": username, "password": PASSWORD}, content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


def test_killed_workers_lose_no_acknowledged_report_and_duplicate_none(world, tmp_path):
    install_catalogue(actor=None)
    tokens = {name: _token(world.users[name].username) for name in PERSONAS}
    jobs = [
        (f"crash-{n:04d}-{os.urandom(4).hex()}", PERSONAS[n % len(PERSONAS)], DESCRIPTION.format(n))
        for n in range(REPORTS)
    ]
    acknowledged: dict[str, dict[str, Any]] = {}
    refused: dict[str, tuple[int, bytes]] = {}
    retried: dict[str, int] = {}  # the last status that made a client retry, per key
    interrupted: list[str] = []  # keys whose request was cut off by a kill
    lock = threading.Lock()
    stop = threading.Event()
    deadline = threading.Timer(DEADLINE, stop.set)
    server = Server(tmp_path / "gunicorn.log")

    def send(key: str, persona: str, description: str) -> tuple[int, dict[str, str], bytes]:
        body = {"class_code": "sanitation", "description": description, "lng": 102.7011, "lat": 24.9811}
        headers = {"Authorization": f"Bearer {tokens[persona]}", "Idempotency-Key": key}
        return server.request("POST", "/api/v1/cases", body, headers)

    def client(share: list[tuple[str, str, str]]) -> None:
        for key, persona, description in share:
            while not stop.is_set():
                try:
                    status, _headers, content = send(key, persona, description)
                except (OSError, http.client.HTTPException):
                    with lock:
                        interrupted.append(key)
                    stop.wait(0.02)  # the worker died under us: retry
                    continue
                if 200 <= status < 300:
                    with lock:
                        acknowledged[key] = json.loads(content)
                    break
                if status in (409, 429) or status >= 500:
                    with lock:
                        retried[key] = status  # 409 again and again: a wedged key
                    stop.wait(0.02)
                    continue
                with lock:
                    refused[key] = (status, content)  # a final 4xx: the test fails below
                break

    kills: list[set[int]] = []

    def killer() -> None:
        for threshold in KILL_AFTER:
            if not _wait_until(lambda t=threshold: len(acknowledged) >= t or stop.is_set(), DEADLINE):
                return
            if stop.is_set():
                return
            # Two live workers first, so every kill meets requests in flight and is not a no-op.
            if not _wait_until(lambda: len(server.workers()) == 2 or stop.is_set(), DEADLINE):
                return
            victims = server.workers()
            for pid in victims:
                os.kill(pid, signal.SIGKILL)
            kills.append(victims)

    try:
        deadline.start()
        assert _wait_until(server.answers, 30), (tmp_path / "gunicorn.log").read_text()[-3000:]
        threads = [threading.Thread(target=client, args=(jobs[n::CLIENTS],)) for n in range(CLIENTS)]
        threads.append(threading.Thread(target=killer))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stuck = Counter(status for key, status in retried.items() if key not in acknowledged)
        assert not stop.is_set(), f"not done in {DEADLINE} s: {len(acknowledged)} answered, stuck: {dict(stuck)}"
        assert len(kills) == len(KILL_AFTER) and interrupted, "the kills met no request in flight"
        assert refused == {}
        # No key is left wedged: a last retry of each replays the answer the client was given.
        for key, persona, description in jobs:
            status, headers, content = send(key, persona, description)
            assert (status, headers.get("Idempotent-Replayed")) == (201, "true"), (key, status, content)
            assert json.loads(content) == acknowledged[key]
    finally:
        deadline.cancel()
        stop.set()
        server.stop()

    assert len(acknowledged) == REPORTS
    # Every acknowledged key has exactly one case, and no report made a second one.
    cases = Case.objects.filter(description__startswith="崩溃测试")
    per_description = Counter(cases.values_list("description", flat=True))
    assert per_description == Counter({description: 1 for _key, _persona, description in jobs})
    by_description = dict(cases.values_list("description", "pk"))
    assert all(acknowledged[key]["id"] == by_description[description] for key, _persona, description in jobs)
    assert IdempotencyRecord.objects.filter(completed=True).count() == REPORTS
    assert IdempotencyRecord.objects.filter(completed=False).count() == 0
    assert audit.verify_chain() == []
