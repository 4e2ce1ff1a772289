"""Background work of core: thin wrappers that call core's functions."""

from django_tasks import task

from nuanxin.core import audit, idempotency, notifications


@task()
def purge_idempotency_records() -> int:
    """Delete Idempotency-Key records past their replay window."""
    return idempotency.purge_expired()


@task()
def deliver_notifications(delivery_ids: list[int]) -> int:
    """Send the external deliveries (e-mail, webhook) of notifications just committed."""
    return notifications.deliver(delivery_ids)


@task()
def checkpoint_audit_chain() -> int:
    """Pin the audit chain's head in the checkpoint file and log; returns the count."""
    return audit.write_checkpoint(kind="periodic").count


@task()
def retry_notifications() -> int:
    """Try failed (or lost) deliveries again, a bounded number of times."""
    return notifications.retry_deliveries()
