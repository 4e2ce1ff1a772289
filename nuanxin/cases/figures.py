"""Figures on cases for any period and any node of the territory tree the viewer works in.

Which cases and steps count (all within the node's subtree and the viewer's scope):

- counts by state, class, grid, level and channel: the cases *reported* in the period, in the
  state they are in now;
- a *step in a stage* is a timeline step taken while the case was in one of the stage's
  states (accept: reported; dispatch: accepted; handle: dispatched or in progress; verify:
  resolved), supervision notices aside. It is *late* (`CaseEvent.late`) when the stage's
  deadline had passed when it was taken, so a time-out escalation is always late;
- on-time rate, per case: of the cases with a step in a stage taken in the period, the
  share none of whose such steps was late; per stage: the share of that stage's steps in the
  period that were not late;
- average handling time per stage: for each step in the period that *ended* a stage (moved
  the case to a state of another stage, or out of the loop), the time since the step that
  entered the stage; "handle" therefore runs from the dispatch (or the reopening) to the
  resolution. Calendar time, not working time;
- resolved within the grid / the community: of the cases closed as fixed in the period, the
  share handled at the grid level, and at the grid or community level, when they were resolved
  (a case's level cannot change between its resolution and its closure, so its level now).

Everything is aggregated in the database: a fixed number of queries, whatever the period.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from nuanxin.cases.actions import STAGE_OF_STATE
from nuanxin.cases.models import Case, CaseEvent, Level
from nuanxin.core import periods
from nuanxin.core.periods import day_start
from nuanxin.core.scoping import Scope
from nuanxin.territory import queries as territory_queries
from nuanxin.territory.models import Area

STAGES = ("accept", "dispatch", "handle", "verify")
STAGE_STATES: dict[str, tuple[str, ...]] = {
    stage: tuple(state for state, of in STAGE_OF_STATE.items() if of == stage) for stage in STAGES
}


def stage_label(stage: str) -> str:
    return {
        "accept": pgettext("case stage", "Accept"),
        "dispatch": pgettext("case stage", "Dispatch"),
        "handle": pgettext("case stage", "Handle"),
        "verify": pgettext("case stage", "Verify"),
    }[stage]


@dataclass
class Tally:
    key: str
    label: str
    n: int


@dataclass
class StageFigures:
    stage: str
    label: str
    steps: int
    late: int
    ended: int
    average_hours: float | None

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.steps - self.late, self.steps)


@dataclass
class Figures:
    node: Area
    since: date
    until: date
    reported: int
    by_state: list[Tally] = field(default_factory=list)
    by_class: list[Tally] = field(default_factory=list)
    by_grid: list[Tally] = field(default_factory=list)
    by_level: list[Tally] = field(default_factory=list)
    by_channel: list[Tally] = field(default_factory=list)
    cases_with_steps: int = 0
    cases_on_time: int = 0
    stages: list[StageFigures] = field(default_factory=list)
    fixed: int = 0
    fixed_in_grid: int = 0
    fixed_in_community: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.cases_on_time, self.cases_with_steps)

    @property
    def share_in_grid(self) -> float | None:
        return _rate(self.fixed_in_grid, self.fixed)

    @property
    def share_in_community(self) -> float | None:
        return _rate(self.fixed_in_community, self.fixed)

    def as_dict(self) -> dict[str, Any]:
        counts = {
            name: [{"key": c.key, "label": c.label, "count": c.n} for c in getattr(self, f"by_{name}")]
            for name in ("state", "class", "grid", "level", "channel")
        }
        return {
            "node": {"id": self.node.pk, "name": self.node.name, "level": self.node.level},
            "from": self.since,
            "to": self.until,
            "reported": self.reported,
            "by": counts,
            "on_time": {
                "cases": self.cases_with_steps,
                "on_time": self.cases_on_time,
                "rate": self.on_time_rate,
            },
            "stages": [
                {
                    "stage": s.stage,
                    "steps": s.steps,
                    "late": s.late,
                    "on_time_rate": s.on_time_rate,
                    "ended": s.ended,
                    "average_hours": s.average_hours,
                }
                for s in self.stages
            ],
            "resolution": {
                "fixed": self.fixed,
                "in_grid": self.fixed_in_grid,
                "in_community": self.fixed_in_community,
                "share_in_grid": self.share_in_grid,
                "share_in_community": self.share_in_community,
            },
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figure_nodes(scope: Scope) -> QuerySet[Area]:
    """The nodes the viewer may ask figures for: where they see cases, topmost first."""
    return territory_queries.figure_nodes(scope, "cases.view")


def node_or_404(scope: Scope, node_id: str | int | None) -> Area:
    """The node asked for (default: the viewer's topmost); 404 (audited) outside their case scope."""
    return territory_queries.node_or_404(scope, node_id, permission="cases.view", audit_as="cases.figures")


def parse_period(since_text: str | None, until_text: str | None, *, today: date | None = None) -> tuple[date, date]:
    """`from` and `to` (YYYY-MM-DD, both included); by default this year up to today."""
    return periods.parse_period(since_text, until_text, today=today)


def _counts(cases: QuerySet[Case], key: str, label_key: str | None, labels: dict[str, str] | None) -> list[Tally]:
    rows = cases.order_by().values(*{key, label_key or key}).annotate(n=Count("id")).order_by("-n", key)
    out = []
    for row in rows:
        value = row[key]
        label = labels.get(value, str(value)) if labels is not None else str(row[label_key or key])
        out.append(Tally(key=str(value), label=label, n=row["n"]))
    return out


def _stage_duration(steps: QuerySet[CaseEvent], stage: str) -> tuple[int, float | None]:
    """How many steps in the period ended `stage`, and their average time in it (hours)."""
    states = STAGE_STATES[stage]
    entered = (
        CaseEvent.objects.filter(case_id=OuterRef("case_id"), to_state__in=states)
        .exclude(from_state__in=states)
        .filter(Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), id__lt=OuterRef("id")))
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    ended = (
        steps.filter(from_state__in=states)
        .exclude(to_state__in=states)
        .annotate(entered=Subquery(entered))
        .filter(entered__isnull=False)
        .annotate(spent=ExpressionWrapper(F("at") - F("entered"), output_field=DurationField()))
        .aggregate(n=Count("id"), average=Avg("spent"))
    )
    average = ended["average"]
    if isinstance(average, timedelta):
        hours: float | None = round(average.total_seconds() / 3600, 2)
    elif average is not None:  # some backends answer microseconds
        hours = round(float(average) / 3_600_000_000, 2)
    else:
        hours = None
    return ended["n"], hours


