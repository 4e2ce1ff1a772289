"""The period figures an app adds, registered when it is ready (docs/insights.md).

The rollups (insights) count rows of the models an app names here, each row at an area of the
territory on a day under a metric, kept up to date by the app's actions through
`core.changes.tracking` and `core.changes.added`, and rebuilt from the records like the rest.
The period figures then show the app's section, each figure with its label, read through the
viewer's reach of the section's permission. So a new app's figures appear by registering,
without editing insights:

    from nuanxin.core import figures

    class PartyConfig(AppConfig):
        def ready(self) -> None:
            from nuanxin.party.figures import SOURCES

            for source in SOURCES:
                figures.register(source)

A source's `rows(queryset)` yields, for a set of the model's rows, `(area id, day, metric, n)`:
`n` rows counted under `metric` (named "<family>_<what>", at most 40 characters) on `day` at the
area `area id`. A row counts at its area and every area above it, so the area is where the
record belongs (a grid, or a community for what belongs to the whole community).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.functional import Promise

FigureRow = tuple[int, date, str, int]


@dataclass(frozen=True)
class Figure:
    metric: str
    label: str | Promise


@dataclass(frozen=True)
class FigureSource:
    """What one model adds: its rows' counts (`rows`), the family their metrics are named by
    and the permission that counts them, and the figures shown, in order, under `section`."""

    model: type[models.Model]
    rows: Callable[[QuerySet[Any]], Iterable[FigureRow]]
    family: str
    permission: str
    section: str | Promise
    figures: tuple[Figure, ...]

    def __post_init__(self) -> None:
        if "_" in self.family:
            raise ValueError(f"a family's name has no underscore: {self.family!r}")
        for figure in self.figures:
            if not figure.metric.startswith(f"{self.family}_") or len(figure.metric) > 40:
                raise ValueError(f"{figure.metric!r} is not a metric of the family {self.family!r}")


_sources: dict[type[models.Model], FigureSource] = {}


def register(source: FigureSource) -> None:
    """Add an app's source (from its AppConfig.ready); registering a model again replaces it."""
    _sources[source.model] = source


def sources() -> list[FigureSource]:
    return list(_sources.values())


def source_for(model: type[models.Model]) -> FigureSource | None:
    return _sources.get(model)


def sections() -> Iterator[tuple[str | Promise, str, list[Figure]]]:
    """(section, permission, its figures), the sections in the order they were registered,
    a section's figures from every source that names it."""
    seen: dict[str, tuple[str | Promise, str, list[Figure]]] = {}
    for source in _sources.values():
        key = str(source.section)
        if key not in seen:
            seen[key] = (source.section, source.permission, [])
        seen[key][2].extend(source.figures)
    yield from seen.values()
