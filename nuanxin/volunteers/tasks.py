"""Background work for volunteers: thin wrappers that call the actions."""

from django_tasks import task

from nuanxin.volunteers.signups import actions as signups


@task()
def send_reminders() -> int:
    """Remind confirmed volunteers of tomorrow's activities, once each (run hourly or daily)."""
    return signups.send_reminders()
