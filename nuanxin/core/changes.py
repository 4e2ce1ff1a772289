"""What the apps' writes tell the rest of the system, without knowing who listens.

An action that creates or changes rows another app counts (the period figures' rollups in
`insights`) says so here, inside its transaction; whoever counts registers a watcher when its
app is ready (`InsightsConfig.ready` registers `insights.rollups`). An action that others react
to says what happened (`happened("cases.closed", ...)`); whoever reacts registers a handler
when its app is ready (the volunteers' points for a verified hazard report). So an app's
actions import `core`, never the app above them that counts or reacts, and a new app plugs in
by registering, without editing the others (docs/decisions/0005-changes-and-events.md).

Everything runs now, in the caller's transaction, in the order it was registered: a watcher's
counts are exact and roll back with the write, and a handler's writes commit or roll back with
the action that caused them.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any, Protocol

from django.db import models


class Watcher(Protocol):
    """Something that keeps figures over rows of some models (a module will do)."""

    def tracking(self, model: type[models.Model], pks: Iterable[int]) -> AbstractContextManager[None]:
        """Around a change to these rows: count them before and after."""
        ...

    def added(self, model: type[models.Model], pks: Iterable[int]) -> None:
        """Rows just created."""
        ...


_watchers: list[Watcher] = []
_handlers: dict[str, list[Callable[..., object]]] = {}


def watch(watcher: Watcher) -> None:
    """Register a watcher (once; from an AppConfig.ready)."""
    if watcher not in _watchers:
        _watchers.append(watcher)


def on(event: str, handler: Callable[..., object]) -> None:
    """Run `handler(**facts)` whenever `event` happens (once per handler; from an AppConfig.ready;
    what it returns is ignored)."""
    handlers = _handlers.setdefault(event, [])
    if handler not in handlers:
        handlers.append(handler)


@contextmanager
def tracking(model: type[models.Model], pks: Iterable[int]) -> Iterator[None]:
    """Around a change to these rows of `model`, inside the change's transaction."""
    pks = list(pks)
    with ExitStack() as stack:
        for watcher in _watchers:
            stack.enter_context(watcher.tracking(model, pks))
        yield


def added(model: type[models.Model], pks: Iterable[int]) -> None:
    """Rows of `model` just created, inside the creating transaction."""
    pks = list(pks)
    for watcher in _watchers:
        watcher.added(model, pks)


@contextmanager
def saving(instance: models.Model) -> Iterator[None]:
    """Around saving one instance, new or not."""
    model, pk = type(instance), instance.pk
    with tracking(model, [pk] if pk is not None else []):
        yield
    if pk is None:
        added(model, [instance.pk])


def happened(event: str, **facts: Any) -> None:
    """Tell every handler of `event`, now, in the caller's transaction."""
    for handler in _handlers.get(event, ()):
        handler(**facts)
