from typing import Any

from django.core.management.base import BaseCommand

from nuanxin.core.periodic import configured_jobs, queue_due, run_forever


class Command(BaseCommand):
    help = (
        "Queue the periodic jobs (NUANXIN_PERIODIC_JOBS), each once per period across every scheduler "
        "(one may run on each app server); --once does one round and exits."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="queue each job whose current period no scheduler has claimed yet, print them, and exit",
        )

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        jobs = configured_jobs()
        if once:
            for path in queue_due(jobs):
                self.stdout.write(path)
            return
        self.stdout.write(f"Queueing {len(jobs)} periodic jobs; stop with Ctrl-C.")
        run_forever(jobs)
