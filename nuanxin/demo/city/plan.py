"""What a city is made of (the flags of `manage.py generate_city`), and the seeded random
streams every part of it draws from."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone as django_timezone

from nuanxin.demo.builder import FOUNDED

DEFAULTS = {
    "districts": 10,
    "streets": 10,
    "communities": 10,
    "grids": 6,
    "residents": 2_000_000,
    "cases": 5_000_000,
    "targets": 1_000_000,
    "stations": 10_000,
    "seed": 1,
}
DEFAULT_PASSWORD = "nuanxin-bench"


def city_code(seed: int) -> str:
    """The code of the city of this seed (its root area's code and path)."""
    return f"bench{seed}"


@dataclass(frozen=True)
class CityPlan:
    """The flags of a city: how many of each thing, the seed and the last day of its history."""

    districts: int = DEFAULTS["districts"]
    streets: int = DEFAULTS["streets"]
    communities: int = DEFAULTS["communities"]
    grids: int = DEFAULTS["grids"]
    residents: int = DEFAULTS["residents"]
    cases: int = DEFAULTS["cases"]
    targets: int = DEFAULTS["targets"]
    stations: int = DEFAULTS["stations"]
    seed: int = DEFAULTS["seed"]
    password: str = DEFAULT_PASSWORD
    # The last day of the history (default today): cases and visits run up to it.
    until: date = field(default_factory=django_timezone.localdate)

    def check(self) -> None:
        for name in ("districts", "streets", "communities", "grids"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be at least 1")
        for name in ("residents", "cases", "targets", "stations"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name} must not be negative")
        if self.until <= FOUNDED + timedelta(days=60):
            raise ValueError("--until must be at least two months after 2023-07-01")

    @property
    def grid_count(self) -> int:
        return self.districts * self.streets * self.communities * self.grids


class CityError(Exception):
    """The database cannot take this city (another territory, or a different plan)."""


def random_stream(seed: int, *parts: Any) -> random.Random:
    """The random stream of a part of the city (and of its chunk): the same for the same seed."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))
