"""Run the time-limit job once (from cron or a systemd timer, e.g. every 5 minutes)."""

from typing import Any

from django.core.management.base import BaseCommand

from nuanxin.cases.tasks import escalate_overdue


class Command(BaseCommand):
    help = "Supervise and escalate cases whose stage time limit has passed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--enqueue", action="store_true", help="queue it for the task workers instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = escalate_overdue.enqueue()
            self.stdout.write(f"queued: {result.id}")
            return
        self.stdout.write(f"acted on {escalate_overdue.call()} case(s)")
