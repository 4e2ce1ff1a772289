"""Rollups of the period figures (docs/insights.md): counts per node, day and metric in
`FigureCount`, kept up to date in the same transaction as the change that moves them.

Each counted model has a source: a function that groups a set of its rows into
(area, day, metric, category, count). An action that changes rows wraps the change in
`core.changes.tracking(Model, pks)`, and one that creates them calls
`core.changes.added(Model, pks)`; this module is the watcher those reach (registered by
`InsightsConfig.ready`): `tracking` counts the rows before and after and adds the difference
at the rows' areas and every area above them, `added` counts the new rows. So whatever the
action does to a row (a dispute closed, a visit done or missed, a hazard fixed, a participant
added or taken off, a place moved to another grid), the rollups follow without each action
knowing which figures it moves. `rebuild()` counts everything again from the records (after
a bulk load, or to repair).

Reading: the figures for a node add up that node's rows for the period's days, for each
metric family through the viewer's reach of the family's permission: when the viewer's reach
covers the node, its own rows; otherwise the rows of the reached areas inside it. Counts
about residents watched as a special group or a key person are kept under their category and
added only where the viewer holds that category's permission too, as the record lists do.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from nuanxin.core import figures
from nuanxin.core.bulk import without_indexes
from nuanxin.core.scoping import Scope
from nuanxin.insights.models import FigureCount
from nuanxin.inspections.models import CATEGORY_PERMISSION, ChecklistVersion, Hazard, Rectification, Visit
from nuanxin.ledgers.models import Dispute, Outcome
from nuanxin.territory.models import Area, Place
from nuanxin.territory.queries import ancestor_paths
from nuanxin.volunteers.models import NEW_EMPLOYMENT_GROUPS, Activity, ActivityKind, ParticipantGroup

FIRE_SAFETY_TEMPLATE = "fire-safety"
FOOD_SAFETY_TEMPLATE = "food-safety"

# A metric's family is the part before its first underscore; the family says which
# permission a viewer needs to have the rows counted (the records' own scoping).
FAMILY_PERMISSIONS = {
    "disputes": "disputes.view",
    "activities": "activities.view",
    "participants": "activities.view",
    "hazards": "inspections.view",
    "visits": "inspections.view",
}
# A metric is named "<family>_<what>", and totals() reads its family up to the first "_".
assert not any("_" in family for family in FAMILY_PERMISSIONS), "a family's name has no underscore"
# Families whose rows may be about residents in a sensitive category.
SENSITIVE_FAMILIES = ("hazards", "visits")
ROLLUP_KINDS = (ActivityKind.FIRE_CHECK, ActivityKind.CLEANUP)
# Rows per upsert statement and primary keys per counting query.
BATCH = 500
CHUNK = 5000
COPY_BATCH = 50_000

# area id, day, metric, category, previous check day (NO_PREVIOUS unless the metric counts
# enterprises), count
Row = tuple[int, date, str, str, date, int]
Key = tuple[int, date, str, str, date]
NO_PREVIOUS = FigureCount.NO_PREVIOUS


def _category(value: str) -> str:
    """The rollup category: the sensitive resident categories kept apart, all else pooled."""
    return value if value in CATEGORY_PERMISSION else ""


def _template_versions(code: str) -> QuerySet[Any]:
    return ChecklistVersion.objects.filter(template__code=code).values("pk")


def _disputes(rows: QuerySet[Any]) -> Iterator[Row]:
    """Received on the day received; closed with its outcome (and, resolved by agreement,
    the level that settled it) on the day closed."""
    for r in rows.values("grid_id", "received_on").annotate(n=Count("id")).order_by().iterator():
        yield r["grid_id"], r["received_on"], "disputes_received", "", NO_PREVIOUS, r["n"]
    closed = rows.filter(state=Dispute.State.CLOSED, closed_on__isnull=False)
    grouped = closed.values("grid_id", "closed_on", "outcome", "settled_level").annotate(n=Count("id")).order_by()
    for r in grouped.iterator():
        if r["outcome"] == Outcome.AGREEMENT:
            yield r["grid_id"], r["closed_on"], "disputes_resolved", "", NO_PREVIOUS, r["n"]
            if r["settled_level"]:
                yield r["grid_id"], r["closed_on"], f"disputes_resolved_{r['settled_level']}", "", NO_PREVIOUS, r["n"]
        elif r["outcome"] in (Outcome.REFERRED, Outcome.FAILED):
            yield r["grid_id"], r["closed_on"], f"disputes_{r['outcome']}", "", NO_PREVIOUS, r["n"]


def _activities(rows: QuerySet[Any]) -> Iterator[Row]:
    """On the start day at the activity's area: sweeps and clean-ups, those with any
    new-employment participant and with each such group, and participants per group."""
    new_groups = [str(g) for g in NEW_EMPLOYMENT_GROUPS]
    aggregates: dict[str, Any] = {}
    for kind in ROLLUP_KINDS:
        is_kind = Q(kind=kind)
        aggregates[f"activities_{kind}"] = Count("id", distinct=True, filter=is_kind)
        aggregates[f"activities_{kind}_new"] = Count(
            "id", distinct=True, filter=is_kind & Q(participants__group__in=new_groups)
        )
        for group in new_groups:
            aggregates[f"activities_{kind}_{group}"] = Count(
                "id", distinct=True, filter=is_kind & Q(participants__group=group)
            )
    for group in ParticipantGroup.values:
        aggregates[f"participants_{group}"] = Count("participants__id", filter=Q(participants__group=group))
    for r in rows.values("area_id", "starts_on").annotate(**aggregates).order_by().iterator():
        for metric in aggregates:
            if r[metric]:
                yield r["area_id"], r["starts_on"], metric, "", NO_PREVIOUS, r[metric]


def _hazards(rows: QuerySet[Any]) -> Iterator[Row]:
    """The hazards of rectification orders on the day the order was issued: found, fixed
    (the item fixed at the re-check or the whole order closed as fixed), and the same for
    fire-safety visits."""
    fixed = Q(fixed=True) | Q(rectification__state=Rectification.State.FIXED)
    fire = Q(rectification__visit__version_id__in=_template_versions(FIRE_SAFETY_TEMPLATE))
    hazards = Hazard.objects.filter(rectification__in=rows.values("pk"))
    grouped = (
        hazards.values(
            area=F("rectification__grid_id"), day=F("rectification__issued_on"), cat=F("rectification__category")
        )
        .annotate(
            hazards_found=Count("id"),
            hazards_fixed=Count("id", filter=fixed),
            hazards_fire_found=Count("id", filter=fire),
            hazards_fire_fixed=Count("id", filter=fire & fixed),
        )
        .order_by()
    )
    for r in grouped.iterator():
        for metric in ("hazards_found", "hazards_fixed", "hazards_fire_found", "hazards_fire_fixed"):
            if r[metric]:
                yield r["area"], r["day"], metric, _category(r["cat"]), NO_PREVIOUS, r[metric]


def _visits(rows: QuerySet[Any]) -> Iterator[Row]:
    """Visits done on the local day they were done (on time when by their due day; food-safety
    checks among them), and visits missed on their due day."""
    food = Q(version_id__in=_template_versions(FOOD_SAFETY_TEMPLATE))
    done = (
        rows.filter(state=Visit.State.DONE, done_at__isnull=False)
        .annotate(done_day=TruncDate("done_at"))
        .values("grid_id", "done_day", "category")
        .annotate(
            visits_done=Count("id"),
            visits_on_time=Count("id", filter=Q(done_day__lte=F("due_on"))),
            visits_food_checks=Count("id", filter=food),
        )
        .order_by()
    )
    for r in done.iterator():
        for metric in ("visits_done", "visits_on_time", "visits_food_checks"):
            if r[metric]:
                yield r["grid_id"], r["done_day"], metric, _category(r["category"]), NO_PREVIOUS, r[metric]
    missed = rows.filter(state=Visit.State.MISSED).values("grid_id", "due_on", "category").annotate(n=Count("id"))
    for r in missed.order_by().iterator():
        yield r["grid_id"], r["due_on"], "visits_missed", _category(r["category"]), NO_PREVIOUS, r["n"]


def _food_places(places: Any, leave_out: list[int] | None = None) -> Iterator[Row]:
    """Every food-safety check of these places, keyed by the day of the same place's check
    before it (FigureCount.previous), so that the distinct enterprises checked in any period
    add up from the rollups. Counted per place, not per visit: a check done or undone moves
    the `previous` of the place's next check too.

    The check before depends on the node: a place moved to another grid was checked before
    in the old grid, which the new grid does not see but their community does. So a check
    gives a row at its grid with the grid's previous check, and at each area above where the
    previous check differs, a row moving the check from the lower area's previous day to
    this area's (+1 and -1). Added up the tree as every row is, each area then counts the
    check once, keyed by the previous check inside that area."""
    checks = (
        Visit.objects.filter(
            place_id__in=places,
            state=Visit.State.DONE,
            done_at__isnull=False,
            version_id__in=_template_versions(FOOD_SAFETY_TEMPLATE),
        )
        .exclude(pk__in=leave_out or [])
        .annotate(done_day=TruncDate("done_at"))
    )
    above = _areas_above(checks.values("grid_id"))
    metric = "visits_food_places"
    place, last = None, dict[int, date]()  # area id -> the day of the place's latest check inside it
    rows = checks.values_list("place_id", "grid_id", "done_day", "category").order_by("place_id", "done_at", "id")
    for place_id, grid, day, category in rows.iterator():
        if place_id != place:
            place, last = place_id, {}
        category, lower = _category(category), None
        for area in above[grid]:
            previous = last.get(area, NO_PREVIOUS)
            if lower is None:
                yield area, day, metric, category, previous, 1
            elif previous != lower:
                yield area, day, metric, category, previous, 1
                yield area, day, metric, category, lower, -1
            lower, last[area] = previous, day


def _areas_above(grids: QuerySet[Any]) -> dict[int, list[int]]:
    """Each of these grids' id -> its own id and its ancestors', the grid first: one query
    for the grids and every area above them."""
    areas = Area.objects.filter(Exists(Area.objects.filter(pk__in=grids, path__startswith=OuterRef("path"))))
    rows = list(areas.values_list("pk", "path", "level"))
    ids = {path: pk for pk, path, _level in rows}
    return {
        pk: [ids[above] for above in reversed(ancestor_paths(path))]
        for pk, path, level in rows
        if level == Area.Level.GRID
    }


SOURCES: dict[type[models.Model], Callable[[QuerySet[Any]], Iterator[Row]]] = {
    Dispute: _disputes,
    Activity: _activities,
    Rectification: _hazards,
    Visit: _visits,
}


def _registered(source: figures.FigureSource) -> Callable[[QuerySet[Any]], Iterator[Row]]:
    """An app's source (core.figures) as a rollup source: its rows pooled, with no previous day."""

    def rows(queryset: QuerySet[Any]) -> Iterator[Row]:
        for area, day, metric, n in source.rows(queryset):
            yield area, day, metric, "", NO_PREVIOUS, n

    return rows


