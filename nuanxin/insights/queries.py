"""Period figures: what the community reports for a period and a node of the territory tree
(disputes resolved, fire-safety sweeps and the hazards found, clean-ups, enterprises checked
for food safety, visits done on time, who took part), counted from the records, never typed.
The actions keep them as rollups (insights/rollups.py) that a request adds up, so figures for
a street over a year cost about what they cost for a grid.

Every figure counts only rows under the node's subtree that the viewer reaches through the
scope of the rows' own permission (disputes.view, activities.view, inspections.view). Visits
and hazards go through the inspections query sets, which leave out key persons and special
groups where the viewer may not know of them, so no figure can reveal one.

`period_figures` reads the rollups: one query for every figure. `counted_figures` counts everything
from the records, one aggregate query per group of figures, and is what the rollups must
always agree with.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from nuanxin.core import figures as registered_figures
from nuanxin.core import periods
from nuanxin.core.access import deny
from nuanxin.core.periods import day_start
from nuanxin.core.scoping import Scope
from nuanxin.insights import rollups
from nuanxin.insights.rollups import FIRE_SAFETY_TEMPLATE, FOOD_SAFETY_TEMPLATE
from nuanxin.inspections.models import ChecklistVersion, Hazard, Rectification, Visit
from nuanxin.ledgers.models import Dispute, Outcome, SettledLevel
from nuanxin.territory import queries as territory_queries
from nuanxin.territory.models import Area
from nuanxin.volunteers.models import NEW_EMPLOYMENT_GROUPS, Activity, ActivityKind, ParticipantGroup

PERMISSION = "insights.view"
# The longest period asked for: five years of days, leap days included (2020-01-01..2024-12-31).
MAX_PERIOD_DAYS = 5 * 365 + 2


@dataclass
class DisputeFigures:
    received: int = 0
    resolved: int = 0  # closed with an agreement (化解)
    resolved_at_grid: int = 0
    resolved_at_community: int = 0
    resolved_at_street: int = 0
    referred: int = 0
    failed: int = 0


@dataclass
class HazardFigures:
    found: int = 0
    fixed: int = 0


@dataclass
class GroupFigures:
    """One participant group: how many took part in the period's activities, and (for the
    new-employment groups) in how many fire-safety sweeps and clean-ups."""

    group: str
    label: str
    participants: int = 0
    fire_checks: int | None = None
    cleanups: int | None = None


@dataclass
class FigureSection:
    """An app's figures (core.figures): its section's title and each figure's label and total."""

    label: str
    figures: list[tuple[str, str, int]]  # (metric, label, total)


