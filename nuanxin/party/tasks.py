"""Background work for party building: thin wrappers that call the actions."""

from django_tasks import task

from nuanxin.party import meetings


@task()
def remind_and_escalate() -> dict[str, int]:
    """Remind the owners of overdue resolutions, and escalate those long overdue (hourly)."""
    return meetings.remind_and_escalate()