def _source(model: type[models.Model]) -> Callable[[QuerySet[Any]], Iterator[Row]] | None:
    """How the rows of `model` are counted: by this module, or by the app that registered it."""
    if model in SOURCES:
        return SOURCES[model]
    registered = figures.source_for(model)
    return _registered(registered) if registered is not None else None


def _all_sources() -> list[tuple[type[models.Model], Callable[[QuerySet[Any]], Iterator[Row]]]]:
    return [*SOURCES.items(), *((s.model, _registered(s)) for s in figures.sources())]


def family_permissions() -> dict[str, str]:
    """Each metric family and the permission that counts it, the apps' registered ones too."""
    return FAMILY_PERMISSIONS | {s.family: s.permission for s in figures.sources()}


def _count(model: type[models.Model], pks: list[int]) -> Counter[Key]:
    counts: Counter[Key] = Counter()
    source = _source(model)
    if source is None:
        return counts
    for start in range(0, len(pks), CHUNK):
        rows = model._default_manager.filter(pk__in=pks[start : start + CHUNK])
        for area, day, metric, category, previous, n in source(rows):
            counts[(area, day, metric, category, previous)] += n
    if model is Visit:
        counts.update(_place_counts(pks))
    return counts


def _places_of(visits: list[int]) -> list[int]:
    places: set[int] = set()
    for start in range(0, len(visits), CHUNK):
        rows = Visit.objects.filter(pk__in=visits[start : start + CHUNK], place_id__isnull=False)
        places.update(rows.values_list("place_id", flat=True))
    return sorted(places)


