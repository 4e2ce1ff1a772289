"""Generate a city of benchmark data (the package nuanxin/demo/city/), or top up its cases."""

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from nuanxin.demo.city import generate_city
from nuanxin.demo.city.plan import DEFAULT_PASSWORD, DEFAULTS, CityError, CityPlan


class Command(BaseCommand):
    help = (
        "Build a city of benchmark data into an empty database (deterministic for a seed), or top up "
        "the cases of the city of this seed to --cases."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        for name, meaning in (
            ("districts", "districts in the city"),
            ("streets", "streets per district"),
            ("communities", "communities per street"),
            ("grids", "grids per community"),
            ("residents", "residents in all"),
            ("cases", "cases in all (an existing city is topped up to this number)"),
            ("targets", "watch targets in all"),
            ("stations", "warm stations in all"),
            ("seed", "random seed (same flags and seed, same data)"),
        ):
            parser.add_argument(
                f"--{name}", type=int, default=DEFAULTS[name], help=f"{meaning} (default {DEFAULTS[name]:,})"
            )
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="the password of every generated account")
        parser.add_argument(
            "--skip-rollups",
            action="store_true",
            help="leave the period figures alone (run manage.py rebuild_figures later)",
        )
        parser.add_argument(
            "--until", type=date.fromisoformat, default=None, help="last day of the history (YYYY-MM-DD, default today)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plan = CityPlan(
            districts=options["districts"],
            streets=options["streets"],
            communities=options["communities"],
            grids=options["grids"],
            residents=options["residents"],
            cases=options["cases"],
            targets=options["targets"],
            stations=options["stations"],
            seed=options["seed"],
            password=options["password"],
            until=options["until"] or timezone.localdate(),
        )
        started = time.monotonic()
        try:
            result = generate_city(plan, say=self.stdout.write, rollups=not options["skip_rollups"])
        except (CityError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            "rows written, per table (made and written; indexes and constraints built again after a bulk load):"
        )
        for table, stats in sorted(result.stats.items(), key=lambda item: -item[1].rows):
            if stats.rows:
                self.stdout.write(
                    f"  {table:<32} {stats.rows:>12,} rows {stats.seconds:>7.1f} s {stats.rate:>10,.0f} rows/s"
                    f" | indexes {stats.index_seconds:>6.1f} s | {stats.overall_rate:>10,.0f} rows/s in all"
                )
        if result.vacuum_seconds is not None:
            self.stdout.write(f"tables vacuumed and analysed (VACUUM (ANALYZE)) in {result.vacuum_seconds:.1f} s")
        what = "built" if result.created else "topped up"
        self.stdout.write(self.style.SUCCESS(f"City {what} in {time.monotonic() - started:.1f} s."))
        if result.created:
            self.stdout.write(
                f"Logins (password {plan.password}): city-admin, district-d01, street-d01-s01, "
                "community-d01-s01-c01, grid-d01-s01-c01-g1"
            )
