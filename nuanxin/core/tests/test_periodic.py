"""Periodic jobs: queued once per period (floor(local unix time / interval)) across every scheduler."""

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from django_tasks.signals import task_enqueued

from nuanxin.core import periodic
from nuanxin.core.models import IdempotencyRecord, PeriodicClaim
from nuanxin.core.periodic import configured_jobs, queue_due

PURGE = "nuanxin.core.tasks.purge_idempotency_records"
RETRY = "nuanxin.core.tasks.retry_notifications"

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite test databases are in memory; real concurrency needs a server"
)


@pytest.fixture(autouse=True)
def _utc(settings):
    """The claims and races below count periods from the epoch in UTC; local time has its own test."""
    settings.TIME_ZONE = "UTC"


def _record(age: timedelta) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        owner="user:1", key=str(age), request_hash="x", created_at=timezone.now() - age
    )


class EnqueueCounter:
    """Counts what the task backend actually queued (its task_enqueued signal), by task path,
    from any thread: the schedulers' own answers are not taken on trust."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, sender: Any, task_result: Any, **kwargs: Any) -> None:
        with self.lock:
            self.counts[task_result.task.module_path] += 1

    def __enter__(self) -> "EnqueueCounter":
        task_enqueued.connect(self, weak=False)
        return self

    def __exit__(self, *exc: object) -> None:
        task_enqueued.disconnect(self)


@pytest.mark.django_db
def test_a_job_runs_once_in_its_period_then_again_in_the_next(settings):
    settings.NUANXIN_PERIODIC_JOBS = [(PURGE, 60)]
    jobs = configured_jobs()
    stale, fresh = _record(timedelta(days=2)), _record(timedelta(minutes=5))
    with EnqueueCounter() as enqueued:
        # 1020 s is the start of period 17 (1020..1079).
        assert queue_due(jobs, now=1020.0) == [PURGE]
        assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
        assert not IdempotencyRecord.objects.filter(pk=stale.pk).exists()
        assert queue_due(jobs, now=1079.9) == []
        assert queue_due(jobs, now=1080.0) == [PURGE]
    assert enqueued.counts == {PURGE: 2}
    assert sorted(PeriodicClaim.objects.values_list("job", "period")) == [(PURGE, 17), (PURGE, 18)]


@pytest.mark.django_db
def test_a_daily_job_starts_its_day_at_local_midnight(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    settings.NUANXIN_PERIODIC_JOBS = [(PURGE, 24 * 3600)]
    jobs = configured_jobs()

    def beijing(text: str) -> float:
        return datetime.fromisoformat(f"{text}+08:00").timestamp()

    with EnqueueCounter() as enqueued:
        assert queue_due(jobs, now=beijing("2026-03-01T23:59:59")) == [PURGE]
        assert queue_due(jobs, now=beijing("2026-03-02T00:00:00")) == [PURGE]  # a new day in Beijing
        assert queue_due(jobs, now=beijing("2026-03-02T08:00:00")) == []  # UTC's midnight: the same day
        assert queue_due(jobs, now=beijing("2026-03-02T23:59:59")) == []
    assert enqueued.counts == {PURGE: 2}


@pytest.mark.django_db
def test_a_second_scheduler_does_not_queue_a_period_the_first_claimed(settings):
    settings.NUANXIN_PERIODIC_JOBS = [(PURGE, 60), (RETRY, 300)]
    first, second = configured_jobs(), configured_jobs()
    with EnqueueCounter() as enqueued:
        assert queue_due(first, now=1200.0) == [PURGE, RETRY]
        # A scheduler started later on another server, same periods: nothing to do.
        assert queue_due(second, now=1210.0) == []
        # Next minute: whoever comes first queues the purge; the retry job's 5 minutes go on.
        assert queue_due(second, now=1260.0) == [PURGE]
        assert queue_due(first, now=1261.0) == []
    assert enqueued.counts == {PURGE: 2, RETRY: 1}


@pytest.mark.django_db
def test_a_queue_that_fails_leaves_the_period_unclaimed_for_the_next_try(settings, monkeypatch):
    settings.NUANXIN_PERIODIC_JOBS = [(PURGE, 60)]
    jobs = configured_jobs()
    real_import = periodic.import_string

    class DownQueue:
        def enqueue(self) -> None:
            raise ConnectionError("the queue is down")

    monkeypatch.setattr(periodic, "import_string", lambda path: DownQueue())
    assert queue_due(jobs, now=1020.0) == []
    assert not PeriodicClaim.objects.exists()
    monkeypatch.setattr(periodic, "import_string", real_import)
    with EnqueueCounter() as enqueued:
        assert queue_due(jobs, now=1025.0) == [PURGE]
    assert enqueued.counts == {PURGE: 1}
    assert list(PeriodicClaim.objects.values_list("period", flat=True)) == [17]


@pytest.mark.django_db
def test_old_claims_are_deleted_when_a_new_one_is_made(settings):
    settings.NUANXIN_PERIODIC_JOBS = [(PURGE, 60)]
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    now = 1_700_000_000.0
    period = int(now // 60)
    for p in (period - 500, period - periodic.KEEP_PERIODS - 1):
        PeriodicClaim.objects.create(job=PURGE, period=p, claimed_at=long_ago)
    # Recent enough to keep: within the last KEEP_PERIODS periods, or claimed within the day.
    PeriodicClaim.objects.create(job=PURGE, period=period - periodic.KEEP_PERIODS, claimed_at=long_ago)
    PeriodicClaim.objects.create(job=PURGE, period=period - 300, claimed_at=datetime.fromtimestamp(now - 3600, tz=UTC))
    PeriodicClaim.objects.create(job=RETRY, period=1, claimed_at=long_ago)  # another job's: not touched

    assert queue_due(configured_jobs(), now=now) == [PURGE]
    assert sorted(PeriodicClaim.objects.values_list("job", "period")) == [
        (PURGE, period - 300),
        (PURGE, period - periodic.KEEP_PERIODS),
        (PURGE, period),
        (RETRY, 1),
    ]


def test_an_unknown_job_fails_when_the_scheduler_starts(settings):
    settings.NUANXIN_PERIODIC_JOBS = [("nuanxin.core.tasks.no_such_task", 60)]
    with pytest.raises(ImportError):
        configured_jobs()


def test_a_job_without_a_positive_interval_fails_when_the_scheduler_starts(settings):
    settings.NUANXIN_PERIODIC_JOBS = [(PURGE, 0)]
    with pytest.raises(ValueError, match="interval"):
        configured_jobs()


@pytest.mark.django_db
def test_run_periodic_once_queues_every_configured_job_once_per_period(settings):
    out = StringIO()
    call_command("run_periodic", "--once", stdout=out)
    assert out.getvalue().split() == [path for path, _every in settings.NUANXIN_PERIODIC_JOBS]
    assert "nuanxin.cases.tasks.escalate_overdue" in out.getvalue().split()
    # A second scheduler in the same periods (the shortest is minutes long) queues nothing.
    again = StringIO()
    call_command("run_periodic", "--once", stdout=again)
    assert again.getvalue().split() == []


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_many_schedulers_racing_for_the_same_periods_queue_each_job_once(settings):
    settings.NUANXIN_PERIODIC_JOBS = [(PURGE, 60), (RETRY, 300)]
    schedulers = 8
    jobs = [configured_jobs() for _ in range(schedulers)]
    errors: list[BaseException] = []
    queued: list[str] = []
    lock = threading.Lock()

    def race(at: float) -> None:
        barrier = threading.Barrier(schedulers)

        def scheduler(n: int) -> None:
            try:
                barrier.wait(timeout=10)
                mine = queue_due(jobs[n], now=at + n * 0.01)
                with lock:
                    queued.extend(mine)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=scheduler, args=(n,)) for n in range(schedulers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads)

    with EnqueueCounter() as enqueued:
        race(1200.0)  # period 20 of the purge, period 4 of the retry job
        assert errors == []
        assert enqueued.counts == {PURGE: 1, RETRY: 1}
        assert sorted(queued) == [PURGE, RETRY]
        race(1260.0)  # the purge's next period; the retry job's is still running
        assert errors == []
        assert enqueued.counts == {PURGE: 2, RETRY: 1}
        assert sorted(queued) == [PURGE, PURGE, RETRY]
    assert sorted(PeriodicClaim.objects.values_list("job", "period")) == [(PURGE, 20), (PURGE, 21), (RETRY, 4)]
