"""Periodic jobs: queued when their interval has passed, run by the task worker."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from nuanxin.core.models import IdempotencyRecord
from nuanxin.core.periodic import configured_jobs, queue_due

PURGE = "nuanxin.core.tasks.purge_idempotency_records"


def _record(age: timedelta) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        owner="user:1", key=str(age), request_hash="x", created_at=timezone.now() - age
    )


@pytest.mark.django_db
def test_a_job_runs_at_once_then_again_only_after_its_interval(settings):
    settings.NUANXIN_PERIODIC_JOBS = [(PURGE, 60)]
    jobs = configured_jobs()
    stale, fresh = _record(timedelta(days=2)), _record(timedelta(minutes=5))
    assert queue_due(jobs, now=1000.0) == [PURGE]
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not IdempotencyRecord.objects.filter(pk=stale.pk).exists()
    assert queue_due(jobs, now=1030.0) == []
    assert queue_due(jobs, now=1060.0) == [PURGE]


def test_an_unknown_job_fails_when_the_scheduler_starts(settings):
    settings.NUANXIN_PERIODIC_JOBS = [("nuanxin.core.tasks.no_such_task", 60)]
    with pytest.raises(ImportError):
        configured_jobs()


@pytest.mark.django_db
def test_run_periodic_once_queues_every_configured_job(settings):
    out = StringIO()
    call_command("run_periodic", "--once", stdout=out)
    assert out.getvalue().split() == [path for path, _every in settings.NUANXIN_PERIODIC_JOBS]
    assert "nuanxin.cases.tasks.escalate_overdue" in out.getvalue().split()
