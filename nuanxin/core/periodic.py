"""Periodic jobs: tasks queued again and again at a fixed interval.

`NUANXIN_PERIODIC_JOBS` lists (task path, seconds). `manage.py run_periodic` (started by
`make run` beside the task worker) queues each task when its interval has passed; the worker
runs it. One scheduler process per deployment: it keeps its clock in memory, so a second
scheduler would queue every job twice (the jobs themselves are safe to run twice: escalation
moves deadlines on, purging deletes what is already gone).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class Job:
    path: str
    every: float
    next_at: float = 0.0


def configured_jobs() -> list[Job]:
    """The jobs from settings, each due at once; an unknown task path fails here, at start."""
    jobs = [Job(path, float(every)) for path, every in settings.NUANXIN_PERIODIC_JOBS]
    for job in jobs:
        import_string(job.path)
    return jobs


def queue_due(jobs: list[Job], *, now: float | None = None) -> list[str]:
    """Queue every job whose time has come; return their paths."""
    now = time.monotonic() if now is None else now
    queued = []
    for job in jobs:
        if now >= job.next_at:
            import_string(job.path).enqueue()
            job.next_at = now + job.every
            queued.append(job.path)
    return queued


def run_forever(jobs: list[Job], *, tick: float = 5.0, sleep: Callable[[float], None] = time.sleep) -> None:
    while True:
        queue_due(jobs)
        sleep(tick)
