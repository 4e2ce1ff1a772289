from typing import Any

from django.core.management.base import BaseCommand

from nuanxin.insights.rollups import rebuild


class Command(BaseCommand):
    help = (
        "Count the period-figure rollups again from the records (after a bulk load or a restore "
        "from elsewhere; the actions keep them up to date otherwise)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = rebuild()
        self.stdout.write(f"{rows} rollup rows written.")
