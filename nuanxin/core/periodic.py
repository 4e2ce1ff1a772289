"""Periodic jobs: tasks queued again and again at a fixed interval, once per period.

`NUANXIN_PERIODIC_JOBS` lists (task path, seconds). `manage.py run_periodic` queues each task
once per period, and the task workers run it. Periods are counted on the local wall clock
(settings.TIME_ZONE), period = floor((unix time + UTC offset) / interval), so every scheduler on
every machine agrees which period it is (given NTP), and a daily job's day starts at local
midnight (00:00 Beijing time, not 08:00). `manage.py run_periodic` may run on every app server: before queueing, a
scheduler inserts a `PeriodicClaim` row for (job, period), whose unique constraint lets exactly
one insert win, and only the winner queues. The claim and the queueing share one transaction,
so a queue that is down rolls the claim back and the job is tried again (by any scheduler)
instead of being lost for that period.
"""

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils.module_loading import import_string

from nuanxin.core.models import PeriodicClaim

logger = logging.getLogger(__name__)

# Claims are kept this many periods back, and at least a day, so that a scheduler whose clock
# lags behind never finds an old period unclaimed and queues it again.
KEEP_PERIODS = 10
KEEP_AT_LEAST = timedelta(days=1)


@dataclass
class Job:
    path: str
    every: float
    # The last period this scheduler has settled (queued it, or seen another claim it); it
    # spares the database an insert on every tick.
    settled_period: int | None = None

    def period(self, now: float) -> int:
        offset = datetime.fromtimestamp(now, ZoneInfo(settings.TIME_ZONE)).utcoffset() or timedelta()
        return int((now + offset.total_seconds()) // self.every)


def configured_jobs() -> list[Job]:
    """The jobs from settings; an unknown task path or a bad interval fails here, at start."""
    jobs = [Job(path, float(every)) for path, every in settings.NUANXIN_PERIODIC_JOBS]
    for job in jobs:
        if job.every <= 0:
            raise ValueError(f"periodic job {job.path}: the interval must be positive, not {job.every}")
        import_string(job.path)
    return jobs


def _scheduler_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def claim_and_queue(job: Job, period: int, *, now: float) -> bool:
    """Claim (job, period) and queue the job if this scheduler won the claim; return whether it
    did. Raises if queueing failed (the claim is then rolled back)."""
    claimed_at = datetime.fromtimestamp(now, tz=UTC)
    try:
        with transaction.atomic():
            PeriodicClaim.objects.create(
                job=job.path, period=period, claimed_at=claimed_at, claimed_by=_scheduler_name()
            )
            import_string(job.path).enqueue()
    except IntegrityError:
        return False  # another scheduler has this period
    PeriodicClaim.objects.filter(
        job=job.path, period__lt=period - KEEP_PERIODS, claimed_at__lt=claimed_at - KEEP_AT_LEAST
    ).delete()
    return True


def queue_due(jobs: list[Job], *, now: float | None = None) -> list[str]:
    """Queue every job whose current period nobody has claimed yet; return the paths this
    scheduler queued. A job that cannot be queued is logged and tried again next tick."""
    now = time.time() if now is None else now
    queued = []
    for job in jobs:
        period = job.period(now)
        if job.settled_period == period:
            continue
        try:
            won = claim_and_queue(job, period, now=now)
        except Exception:  # the database or the queue is down: keep scheduling the others
            logger.exception("could not queue periodic job %s for period %s", job.path, period)
            continue
        job.settled_period = period
        if won:
            queued.append(job.path)
    return queued


def run_forever(jobs: list[Job], *, tick: float = 5.0, sleep: Callable[[float], None] = time.sleep) -> None:
    while True:
        # Outside a request nothing else drops a connection that broke (a database restart)
        # or outlived DB_CONN_MAX_AGE; without this every later tick would fail on it.
        close_old_connections()
        queue_due(jobs)
        sleep(tick)
