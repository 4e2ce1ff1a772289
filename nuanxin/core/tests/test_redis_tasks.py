"""Real task workers on Redis: `manage.py rqworker` processes run project tasks queued through
the django-tasks RQ backend, against the same PostgreSQL test database as the test.

Needs REDIS_URL (its host, port and password; the test uses its own Redis database number, which
it empties first) and DATABASE_URL on PostgreSQL: the workers are separate processes, so they
cannot see SQLite's in-memory test database, and they see only committed rows (hence
transaction=True). CI runs this file in its own step (.ci/run).
"""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus

from nuanxin.core.models import Delivery, IdempotencyRecord, PeriodicClaim
from nuanxin.core.notifications import notify
from nuanxin.core.periodic import configured_jobs, queue_due
from nuanxin.core.tasks import purge_idempotency_records
from nuanxin.core.tests.test_notifications import SECRET, Receiver

REDIS_URL = os.environ.get("REDIS_URL", "")
WAIT_SECONDS = 30

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the workers are other processes: they need a PostgreSQL test database (set DATABASE_URL)",
    ),
    pytest.mark.skipif(not REDIS_URL, reason="set REDIS_URL to a reachable Redis to run the real task workers"),
]


def _redis_config() -> dict[str, Any]:
    """REDIS_URL's server, with a Redis database of this test's own: 13, or one per xdist worker."""
    parts = urlsplit(REDIS_URL)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    db = 13 + min(int(worker.removeprefix("gw") or 0), 2)
    return {
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": parts.port or 6379,
        "DB": db,
        "PASSWORD": parts.password,
        "DEFAULT_TIMEOUT": 60,
    }


def _wait_for(condition: Callable[[], Any], what: str, logs: Path) -> Any:
    """Poll every 0.2 s for at most WAIT_SECONDS; fail with the workers' logs."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"gave up after {WAIT_SECONDS} s waiting for {what}; worker logs:\n{logs.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def workers(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """Two `manage.py rqworker default` processes on this test's Redis database and test database."""
    import redis

    config = _redis_config()
    client = redis.Redis(host=config["HOST"], port=config["PORT"], db=config["DB"], password=config["PASSWORD"])
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis at {config['HOST']}:{config['PORT']} is not reachable: {exc}")
    client.flushdb()  # jobs or worker records left by an interrupted run
    with django_db_blocker.unblock():
        db = connection.settings_dict
    receiver = Receiver()
    auth = f":{quote(config['PASSWORD'], safe='')}@" if config["PASSWORD"] else ""
    keep = {k: v for k, v in os.environ.items() if k not in ("TASKS_BACKEND", "DATABASE_URL", "REDIS_URL")}
    env = {
        **keep,
        "DJANGO_SETTINGS_MODULE": "nuanxin.settings",
        "DATABASE_URL": "postgres://{}:{}@{}:{}/{}".format(
            quote(db["USER"] or "", safe=""),
            quote(db["PASSWORD"] or "", safe=""),
            db["HOST"] or "127.0.0.1",
            db["PORT"] or 5432,
            db["NAME"],
        ),
        "REDIS_URL": f"redis://{auth}{config['HOST']}:{config['PORT']}/{config['DB']}",
        "NUANXIN_NOTIFY_CHANNELS": "webhook",
        "NUANXIN_WEBHOOK_URL": receiver.url,
        "NUANXIN_WEBHOOK_SECRET": SECRET,
    }
    logs = tmp_path_factory.mktemp("rqworkers") / "workers.log"
    log = logs.open("w")
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "default", "--name", f"nuanxin-test-{os.getpid()}-{n}"],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for n in range(2)
    ]
    try:
        # Both registered with Redis: they are listening.
        _wait_for(lambda: len(client.smembers("rq:workers")) == 2, "two workers to start", logs)
        yield {"config": config, "receiver": receiver, "logs": logs, "processes": processes}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        log.close()
        receiver.close()
        client.flushdb()
        client.close()


@pytest.fixture
def rq_settings(settings: Any, workers: dict[str, Any]) -> dict[str, Any]:
    """This process queues to the workers' Redis database through the project's RQ backend."""
    settings.RQ_QUEUES = {"default": workers["config"]}
    settings.RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.NUANXIN_NOTIFY_CHANNELS = "webhook"
    settings.NUANXIN_WEBHOOK_URL = workers["receiver"].url
    settings.NUANXIN_WEBHOOK_SECRET = SECRET
    return workers


def _finished(result: Any) -> Any:
    result.refresh()
    return result.is_finished and result


def _record(age: timedelta, key: str) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(owner="user:1", key=key, request_hash="x", created_at=timezone.now() - age)


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_purge_against_the_shared_database(rq_settings):
    stale = [_record(timedelta(days=2), f"stale-{n}") for n in range(3)]
    fresh = _record(timedelta(minutes=5), "fresh")
    result = purge_idempotency_records.enqueue()
    assert result.status == TaskResultStatus.READY  # queued, not run here
    done = _wait_for(lambda: _finished(result), "the purge task to finish", rq_settings["logs"])
    assert done.status == TaskResultStatus.SUCCESSFUL, done.errors
    assert done.return_value == 3
    assert done.worker_ids and done.worker_ids[0].startswith(f"nuanxin-test-{os.getpid()}-")
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not IdempotencyRecord.objects.filter(pk__in=[r.pk for r in stale]).exists()


@pytest.mark.django_db(transaction=True)
def test_workers_deliver_notifications_queued_on_commit_each_once(rq_settings):
    receiver = rq_settings["receiver"]
    receiver.requests.clear()
    users = [get_user_model().objects.create(username=f"redis-recipient-{n}") for n in range(4)]
    notes = []
    for user in users:  # one transaction, so one task, per notification
        with transaction.atomic():
            notes += notify(recipients=[user], kind="test.redis", title="Case 20240101-0001", body="Grid 1.")
    deliveries = Delivery.objects.filter(notification__in=notes)
    assert deliveries.count() == 4

    def all_sent() -> bool:
        return all(d.status == Delivery.Status.SENT for d in deliveries.all())

    _wait_for(all_sent, "the four webhook deliveries", rq_settings["logs"])
    assert sorted(json.loads(r["body"])["id"] for r in receiver.requests) == sorted(n.pk for n in notes)
    for request in receiver.requests:
        expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["X-Nuanxin-Signature"] == expected
    assert set(deliveries.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_queue_a_periodic_job_once_and_a_worker_runs_it(rq_settings, settings):
    settings.NUANXIN_PERIODIC_JOBS = [("nuanxin.core.tasks.purge_idempotency_records", 3600)]
    _record(timedelta(days=2), "stale")
    import django_rq

    queue = django_rq.get_queue("default")
    finished_before = queue.finished_job_registry.get_job_ids()
    now = time.time()
    assert queue_due(configured_jobs(), now=now) == ["nuanxin.core.tasks.purge_idempotency_records"]
    assert queue_due(configured_jobs(), now=now + 1) == []
    _wait_for(lambda: not IdempotencyRecord.objects.exists(), "the periodic purge to run", rq_settings["logs"])

    def ran() -> list[str]:
        return [j for j in queue.finished_job_registry.get_job_ids() if j not in finished_before]

    assert len(_wait_for(ran, "the job to be recorded finished", rq_settings["logs"])) == 1
    assert len(queue) == 0  # nothing else waiting
    assert PeriodicClaim.objects.count() == 1
