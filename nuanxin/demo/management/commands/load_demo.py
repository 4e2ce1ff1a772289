"""Load the demo community (怡心桥社区) into an empty database; leave any other database alone."""

import time
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from nuanxin.core.errors import DomainError
from nuanxin.demo.builder import (
    DEFAULT_MERCHANTS,
    DEFAULT_RESIDENTS,
    DEFAULT_SEED,
    DEMO_PASSWORD,
    FOUNDED,
    HISTORY_END,
    build_demo,
)
from nuanxin.territory.models import Area


class Command(BaseCommand):
    help = (
        "Build the demo community of the seed article in an empty database, with its history up to the build day "
        "(deterministic for a seed and a build day)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same demo)")
        parser.add_argument("--residents", type=int, default=DEFAULT_RESIDENTS, help="about how many residents")
        parser.add_argument("--merchants", type=int, default=DEFAULT_MERCHANTS, help="merchants and enterprises")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help=f"the build day, YYYY-MM-DD, not before {HISTORY_END} (default: today): the history runs up to it",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="skip the history of cases, inspections, campaigns and disputes (2023-07 to the build day)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.NUANXIN_DEMO:
            # The demo logins share a published password: never outside demo mode.
            raise CommandError("The demo creates accounts with a published password; set NUANXIN_DEMO=1 to load it.")
        if Area.objects.exists():
            # Never mix demo data into a database that already holds a territory.
            self.stdout.write(
                "The database already holds a territory: kept as it is (the demo loads only into an empty database)."
            )
            return
        if options["residents"] < 1 or options["merchants"] < 0:
            raise CommandError("--residents must be at least 1 and --merchants at least 0.")
        started = time.monotonic()
        try:
            demo = build_demo(
                seed=options["seed"],
                residents=options["residents"],
                merchants=options["merchants"],
                history=None if options["no_history"] else (FOUNDED, HISTORY_END),
                today=options["today"],
                say=self.stdout.write,
            )
        except DomainError as exc:
            raise CommandError(f"The demo could not be built ({exc.field}): {exc.message}") from exc
        except ValueError as exc:  # a build day before the end of the seed's period
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Demo community {demo.community} built in {time.monotonic() - started:.1f} s.")
        )
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for login in demo.logins:
            self.stdout.write(f"  {login.username:<14} {login.role:<16} {login.where}")
