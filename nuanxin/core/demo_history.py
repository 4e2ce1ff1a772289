"""The demo's living history: the steps that write what happened in the demo community, from
its founding to the day the demo is built (`manage.py load_demo`, docs/getting-started.md).

An app adds its own history by registering a step, from its AppConfig.ready(), without
editing the demo app:

    from nuanxin.core import demo_history

    class PartyConfig(AppConfig):
        def ready(self) -> None:
            from nuanxin.party.demo import party_history

            demo_history.register("party", party_history, order=60)

`build_demo` calls every registered step once, in `order` (then name), inside its one
transaction, as `step(context, start, end)`:

- `context` is the demo being built (nuanxin.demo.builder.Builder): `rng` (the only source
  of chance: the same seed and build day give the same demo), `community`, `users` (the demo
  logins by username), `admin`, `scope(user)` (each person acts through their own scope),
  `seed_period` (the days whose figures reproduce the seed article's, or None when the demo
  is built without history), `today` (the build day) and `present` (the moment the history
  stops, early on the build day);
- `start`..`end` are the days to write, both included (`end` is the build day).

A step writes only through the actions users trigger, with explicit times; within
`seed_period` it leaves the seed's figures exact, after it a steady trickle is enough, and it
leaves the build day something to do. It returns what it made, counted ({"meetings": 12}).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

HistoryStep = Callable[[Any, date, date], Mapping[str, int]]


@dataclass(frozen=True)
class Step:
    name: str
    run: HistoryStep
    order: int


_steps: dict[str, Step] = {}


def register(name: str, step: HistoryStep, *, order: int = 100) -> None:
    """Add `step` to the demo's history under `name`; a name registered again is replaced
    (an app's ready() may run more than once)."""
    _steps[name] = Step(name=name, run=step, order=order)


def steps() -> list[Step]:
    """The registered steps in the order they run: by `order`, then by name."""
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))
