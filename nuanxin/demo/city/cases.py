"""The cases: what case generation needs from the rest of the city (from a build in progress or
read back from the tables, for a top-up), and the cases with their compact timelines, made
chunk by chunk so that case k is the same case whatever run writes it."""

import math
import random
import time
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

from django.db import transaction

from nuanxin.accounts.models import User
from nuanxin.cases.models import Case, CaseClass, CaseCounter, CaseEvent
from nuanxin.demo.builder import FOUNDED
from nuanxin.demo.cases import CLASS_WEIGHTS, DESCRIPTIONS, RESOLUTIONS
from nuanxin.demo.city.geometry import GridInfo, grid_label, point
from nuanxin.demo.city.moments import BEIJING, dt
from nuanxin.demo.city.names import mobile, person
from nuanxin.demo.city.plan import CityPlan, random_stream
from nuanxin.demo.city.sink import Ids, Say, Secret, Sink, TableStats
from nuanxin.demo.city.territory import TerritoryPart
from nuanxin.territory.models import Area, Place

CASE_CHUNK = 50_000


@dataclass
class CaseContext:
    """What case generation needs from the rest of the city; the same whether it comes from a
    build in progress or is read back from the tables (a top-up)."""

    grids: list[GridInfo]
    worker_of: dict[int, int]
    reporters_of: dict[tuple[int, int], list[int]]
    places_of: list[list[int]]
    # (id, code, level, emergency)
    classes: list[tuple[int, str, str, bool]]


PLACES_PER_GRID_FOR_CASES = 20

CLOSURES = (
    (Case.Closure.FIXED, 85),
    (Case.Closure.NO_ACTION, 5),
    (Case.Closure.DUPLICATE, 4),
    (Case.Closure.REFERRED, 3),
    (Case.Closure.CANCELLED, 3),
)
CHANNELS = (
    (Case.Channel.PHONE_PAGE, 45),
    (Case.Channel.STAFF, 25),
    (Case.Channel.API, 10),
    (Case.Channel.INSPECTION, 10),
    (Case.Channel.OPEN311, 5),
    (Case.Channel.MEETING, 5),
)
# States by the case's age in days: (state, weight) for cases at most this old.
STATES_BY_AGE = (
    (
        7,
        (
            ("closed", 30),
            ("rejected", 3),
            ("verified", 7),
            ("resolved", 15),
            ("in_progress", 20),
            ("dispatched", 13),
            ("accepted", 6),
            ("reported", 6),
        ),
    ),
    (30, (("closed", 75), ("rejected", 3), ("verified", 5), ("resolved", 7), ("in_progress", 6), ("dispatched", 4))),
    (10**6, (("closed", 94), ("rejected", 4), ("verified", 1), ("resolved", 1))),
)
# The steps a case has taken to reach its state (a compact timeline: the acceptance is
# folded into the dispatch and the start of handling into the resolution).
STEPS = {
    "reported": [],
    "accepted": [("accepted", "accepted")],
    "rejected": [("rejected", "rejected")],
    "dispatched": [("dispatched", "dispatched")],
    "in_progress": [("dispatched", "dispatched"), ("started", "in_progress")],
    "resolved": [("dispatched", "dispatched"), ("resolved", "resolved")],
    "verified": [("dispatched", "dispatched"), ("resolved", "resolved"), ("verified", "verified")],
    "closed": [("dispatched", "dispatched"), ("resolved", "resolved"), ("closed", "closed")],
}
CLOSED_AT_ONCE = [("closed", "closed")]  # refused with a closure code other than "fixed"
# The stage deadline of an open case: older open cases are overdue.
DEADLINE = timedelta(days=3)
OPEN_STATES = {"reported", "accepted", "dispatched", "in_progress", "resolved", "verified"}
ROADS = ["人民路", "北京路", "环城南路", "滇池路", "前卫西路", "日新中路", "西园路", "兴苑路", "金碧路", "青年路"]

CASE_COLUMNS = (
    "id",
    "number",
    "case_class_id",
    "description",
    "answers",
    "lng",
    "lat",
    "address",
    "grid_id",
    "place_id",
    "channel",
    "reporter_id",
    "reporter_name",
    "reporter_phone",
    "anonymous",
    "state",
    "closure",
    "level",
    "handler_id",
    "emergency",
    "urgent",
    "merged_into_id",
    "deadline",
    "satisfaction",
    "reported_at",
    "closed_at",
    "version",
)
EVENT_COLUMNS = (
    "id",
    "case_id",
    "at",
    "actor_id",
    "kind",
    "from_state",
    "to_state",
    "from_level",
    "to_level",
    "note",
    "internal",
    "late",
)


def _cum(pairs: Sequence[tuple[Any, int]]) -> tuple[list[Any], list[int]]:
    return [p[0] for p in pairs], list(accumulate(p[1] for p in pairs))


