"""Background work of core: thin wrappers that call core's functions. The notifications' own
delivery task is in core.notifications, which queues it."""

from django_tasks import task

from nuanxin.core import audit, idempotency, notifications


@task()
def purge_idempotency_records() -> int:
    """Delete Idempotency-Key records past their replay window."""
    return idempotency.purge_expired()


@task()
def checkpoint_audit_chain() -> int:
    """Pin the audit chain's head in the checkpoint file and log; returns the count."""
    return audit.write_checkpoint(kind="periodic").count


@task()
def retry_notifications() -> int:
    """Try failed (or lost) deliveries again, a bounded number of times."""
    return notifications.retry_deliveries()