@dataclass
class PeriodFigures:
    node: Area
    start: date
    end: date
    disputes: DisputeFigures = field(default_factory=DisputeFigures)
    fire_checks: int = 0
    hazards: HazardFigures = field(default_factory=HazardFigures)
    fire_safety_hazards: HazardFigures = field(default_factory=HazardFigures)
    cleanups: int = 0
    food_safety_enterprises: int = 0
    food_safety_checks: int = 0
    visits_done: int = 0
    visits_on_time: int = 0
    visits_missed: int = 0  # due in the period and not done (nor made up) by now
    groups: list[GroupFigures] = field(default_factory=list)
    # Activities with at least one rider, courier or driver among the participants.
    new_employment_fire_checks: int = 0
    new_employment_cleanups: int = 0
    # The apps' registered figures (party building...), the sections the viewer may count.
    sections: list[FigureSection] = field(default_factory=list)

    @property
    def visits_counted(self) -> int:
        """The visits the on-time rate is out of: those done in the period and those missed."""
        return self.visits_done + self.visits_missed

    @property
    def on_time_rate(self) -> float | None:
        """On time out of done and missed: a missed visit is not on time (None without any)."""
        return round(self.visits_on_time / self.visits_counted, 4) if self.visits_counted else None

    @property
    def participants(self) -> int:
        return sum(g.participants for g in self.groups)

    @property
    def new_employment_groups(self) -> list[GroupFigures]:
        return [g for g in self.groups if g.fire_checks is not None]

    def summary(self) -> str:
        """The statistics paragraph of a work report, in the seed's words."""
        return _(
            "From %(start)s to %(end)s, %(node)s resolved %(disputes)s disputes, carried out "
            "%(sweeps)s fire-safety sweeps, held %(cleanups)s environmental clean-up drives and "
            "checked %(enterprises)s enterprises for food safety; inspections found %(hazards)s "
            "hazards, %(fixed)s of them fixed; new-employment workers took part in "
            "%(ne_sweeps)s fire-safety checks and %(ne_cleanups)s clean-ups."
        ) % {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "node": self.node.name,
            "disputes": self.disputes.resolved,
            "sweeps": self.fire_checks,
            "hazards": self.hazards.found,
            "fixed": self.hazards.fixed,
            "cleanups": self.cleanups,
            "enterprises": self.food_safety_enterprises,
            "ne_sweeps": self.new_employment_fire_checks,
            "ne_cleanups": self.new_employment_cleanups,
        }

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer of GET /api/v1/insights/period (docs/insights.md)."""
        d = self.disputes
        return {
            "node": {"id": self.node.pk, "name": self.node.name, "level": self.node.level},
            "from": self.start,
            "to": self.end,
            "disputes": {
                "received": d.received,
                "resolved": d.resolved,
                "resolved_by_level": {
                    "grid": d.resolved_at_grid,
                    "community": d.resolved_at_community,
                    "street": d.resolved_at_street,
                },
                "referred": d.referred,
                "failed": d.failed,
            },
            "fire_safety": {
                "sweeps": self.fire_checks,
                "hazards_found": self.fire_safety_hazards.found,
                "hazards_fixed": self.fire_safety_hazards.fixed,
            },
            "hazards": {"found": self.hazards.found, "fixed": self.hazards.fixed},
            "cleanups": self.cleanups,
            "food_safety": {
                "enterprises_checked": self.food_safety_enterprises,
                "checks": self.food_safety_checks,
            },
            "visits": {
                "done": self.visits_done,
                "on_time": self.visits_on_time,
                "missed": self.visits_missed,
                "on_time_rate": self.on_time_rate,
            },
            "participation": {
                "participants": self.participants,
                "by_group": {g.group: g.participants for g in self.groups},
                "new_employment": {
                    "fire_checks": self.new_employment_fire_checks,
                    "cleanups": self.new_employment_cleanups,
                    "by_group": {
                        g.group: {"fire_checks": g.fire_checks, "cleanups": g.cleanups}
                        for g in self.new_employment_groups
                    },
                },
            },
            "summary": self.summary(),
            "more": {metric: n for section in self.sections for metric, _label, n in section.figures},
        }


def figure_nodes(scope: Scope) -> QuerySet[Area]:
    """The nodes the viewer may ask figures for: where they hold insights.view, topmost first."""
    return territory_queries.figure_nodes(scope, PERMISSION)


def node_or_404(scope: Scope, node_id: str | int | None) -> Area:
    """The node asked for (default: the viewer's topmost); 404 (audited) outside their reach
    of insights.view, and for a viewer who holds it nowhere."""
    return territory_queries.node_or_404(scope, node_id, permission=PERMISSION)


def parse_period(start_text: str | None, end_text: str | None, *, today: date | None = None) -> tuple[date, date]:
    """`from` and `to` (YYYY-MM-DD, both included; default: this quarter up to today, the
    period a community reports on, so the page opens on this season's work); at most five
    years long. A bad value is a DomainError naming its field."""
    return periods.parse_period(
        start_text,
        end_text,
        today=today,
        max_days=MAX_PERIOD_DAYS,
        too_long=_("A period may be at most five years long."),
        start_of=periods.quarter_start,
    )


def period_figures(scope: Scope, node: Area, start: date, end: date) -> PeriodFigures:
    """The figures for `node`'s subtree over the days `start`..`end` (both included), through
    the viewer's scope: added up from the rollups (insights/rollups.py) in one query. 404 for
    a node outside the viewer's reach of insights.view."""
    _check_node(scope, node)
    figures = PeriodFigures(node=node, start=start, end=end)
    total = rollups.totals(scope, node, start, end)

    def t(metric: str) -> int:
        return total.get(metric, 0)

    figures.disputes = DisputeFigures(
        received=t("disputes_received"),
        resolved=t("disputes_resolved"),
        resolved_at_grid=t("disputes_resolved_grid"),
        resolved_at_community=t("disputes_resolved_community"),
        resolved_at_street=t("disputes_resolved_street"),
        referred=t("disputes_referred"),
        failed=t("disputes_failed"),
    )
    fire, cleanup = ActivityKind.FIRE_CHECK, ActivityKind.CLEANUP
    figures.fire_checks, figures.cleanups = t(f"activities_{fire}"), t(f"activities_{cleanup}")
    figures.new_employment_fire_checks = t(f"activities_{fire}_new")
    figures.new_employment_cleanups = t(f"activities_{cleanup}_new")
    new_groups = {str(g) for g in NEW_EMPLOYMENT_GROUPS}
    figures.groups = [
        GroupFigures(
            group=group,
            label=str(label),
            participants=t(f"participants_{group}"),
            fire_checks=t(f"activities_{fire}_{group}") if group in new_groups else None,
            cleanups=t(f"activities_{cleanup}_{group}") if group in new_groups else None,
        )
        for group, label in ParticipantGroup.choices
    ]
    figures.hazards = HazardFigures(found=t("hazards_found"), fixed=t("hazards_fixed"))
    figures.fire_safety_hazards = HazardFigures(found=t("hazards_fire_found"), fixed=t("hazards_fire_fixed"))
    figures.visits_done, figures.visits_on_time = t("visits_done"), t("visits_on_time")
    figures.visits_missed, figures.food_safety_checks = t("visits_missed"), t("visits_food_checks")
    figures.food_safety_enterprises = t("visits_food_places")
    figures.sections = _sections(scope, node, t)
    return figures


def _sections(scope: Scope, node: Area, total: Callable[[str], int]) -> list[FigureSection]:
    """The apps' sections (core.figures) whose permission the viewer holds over the node."""
    counted = {family for family, _category in rollups.counted_paths(scope, node)}
    return [
        FigureSection(label=str(label), figures=[(f.metric, str(f.label), total(f.metric)) for f in shown])
        for label, _permission, shown in registered_figures.sections()
        if shown and shown[0].metric.split("_", 1)[0] in counted
    ]


def counted_figures(scope: Scope, node: Area, start: date, end: date) -> PeriodFigures:
    """The same figures counted from the records themselves, one aggregate query per group:
    what the rollups must always agree with (the tests, `rebuild_figures --check`)."""
    _check_node(scope, node)
    figures = PeriodFigures(node=node, start=start, end=end)
    under = Area.objects.filter(path__startswith=node.path).values("pk")
    days = (start, end)
    since, until = day_start(start), day_start(end + timedelta(days=1))
    _dispute_figures(figures, Dispute.objects.reached_by(scope).filter(grid__in=under), days)
    _activity_figures(figures, Activity.objects.reached_by(scope).filter(area__in=under, starts_on__range=days))
    _hazard_figures(figures, Rectification.objects.reached_by(scope).filter(grid__in=under, issued_on__range=days))
    _visit_figures(figures, Visit.objects.reached_by(scope).filter(grid__in=under), days, since, until)
    counted: Counter[str] = Counter()
    areas = dict(Area.objects.filter(path__startswith=node.path).values_list("pk", "path"))
    paths = rollups.counted_paths(scope, node)
    for source in registered_figures.sources():
        reach = paths.get((source.family, ""), set())
        for area, day, metric, n in source.rows(source.model._default_manager.all()):
            if start <= day <= end and any(areas.get(area, "\0").startswith(p) for p in reach):
                counted[metric] += n
    figures.sections = _sections(scope, node, lambda metric: counted[metric])
    return figures


def _check_node(scope: Scope, node: Area) -> None:
    if not scope.has_at(PERMISSION, node.path):
        raise deny(scope, f"{PERMISSION} territory.area {node.pk}")


def _dispute_figures(figures: PeriodFigures, disputes: QuerySet[Dispute], days: tuple[date, date]) -> None:
    closed = Q(state=Dispute.State.CLOSED, closed_on__range=days)
    resolved = closed & Q(outcome=Outcome.AGREEMENT)
    row = disputes.filter(Q(received_on__range=days) | closed).aggregate(
        received=Count("id", filter=Q(received_on__range=days)),
        resolved=Count("id", filter=resolved),
        at_grid=Count("id", filter=resolved & Q(settled_level=SettledLevel.GRID)),
        at_community=Count("id", filter=resolved & Q(settled_level=SettledLevel.COMMUNITY)),
        at_street=Count("id", filter=resolved & Q(settled_level=SettledLevel.STREET)),
        referred=Count("id", filter=closed & Q(outcome=Outcome.REFERRED)),
        failed=Count("id", filter=closed & Q(outcome=Outcome.FAILED)),
    )
    figures.disputes = DisputeFigures(
        received=row["received"],
        resolved=row["resolved"],
        resolved_at_grid=row["at_grid"],
        resolved_at_community=row["at_community"],
        resolved_at_street=row["at_street"],
        referred=row["referred"],
        failed=row["failed"],
    )


def _activity_figures(figures: PeriodFigures, activities: QuerySet[Activity]) -> None:
    """One query over the period's activities joined to their participants: activities are
    counted distinct, participants per group, and the sweeps and clean-ups each
    new-employment group (and any of them) took part in."""
    fire, cleanup = Q(kind=ActivityKind.FIRE_CHECK), Q(kind=ActivityKind.CLEANUP)
    new_groups = [str(g) for g in NEW_EMPLOYMENT_GROUPS]
    any_new = Q(participants__group__in=new_groups)
    aggregates: dict[str, Any] = {
        "fire": Count("id", distinct=True, filter=fire),
        "cleanup": Count("id", distinct=True, filter=cleanup),
        "new_fire": Count("id", distinct=True, filter=fire & any_new),
        "new_cleanup": Count("id", distinct=True, filter=cleanup & any_new),
    }
    for group in ParticipantGroup.values:
        aggregates[f"p_{group}"] = Count("participants__id", filter=Q(participants__group=group))
    for group in new_groups:
        aggregates[f"fire_{group}"] = Count("id", distinct=True, filter=fire & Q(participants__group=group))
        aggregates[f"cleanup_{group}"] = Count("id", distinct=True, filter=cleanup & Q(participants__group=group))
    row = activities.aggregate(**aggregates)
    figures.fire_checks, figures.cleanups = row["fire"], row["cleanup"]
    figures.new_employment_fire_checks, figures.new_employment_cleanups = row["new_fire"], row["new_cleanup"]
    figures.groups = [
        GroupFigures(
            group=group,
            label=str(label),
            participants=row[f"p_{group}"],
            fire_checks=row.get(f"fire_{group}"),
            cleanups=row.get(f"cleanup_{group}"),
        )
        for group, label in ParticipantGroup.choices
    ]


def _hazard_figures(figures: PeriodFigures, rectifications: QuerySet[Rectification]) -> None:
    """Hazards of the rectification orders issued in the period; fixed when the re-check
    found the item fixed or the whole order was closed as fixed."""
    fire_versions = ChecklistVersion.objects.filter(template__code=FIRE_SAFETY_TEMPLATE).values("pk")
    fixed = Q(fixed=True) | Q(rectification__state=Rectification.State.FIXED)
    fire = Q(rectification__visit__version_id__in=fire_versions)
    row = Hazard.objects.filter(rectification__in=rectifications.values("pk")).aggregate(
        n_found=Count("id"),
        n_fixed=Count("id", filter=fixed),
        fire_found=Count("id", filter=fire),
        fire_fixed=Count("id", filter=fire & fixed),
    )
    figures.hazards = HazardFigures(found=row["n_found"], fixed=row["n_fixed"])
    figures.fire_safety_hazards = HazardFigures(found=row["fire_found"], fixed=row["fire_fixed"])


def _visit_figures(
    figures: PeriodFigures, visits: QuerySet[Visit], days: tuple[date, date], since: Any, until: Any
) -> None:
    """Visits done in the period (by the local day they were done), those done by their due
    day, those missed with a due day in the period; and the food-safety checks among the
    done ones, with the distinct places (enterprises) they checked."""
    food_versions = ChecklistVersion.objects.filter(template__code=FOOD_SAFETY_TEMPLATE).values("pk")
    done = Q(state=Visit.State.DONE, done_at__gte=since, done_at__lt=until)
    missed = Q(state=Visit.State.MISSED, due_on__range=days)
    food = done & Q(version_id__in=food_versions)
    row = (
        visits.filter(done | missed)
        .annotate(done_day=TruncDate("done_at"))
        .aggregate(
            done=Count("id", filter=done),
            on_time=Count("id", filter=done & Q(done_day__lte=F("due_on"))),
            missed=Count("id", filter=missed),
            food_checks=Count("id", filter=food),
            food_places=Count("place_id", distinct=True, filter=food),
        )
    )
    figures.visits_done, figures.visits_on_time, figures.visits_missed = row["done"], row["on_time"], row["missed"]
    figures.food_safety_checks, figures.food_safety_enterprises = row["food_checks"], row["food_places"]