def _pick(rng: random.Random, table: tuple[list[Any], list[int]]) -> Any:
    values, cum = table
    return values[bisect(cum, rng.random() * cum[-1])]


def case_context_from_db(city: Area) -> CaseContext:
    grids = []
    for area in Area.objects.filter(level="grid", path__startswith=city.path).order_by("id"):
        ring = area.boundary["coordinates"][0]
        xs, ys = [pt[0] for pt in ring], [pt[1] for pt in ring]
        parts = area.path.strip("/").split("/")
        grids.append(
            GridInfo(
                area.pk,
                area.path,
                area.name,
                (min(xs), min(ys), max(xs), max(ys)),
                area.parent_id or 0,
                int(parts[2][1:]),
                int(parts[1][1:]),
                grid_label(area.path),
            )
        )
    users = dict(User.objects.filter(username__regex=r"^(grid|rider|resident)-").values_list("username", "id"))
    worker_of = {g.id: users[f"grid-{g.label}"] for g in grids}
    reporters_of: dict[tuple[int, int], list[int]] = {}
    for g in grids:
        key = (g.district_index, g.street_index)
        if key not in reporters_of:
            ds = f"d{key[0]:02d}-s{key[1]:02d}"
            reporters_of[key] = [users[f"rider-{ds}-{k}"] for k in range(1, 6)] + [
                users[f"resident-{ds}-{k}"] for k in range(1, 4)
            ]
    index = {g.id: i for i, g in enumerate(grids)}
    places_of: list[list[int]] = [[] for _ in grids]
    for grid_id, place_id in (
        Place.objects.filter(grid_id__in=index, kind__in=("merchant", "enterprise"))
        .order_by("id")
        .values_list("grid_id", "id")
    ):
        bucket = places_of[index[grid_id]]
        if len(bucket) < PLACES_PER_GRID_FOR_CASES:
            bucket.append(place_id)
    return CaseContext(grids, worker_of, reporters_of, places_of, _case_classes())


def _case_classes() -> list[tuple[int, str, str, bool]]:
    return list(CaseClass.objects.filter(active=True).order_by("id").values_list("id", "code", "level", "emergency"))


def case_context_from_build(gen: TerritoryPart) -> CaseContext:
    places_of = []
    for gi in range(len(gen.grids)):
        ids = [gen.business_of_grid(gi, k) for k in range(PLACES_PER_GRID_FOR_CASES)]
        places_of.append([i for i in ids if i is not None])
    return CaseContext(gen.grids, gen.worker_of, gen.reporters_of, places_of, _case_classes())


def write_cases(
    *, plan: CityPlan, context: CaseContext, sink: Sink, ids: Ids, have: int, counters: dict[date, int], say: Say
) -> int:
    """Cases have..plan.cases-1 of the city, each with its compact timeline; case k depends only
    on the seed, k and the end day (and its number on the day's counter). Made chunk by chunk
    (memory stays bounded) in one transaction with the day counters: all or nothing."""
    if have >= plan.cases or not context.classes:
        return 0
    with transaction.atomic(), sink.loading([Case, CaseEvent], plan.cases - have):
        return _write_cases(plan=plan, context=context, sink=sink, ids=ids, have=have, counters=counters, say=say)


