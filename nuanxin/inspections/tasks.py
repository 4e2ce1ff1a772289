"""Background work for inspections: thin wrappers that call the actions."""

from django_tasks import task

from nuanxin.inspections import actions


@task()
def generate_due_visits() -> int:
    """Plan the due visits of every active target for the current period (daily)."""
    return actions.generate_due_visits()