def _place_counts(visits: list[int], *, leave_out: list[int] | None = None) -> Counter[Key]:
    """The food-safety checks of the places of these visits, each place once (without the
    visits in `leave_out`: what the places counted before those visits existed)."""
    counts: Counter[Key] = Counter()
    places = _places_of(visits)
    for start in range(0, len(places), CHUNK):
        for area, day, metric, category, previous, n in _food_places(places[start : start + CHUNK], leave_out):
            counts[(area, day, metric, category, previous)] += n
    return counts


@contextmanager
def tracking(model: type[models.Model], pks: Iterable[int]) -> Iterator[None]:
    """Keep the rollups right across a change to these rows of `model` (a no-op for a model
    nothing counts). Call inside the change's transaction: the rows are locked first, so a
    concurrent change to the same rows waits and counts from what this one leaves."""
    pks = sorted(pks)
    if _source(model) is None or not pks:
        yield
        return
    if connection.features.has_select_for_update:
        list(model._default_manager.select_for_update().filter(pk__in=pks).order_by("pk").values_list("pk"))
        if model is Visit:
            _lock_places(pks)
    before = _count(model, pks)
    yield
    after = _count(model, pks)
    after.subtract(before)
    _apply(after)


def added(model: type[models.Model], pks: Iterable[int]) -> None:
    """Count rows just created (new visits also move their places' other checks' counts)."""
    pks = sorted(pks)
    if model is Visit:
        _lock_places(pks)
    counts = _count(model, pks)
    if model is Visit:
        counts.subtract(_place_counts(pks, leave_out=pks))
    _apply(counts)