def _write_cases(
    *, plan: CityPlan, context: CaseContext, sink: Sink, ids: Ids, have: int, counters: dict[date, int], say: Say
) -> int:
    start, until = FOUNDED, plan.until
    span = (until - start).days
    grid_rng = random_stream(plan.seed, "case-grids")
    grid_cum = list(accumulate(grid_rng.uniform(0.4, 1.6) for _ in context.grids))
    grid_total = grid_cum[-1]
    class_table = _cum([(c, CLASS_WEIGHTS.get(c[1], 1)) for c in context.classes])
    closures = _cum(CLOSURES)
    channels = _cum(CHANNELS)
    week, month, older = (_cum(table) for _limit, table in STATES_BY_AGE)
    levels = _cum([("grid", 80), ("community", 14), ("street", 5), ("agency", 1)])
    ratings = (5, 5, 5, 4, 4, 3, 2)
    fallback = ["现场发现问题，请尽快处理"]
    by_reporter = (Case.Channel.PHONE_PAGE, Case.Channel.API)
    written = 0
    now = datetime.combine(until, datetime.min.time(), tzinfo=BEIJING).astimezone(UTC) + timedelta(hours=20)
    # Made once rather than per case: the days of the history with their number prefix, and
    # the times a step takes (10 minutes to 36 hours, by the minute).
    history = [start + timedelta(days=n) for n in range(span + 1)]
    prefixes = {day: f"{day:%Y%m%d}-" for day in history}
    step_times = [timedelta(minutes=m) for m in range(10, 36 * 60)]
    step_count = len(step_times)
    for chunk in range(have // CASE_CHUNK, math.ceil(plan.cases / CASE_CHUNK)):
        drafting = time.monotonic()
        rng = random_stream(plan.seed, "cases", chunk)
        random_ = rng.random
        cases: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        case_first = ids.take(Case, 0)
        event_first = event_next = ids.take(CaseEvent, 0)
        days: set[date] = set()
        for k in range(chunk * CASE_CHUNK, min(plan.cases, (chunk + 1) * CASE_CHUNK)):
            # Every draw is made for every k, written or not, so case k is the same in any run.
            gi = bisect(grid_cum, random_() * grid_total)
            grid = context.grids[gi]
            cls = _pick(rng, class_table)
            day = history[min(span, int((span + 1) * random_() ** 0.8))]
            reported = dt(day, 7 * 3600 + int(random_() * 15 * 3600))
            if reported > now:
                reported = now - timedelta(minutes=1 + int(random_() * 600))
                day = reported.astimezone(BEIJING).date()
            age = (until - day).days
            state = _pick(rng, week if age <= 7 else month if age <= 30 else older)
            closure = _pick(rng, closures) if state == "closed" else ""
            channel = _pick(rng, channels)
            level = cls[2] if cls[2] != "grid" else _pick(rng, levels)
            lng, lat = point(rng, grid.box)
            places = context.places_of[gi]
            place = places[int(random_() * len(places))] if places and random_() < 0.2 else None
            descriptions = DESCRIPTIONS.get(cls[1]) or fallback
            description = descriptions[int(random_() * len(descriptions))]
            address = f"{ROADS[int(random_() * len(ROADS))]}{1 + int(random_() * 400)}号"
            reporter = None
            name = phone = ""
            anonymous = False
            worker = context.worker_of[grid.id]
            if channel in by_reporter:
                reporters = context.reporters_of.get((grid.district_index, grid.street_index))
                if reporters:
                    reporter = reporters[int(random_() * len(reporters))]
                    anonymous = random_() < 0.05
            elif channel == Case.Channel.STAFF:
                name, phone = person(rng)[0], mobile(rng)
            elif channel == Case.Channel.INSPECTION:
                reporter = worker
            durations = (
                step_times[int(random_() * step_count)],
                step_times[int(random_() * step_count)],
                step_times[int(random_() * step_count)],
            )
            late = random_() < 0.08
            satisfaction = ratings[int(random_() * 7)] if reporter and random_() < 0.6 else None
            if k < have:
                continue
            case_id = case_first + len(cases)
            counters[day] = number = counters.get(day, 0) + 1
            days.add(day)
            steps = STEPS[state]
            if state == "closed" and closure != Case.Closure.FIXED:
                steps = CLOSED_AT_ONCE
            at = reported
            events.append(
                (event_next, case_id, at, reporter or worker, "reported", "", "reported", "", "", "", False, False)
            )
            event_next += 1
            previous = "reported"
            last_step = len(steps) - 1
            for n, (kind, to_state) in enumerate(steps):
                at = at + durations[min(n, 2)]
                if at > now:
                    at = now
                note = RESOLUTIONS.get(cls[1], "") if kind == "resolved" else ""
                events.append(
                    (
                        event_next,
                        case_id,
                        at,
                        worker,
                        kind,
                        previous,
                        to_state,
                        "",
                        "",
                        note,
                        False,
                        late and n == last_step,
                    )
                )
                event_next += 1
                previous = to_state
            is_open = state in OPEN_STATES
            fixed = closure == "fixed"
            cases.append(
                (
                    case_id,
                    f"{prefixes.get(day) or f'{day:%Y%m%d}-'}{number:04d}",
                    cls[0],
                    description,
                    "{}",
                    lng,
                    lat,
                    address,
                    grid.id,
                    place,
                    channel,
                    None if anonymous else reporter,
                    Secret(name),
                    Secret(phone),
                    anonymous,
                    state,
                    closure,
                    level,
                    worker if (is_open and state not in ("reported", "accepted")) or fixed else None,
                    cls[3],
                    cls[3] and is_open,
                    None,
                    reported + DEADLINE if is_open else None,
                    satisfaction if fixed else None,
                    reported,
                    None if is_open else at,
                    len(steps),
                )
            )
        # Making the rows is part of the cost: counted with the cases (their events included).
        sink.stats.setdefault(Case._meta.db_table, TableStats()).seconds += time.monotonic() - drafting
        sink.write(Case, CASE_COLUMNS, cases)
        sink.write(CaseEvent, EVENT_COLUMNS, events)
        ids.take(Case, len(cases))
        ids.take(CaseEvent, event_next - event_first)
        if not sink.dry:
            _save_counters({day: counters[day] for day in days})
        written += len(cases)
        say(f"cases: {have + written:,}/{plan.cases:,}")
    return written


def _save_counters(counters: dict[date, int]) -> None:
    """Each day's last case number, so cases reported later through the app number on."""
    CaseCounter.objects.bulk_create(
        [CaseCounter(day=day, last=last) for day, last in counters.items()],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["last"],
        batch_size=1000,
    )
