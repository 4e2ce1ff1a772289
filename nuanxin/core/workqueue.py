"""My work: what waits for the viewer, from every app, on the console home, the phone home and
in the navigation (docs/work-queue.md).

An app says what waits for whom by registering a `Source` when it is ready, as it registers
its reactions to other apps' events (core.changes): the homes read `waiting_for` and never
name an app, so a new app's work appears by registering, without editing the homes.

A source answers for one viewer (their scope and account) at one moment: how many things
wait, and the first few, the most urgent and then the oldest first; each links to the page
where it is done. A source first says whether it can concern the viewer at all (`applies`,
from their permissions, or one small query), so a viewer it cannot concern costs no more.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

from nuanxin.core.scoping import Scope


@dataclass(frozen=True)
class Item:
    """One thing to do: what (`title`), the step and where (`detail`), its page (`url`), and
    by when (`when`); `urgent` (an emergency) and `overdue` mark it."""

    title: str
    detail: str
    url: str
    when: datetime | date | None = None
    urgent: bool = False
    overdue: bool = False

    @property
    def when_label(self) -> str:
        if isinstance(self.when, datetime):
            return timezone.localtime(self.when).strftime("%m-%d %H:%M")
        return self.when.strftime("%m-%d") if self.when is not None else ""


@dataclass(frozen=True)
class Source:
    """What an app has waiting for a viewer. `applies(scope, user)` says cheaply whether it can
    concern them; `count(scope, user, now)` how many wait; `first(scope, user, now, n)` the
    first n, most urgent and oldest first; `url` the page listing them all; `capability` the
    console navigation's entry (its slug in nuanxin.navigation) that shows the count."""

    key: str
    label: str | Promise
    url: str
    capability: str
    applies: Callable[[Scope, Any], bool]
    count: Callable[[Scope, Any, datetime], int]
    first: Callable[[Scope, Any, datetime, int], list[Item]]
    order: int = 100


@dataclass(frozen=True)
class Waiting:
    source: Source
    count: int
    items: list[Item]


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    """Add an app's source (from its AppConfig.ready); registering a key again replaces it."""
    _SOURCES[source.key] = source


def sources_for(scope: Scope, user: Any) -> list[Source]:
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted((s for s in _SOURCES.values() if s.applies(scope, user)), key=lambda s: (s.order, s.key))


def waiting_for(scope: Scope, user: Any, *, now: datetime | None = None, first: int = 5) -> list[Waiting]:
    """Each source with something waiting for the viewer: its count and its first items."""
    now = now or timezone.now()
    found = []
    for source in sources_for(scope, user):
        count = source.count(scope, user, now)
        if count:
            found.append(Waiting(source, count, source.first(scope, user, now, first)))
    return found


def counts_for(scope: Scope, user: Any, *, now: datetime | None = None) -> dict[str, int]:
    """How many things wait for the viewer under each capability of the navigation that has
    any (its slug: count); the navigation shows them, and their sum beside "my work"."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for source in sources_for(scope, user):
        count = source.count(scope, user, now)
        if count:
            counts[source.capability] = counts.get(source.capability, 0) + count
    return counts