def _lock_places(visits: list[int]) -> None:
    """A visit's food-safety check moves its place's other checks' counts: two changes to
    one place's checks take turns."""
    if connection.features.has_select_for_update:
        places = _places_of(visits)
        list(Place.objects.select_for_update().filter(pk__in=places).order_by("pk").values_list("pk"))


def _apply(delta: Counter[Key]) -> None:
    """Add each change at its area and every area above it."""
    changes = {key: n for key, n in delta.items() if n}
    if not changes:
        return
    paths = dict(Area.objects.filter(pk__in={key[0] for key in changes}).values_list("pk", "path"))
    above = {area: ancestor_paths(path) for area, path in paths.items()}
    ids = dict(Area.objects.filter(path__in={p for ps in above.values() for p in ps}).values_list("path", "pk"))
    expanded: Counter[Key] = Counter()
    for (area, day, metric, category, previous), n in changes.items():
        for path in above[area]:
            expanded[(ids[path], day, metric, category, previous)] += n
    # One order for every writer, so two transactions never wait on each other's rows.
    _upsert(sorted(expanded.items()))


# Raw SQL because an upsert that adds to the count has no ORM form; table names come from the
# models and every value is a parameter.
def _upsert(rows: list[tuple[Key, int]]) -> None:
    table = connection.ops.quote_name(FigureCount._meta.db_table)
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(batch))
            params: list[Any] = []
            for (node, day, metric, category, previous), n in batch:
                params += [node, adapt(day), metric, category, adapt(previous), n]
            cursor.execute(
                f"INSERT INTO {table} (node_id, day, metric, category, previous, count) VALUES {values} "  # noqa: S608
                "ON CONFLICT (node_id, day, metric, category, previous) "
                f"DO UPDATE SET count = {table}.count + excluded.count",
                params,
            )


@transaction.atomic
def rebuild() -> int:
    """Count every record again. Every source's rows go at their own areas into a scratch
    table and are added up there; then, level by level from the grids up, each area's sums
    are added to its parent's; the sums replace the rollups in one statement, on PostgreSQL
    into the table without its indexes, which are built again after it (core.bulk). A city's
    visits give millions of rows: added up row by row into the indexed table they took
    minutes. The rollups are locked while it runs (reads of the figures wait for it).
    Returns the rows written."""
    table = connection.ops.quote_name(FigureCount._meta.db_table)
    areas = connection.ops.quote_name(Area._meta.db_table)
    postgres = connection.vendor == "postgresql"
    key = "node_id, day, metric, category, previous"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL work_mem = '256MB'")  # the sums are hashed in memory
        cursor.execute(
            "CREATE TEMPORARY TABLE figure_leaves "
            "(node_id bigint, day date, metric varchar(40), category varchar(24), previous date, count bigint)"
        )
        for model, source in _all_sources():
            _load_leaves(cursor, source(model._default_manager.all()))
        _load_leaves(cursor, _food_places(Visit.objects.exclude(place_id__isnull=True).values("place_id")))
        cursor.execute(
            f"CREATE TEMPORARY TABLE figure_sums AS SELECT {key}, SUM(count) AS count "  # noqa: S608
            f"FROM figure_leaves GROUP BY {key}"
        )
        for level in (Area.Level.GRID, Area.Level.COMMUNITY, Area.Level.STREET, Area.Level.DISTRICT):
            cursor.execute(
                f"INSERT INTO figure_sums ({key}, count) "  # noqa: S608
                f"SELECT a.parent_id, f.day, f.metric, f.category, f.previous, SUM(f.count) FROM figure_sums f "
                f"JOIN {areas} a ON a.id = f.node_id WHERE a.level = %s AND a.parent_id IS NOT NULL "
                "GROUP BY a.parent_id, f.day, f.metric, f.category, f.previous",
                [level],
            )
        with without_indexes([FigureCount]):
            cursor.execute(f"TRUNCATE {table}" if postgres else f"DELETE FROM {table}")  # noqa: S608
            cursor.execute(
                f"INSERT INTO {table} ({key}, count) "  # noqa: S608
                f"SELECT {key}, SUM(count) FROM figure_sums GROUP BY {key}"
            )
        cursor.execute("DROP TABLE figure_leaves")
        cursor.execute("DROP TABLE figure_sums")
    return FigureCount.objects.count()


