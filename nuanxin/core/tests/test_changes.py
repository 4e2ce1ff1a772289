"""core.changes: the apps' writes reach whoever counts or reacts, in the same transaction and
in the order they registered; the installed apps register theirs when ready."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from nuanxin.core import changes
from nuanxin.territory.models import Place


class Recorder:
    def __init__(self, name: str, calls: list[Any]) -> None:
        self.name, self.calls = name, calls

    @contextmanager
    def tracking(self, model: Any, pks: Any) -> Iterator[None]:
        self.calls.append((self.name, "before", model, list(pks)))
        yield
        self.calls.append((self.name, "after", model, list(pks)))

    def added(self, model: Any, pks: Any) -> None:
        self.calls.append((self.name, "added", model, list(pks)))


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    monkeypatch.setattr(changes, "_watchers", [])
    monkeypatch.setattr(changes, "_handlers", {})
    return []


def test_every_watcher_sees_a_change_around_it_and_an_addition_once(calls: list[Any]) -> None:
    first, second = Recorder("first", calls), Recorder("second", calls)
    for watcher in (first, second, first):  # registered once however often a ready() runs
        changes.watch(watcher)
    with changes.tracking(Place, iter([1, 2])):  # a query's ids are read once
        calls.append("the change")
    changes.added(Place, [3])
    assert calls == [
        ("first", "before", Place, [1, 2]),
        ("second", "before", Place, [1, 2]),
        "the change",
        ("second", "after", Place, [1, 2]),
        ("first", "after", Place, [1, 2]),
        ("first", "added", Place, [3]),
        ("second", "added", Place, [3]),
    ]


@pytest.mark.django_db
def test_saving_a_new_row_is_an_addition_and_an_old_one_a_change(calls: list[Any], world: Any) -> None:
    changes.watch(Recorder("w", calls))
    place = Place(kind="compound", name="新院", lng=102.7011, lat=24.9811, grid=world.grid1)
    with changes.saving(place):
        place.save()
    with changes.saving(place):
        place.save()
    assert calls == [
        ("w", "before", Place, []),
        ("w", "after", Place, []),
        ("w", "added", Place, [place.pk]),
        ("w", "before", Place, [place.pk]),
        ("w", "after", Place, [place.pk]),
    ]


def test_an_event_reaches_its_handlers_with_its_facts(calls: list[Any]) -> None:
    changes.on("cases.closed", lambda **facts: calls.append(("points", facts)))
    changes.happened("cases.closed", case="C1", actor="A")
    changes.happened("cases.reopened", case="C1")  # nobody listens: nothing happens
    assert calls == [("points", {"case": "C1", "actor": "A"})]


def test_the_installed_apps_registered_the_figures_and_the_points() -> None:
    from nuanxin.insights import rollups
    from nuanxin.volunteers.points.actions import award_report_points

    assert rollups in changes._watchers
    assert award_report_points in changes._handlers["cases.closed"]