def case_figures(*, scope: Scope, node: Area, since: date, until: date) -> Figures:
    """The figures for `node`'s subtree over the days `since`..`until` (both included), counted
    through the viewer's scope. The caller resolved `node` with node_or_404."""
    start, end = day_start(since), day_start(until + timedelta(days=1))
    under = Q(grid__path__startswith=node.path) & scope.q("cases.view", "grid__path")
    in_node = Case.objects.filter(under)
    reported = in_node.filter(reported_at__gte=start, reported_at__lt=end)

    figures = Figures(node=node, since=since, until=until, reported=0)
    figures.by_state = _counts(reported, "state", None, {k: str(v) for k, v in Case.State.choices})
    figures.reported = sum(c.n for c in figures.by_state)
    figures.by_class = _counts(reported, "case_class__code", "case_class__name", None)
    figures.by_grid = _counts(reported, "grid_id", "grid__name", None)
    figures.by_level = _counts(reported, "level", None, {k: str(v) for k, v in Level.choices})
    figures.by_channel = _counts(reported, "channel", None, {k: str(v) for k, v in Case.Channel.choices})

    steps = CaseEvent.objects.filter(
        case__in=in_node.values("id"), at__gte=start, at__lt=end, from_state__in=STAGE_OF_STATE.keys()
    ).exclude(kind=CaseEvent.Kind.SUPERVISED)
    aggregates: dict[str, Any] = {
        "cases": Count("case_id", distinct=True),
        "late_cases": Count("case_id", distinct=True, filter=Q(late=True)),
    }
    for stage in STAGES:
        in_stage = Q(from_state__in=STAGE_STATES[stage])
        aggregates[f"{stage}_steps"] = Count("id", filter=in_stage)
        aggregates[f"{stage}_late"] = Count("id", filter=in_stage & Q(late=True))
    totals = steps.aggregate(**aggregates)
    figures.cases_with_steps = totals["cases"]
    figures.cases_on_time = totals["cases"] - totals["late_cases"]
    for stage in STAGES:
        ended, hours = _stage_duration(steps, stage)
        figures.stages.append(
            StageFigures(
                stage=stage,
                label=stage_label(stage),
                steps=totals[f"{stage}_steps"],
                late=totals[f"{stage}_late"],
                ended=ended,
                average_hours=hours,
            )
        )

    fixed = in_node.filter(closure=Case.Closure.FIXED, closed_at__gte=start, closed_at__lt=end).aggregate(
        fixed=Count("id"),
        in_grid=Count("id", filter=Q(level=Level.GRID)),
        in_community=Count("id", filter=Q(level__in=[Level.GRID, Level.COMMUNITY])),
    )
    figures.fixed, figures.fixed_in_grid, figures.fixed_in_community = (
        fixed["fixed"],
        fixed["in_grid"],
        fixed["in_community"],
    )
    return figures


def chart_data(figures: Figures) -> dict[str, Any]:
    """Two bar charts for charts.js: cases by state, and average hours per stage."""
    return {
        "states": {
            "categories": [c.label for c in figures.by_state],
            "series": [{"name": _("Cases"), "data": [c.n for c in figures.by_state]}],
        },
        "stages": {
            "categories": [s.label for s in figures.stages],
            "series": [{"name": _("Average hours"), "data": [s.average_hours or 0 for s in figures.stages]}],
        },
    }