def _load_leaves(cursor: Any, rows: Iterator[Row]) -> None:
    """Add one source's rows to the scratch table, in batches: on PostgreSQL the source reads
    through a server-side cursor, which cannot fetch while a COPY holds the connection."""
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= COPY_BATCH:
            _write_leaves(cursor, batch)
            batch = []
    _write_leaves(cursor, batch)


def _write_leaves(cursor: Any, rows: list[Row]) -> None:
    columns = "figure_leaves (node_id, day, metric, category, previous, count)"
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {columns} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elif rows:
        adapt = connection.ops.adapt_datefield_value
        cursor.executemany(
            f"INSERT INTO {columns} VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608 (names written here)
            [
                (node, adapt(day), metric, category, adapt(previous), n)
                for node, day, metric, category, previous, n in rows
            ],
        )


def _covering(node_path: str, reach: Iterable[str]) -> list[str]:
    """The paths whose subtrees make up the node's subtree within `reach`: the node itself
    when a reached path contains it, else the outermost reached paths inside it."""
    reach = sorted(reach)
    if any(node_path.startswith(path) for path in reach):
        return [node_path]
    return _outermost(path for path in reach if path.startswith(node_path))


def _outermost(paths: Iterable[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(outer) for outer in kept):
            kept.append(path)
    return kept


def _within(paths: list[str], reach: Iterable[str]) -> list[str]:
    """Where the subtrees of `paths` and of `reach` overlap."""
    reach = list(reach)
    return _outermost(p if p.startswith(r) else r for p in paths for r in reach if p.startswith(r) or r.startswith(p))


def totals(scope: Scope, node: Area, start: date, end: date) -> dict[str, int]:
    """Each metric's total over `start`..`end` (both included) in the node's subtree, through
    the viewer's scope: one query. It reads the period's sums per metric, category and node for
    every node any family may be counted at, and keeps here those the viewer may count: a
    filter per family and category in the SQL cost fifty times the query's own run to build."""
    counted = counted_paths(scope, node)
    if not counted:
        return {}
    # Checks whose place was checked earlier in the period are not another enterprise; every
    # other metric's `previous` is NO_PREVIOUS, before any period.
    sums = (
        FigureCount.objects.filter(
            node__path__in=sorted(set().union(*counted.values())), day__range=(start, end), previous__lt=start
        )
        .values_list("metric", "category", "node__path")
        .annotate(total=Sum("count"))
        .order_by()
    )
    # The scope, the node and the days decide the statement: compiled once per scope.
    rows = scope.replayed(("period totals", node.path, start, end), lambda: list(sums), _all_rows)
    total: Counter[str] = Counter()
    for metric, category, path, n in rows:
        if path in counted.get((metric.split("_", 1)[0], category), ()):
            total[metric] += int(n)  # a SUM read as it is comes as a decimal from PostgreSQL
    return dict(total)


def _all_rows(cursor: Any) -> list[tuple[Any, ...]]:
    return cursor.fetchall()  # type: ignore[no-any-return]


def counted_paths(scope: Scope, node: Area) -> dict[tuple[str, str], set[str]]:
    """(metric family, category) -> the paths of the nodes whose rows the viewer counts for the
    node: what `totals` keeps of the rows it reads."""
    counted: dict[tuple[str, str], set[str]] = {}
    for family, permission in family_permissions().items():
        paths = _covering(node.path, scope.paths_for(permission))
        if not paths:
            continue
        counted[(family, "")] = set(paths)
        if family in SENSITIVE_FAMILIES:
            for category, category_permission in CATEGORY_PERMISSION.items():
                allowed = _within(paths, scope.paths_for(category_permission))
                if allowed:
                    counted[(family, category)] = set(allowed)
    return counted
