"""Background work for cases: thin wrappers that call the actions."""

from django_tasks import task

from nuanxin.cases.actions import escalate_overdue_cases


@task()
def escalate_overdue() -> int:
    """Supervise and escalate the cases whose stage time limit has passed."""
    return escalate_overdue_cases()
