"""Retry failed notification deliveries once (from cron or a systemd timer, e.g. every 5 minutes)."""

from typing import Any

from django.core.management.base import BaseCommand

from nuanxin.core.tasks import retry_notifications


class Command(BaseCommand):
    help = "Send again the e-mails and webhooks of notifications whose delivery failed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--enqueue", action="store_true", help="queue it for the task workers instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = retry_notifications.enqueue()
            self.stdout.write(f"queued: {result.id}")
            return
        self.stdout.write(f"sent {retry_notifications.call()} notification(s)")
