"""The watchlist (places and tagged residents under watch) and its visits: each target's last
visit, a year of visits for some, and the rectification orders of the hazards they found."""

from bisect import bisect
from datetime import date, timedelta
from itertools import accumulate, pairwise
from typing import Any

from nuanxin.demo.city.geometry import coordinate, point
from nuanxin.demo.city.moments import dt, moment_at
from nuanxin.demo.city.plan import random_stream
from nuanxin.demo.city.sink import json_text
from nuanxin.demo.city.state import GeneratorState
from nuanxin.inspections.actions import frequency_for
from nuanxin.inspections.checklists import template_for
from nuanxin.inspections.models import (
    Category as WatchCategory,
)
from nuanxin.inspections.models import (
    Hazard,
    Rectification,
    Severity,
    Tier,
    Visit,
    WatchTarget,
)

VISIT_CHUNKS = 50  # chunks of watch targets whose visits are made on their own
HISTORY_SHARE = 0.2  # targets with a year of visits (the rest have their last visit only)


class WatchlistPart(GeneratorState):
    """The watch targets and their visits, rectification orders and hazards."""

    def watchlist(self) -> None:
        p = self.plan
        if not p.targets:
            return
        rng = random_stream(self.seed, "watchlist")
        versions = {}
        templates = {}
        for category in WatchCategory.values:
            template = template_for(category)
            version = template.current_version() if template else None
            if version is not None:
                versions[category] = (version.pk, version.items)
                templates[category] = template.code if template else ""
        place_categories = [
            (WatchCategory.CATERING, 40),
            (WatchCategory.EBIKE_CHARGING, 15),
            (WatchCategory.CROWDED_VENUE, 12),
            (WatchCategory.SMALL_HOTEL, 8),
            (WatchCategory.HAZARDOUS_GOODS, 8),
            (WatchCategory.OTHER_ENTERPRISE, 12),
            (WatchCategory.CONSTRUCTION_SITE, 5),
        ]
        category_cum = list(accumulate(w for _c, w in place_categories))
        resident_targets = min(p.targets - self.place_targets, len(self.tagged))
        place_targets = min(self.place_targets, self.business_count)
        total = place_targets + resident_targets
        target_first = self.ids.take(WatchTarget, total)
        targets: list[tuple[Any, ...]] = []
        for j in range(place_targets):
            grid = self.grids[j % len(self.grids)]
            category = place_categories[bisect(category_cum, rng.random() * category_cum[-1])][0]
            targets.append((target_first + j, category, self.business_first + j, None, grid))
        # The resident targets: spread over the tagged residents.
        step = len(self.tagged) / resident_targets if resident_targets else 1
        for k in range(resident_targets):
            rid, gi, kind = self.tagged[int(k * step)]
            targets.append((target_first + place_targets + k, kind, None, rid, self.grids[gi]))
        tiers = (Tier.HIGH, Tier.MEDIUM, Tier.LOW)
        tier_cum = (15, 65, 100)
        rows = []
        plans = []
        last_start = self.until - timedelta(days=120)
        for tid, category, place_id, resident_id, grid in targets:
            tier = tiers[bisect(tier_cum, rng.random() * 100)]
            frequency = frequency_for(category, tier)
            started = self.start + timedelta(days=rng.randrange(max(1, (last_start - self.start).days)))
            worker = self.worker_of[grid.id]
            rows.append(
                (
                    tid,
                    category,
                    place_id,
                    resident_id,
                    tier,
                    frequency,
                    0,
                    grid.id,
                    worker,
                    "",
                    started,
                    None,
                    dt(started, 9 * 3600),
                    dt(started, 9 * 3600),
                )
            )
            plans.append((tid, category, place_id, grid, worker, frequency, started))
        columns = (
            "id",
            "category",
            "place_id",
            "resident_id",
            "tier",
            "frequency",
            "clean_streak",
            "grid_id",
            "worker_id",
            "note",
            "started_on",
            "ended_on",
            "created_at",
            "updated_at",
        )
        with self.sink.loading([WatchTarget], len(rows)):
            self.counts["watch targets"] = self.sink.write(WatchTarget, columns, rows)
        del rows
        self.visits(plans, versions)

    def visits(self, plans: list[tuple[Any, ...]], versions: dict[str, tuple[int, list[dict[str, Any]]]]) -> None:
        """Each target's last visit, a year of visits for a share of them, and for visits that
        found a hazard a rectification order (fixed by a re-check, or still open).

        How many visits each target has is drawn here first, so that the routine visits can
        be made in VISIT_CHUNKS chunks of targets, each knowing its first visit id (in worker
        processes when there are enough: Sink.write_chunks). The chunks hand back the hazards
        their visits found; the orders and their re-checks (a visit in twenty finds one) are
        made from those here, in chunk order, numbered as the app numbers them."""
        rng = random_stream(self.seed, "visits")
        random_ = rng.random
        interval = {"weekly": 7, "monthly": 30, "quarterly": 91}
        year_ago = self.until - timedelta(days=365)
        # Each target's last due day and how many due days, one interval apart, come before it.
        schedule: list[tuple[date, int]] = []
        for _tid, _category, _place_id, _grid, _worker, frequency, started in plans:
            step = interval[frequency]
            last = max(started, self.until - timedelta(days=1 + int(random_() * step)))
            earlier = max(0, (last - max(year_ago, started)).days // step) if random_() < HISTORY_SHARE else 0
            schedule.append((last, earlier))
        bounds = [len(plans) * c // VISIT_CHUNKS for c in range(VISIT_CHUNKS + 1)]
        routine = sum(earlier + 1 for _last, earlier in schedule)
        visit_first = self.ids.take(Visit, routine)
        # The first visit id of each chunk: after the visits of the chunks before it.
        chunk_first = list(
            accumulate((sum(e + 1 for _l, e in schedule[a:b]) for a, b in pairwise(bounds)), initial=visit_first)
        )

        def answers(items: list[dict[str, Any]], hazard_item: dict[str, Any] | None) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for item in items:
                kind, rule = item["kind"], item.get("hazard")
                if kind == "yes_no":
                    value: Any = not rule["when"][0] if rule else True
                    if item is hazard_item:
                        value = rule["when"][0] if rule else value
                elif kind == "number":
                    value = 0 if item is hazard_item else 3
                elif kind == "choice":
                    keys = [c["key"] for c in item["choices"]]
                    bad = rule["when"] if rule else []
                    value = bad[0] if item is hazard_item else next(k for k in keys if k not in bad)
                else:
                    continue
                out[item["code"]] = value
            return out

        # A visit without a hazard answers every item the same way: made once per category.
        clean = {category: json_text(answers(items, None)) for category, (_v, items) in versions.items()}
        hazardous_items = {c: [i for i in items if i.get("hazard")] for c, (_v, items) in versions.items()}
        postgres = self.sink.postgres

        def chunk(c: int) -> tuple[tuple[list[tuple[Any, ...]]], list[tuple[Any, ...]]]:
            """The routine visits of targets [bounds[c], bounds[c + 1]), and the hazards they
            found: (visit id, target's index, day, check-in moment, item's index, lng, lat,
            and two draws for the order: fixed or not, and when)."""
            rng = random_stream(self.seed, "visits", c)
            random_ = rng.random
            # (due day, interval) -> the day as its column's text, and when such a visit was planned
            due_texts: dict[tuple[date, int], tuple[str, str]] = {}
            rows: list[tuple[Any, ...]] = []
            found: list[tuple[Any, ...]] = []
            vid = chunk_first[c]
            for i in range(bounds[c], bounds[c + 1]):
                tid, category, place_id, grid, worker, frequency, _started = plans[i]
                last, earlier = schedule[i]
                version_id = versions[category][0] if category in versions else None
                hazardous = hazardous_items.get(category, [])
                clean_answers = clean.get(category, "{}")
                step = interval[frequency]
                home = self.place_xy.get(place_id) if place_id else None
                lng, lat = home or point(rng, grid.box)
                for k in range(earlier, -1, -1):
                    day = last - timedelta(days=k * step)
                    texts = due_texts.get((day, step))
                    if texts is None:
                        planned_on = day - timedelta(days=step)
                        texts = due_texts[day, step] = (
                            day.isoformat(),
                            moment_at(planned_on, 8 * 3600, postgres=postgres),
                        )
                    due, planned = texts
                    visit = (vid, "routine", tid, category, place_id, None, None, grid.id, worker, due, version_id)
                    vid += 1
                    if random_() < 0.04:
                        rows.append((*visit, "missed", None, None, None, None, "{}", "", None, planned))
                        continue
                    done = moment_at(day, 9 * 3600 + int(random_() * 9 * 3600), postgres=postgres)
                    hazard = int(random_() * len(hazardous)) if hazardous and random_() < 0.05 else None
                    answered = clean_answers
                    if hazard is not None:
                        answered = json_text(answers(versions[category][1], hazardous[hazard]))
                        found.append((visit[0], i, day, done, hazard, lng, lat, random_(), random_()))
                    distance = 3 + int(random_() * 38)
                    lng_in, lat_in = (
                        coordinate(lng + (random_() - 0.5) * 4e-4),
                        coordinate(lat + (random_() - 0.5) * 4e-4),
                    )
                    rows.append((*visit, "done", done, lng_in, lat_in, distance, answered, "", done, planned))
            return (rows,), found

        columns = (
            "id",
            "kind",
            "target_id",
            "category",
            "place_id",
            "activity_id",
            "recheck_of_id",
            "grid_id",
            "worker_id",
            "due_on",
            "version_id",
            "state",
            "checked_in_at",
            "checked_in_lng",
            "checked_in_lat",
            "checked_in_distance",
            "answers",
            "note",
            "done_at",
            "created_at",
        )
        rect_columns = (
            "id",
            "number",
            "visit_id",
            "target_id",
            "place_id",
            "category",
            "grid_id",
            "responsible_party",
            "severity",
            "issued_on",
            "deadline",
            "state",
            "closed_at",
            "case_id",
            "created_at",
        )
        # Re-checks point at their orders: both are in before the foreign keys are checked.
        with self.sink.loading([Visit, Rectification], routine):
            (made,), found = self.sink.write_chunks(((Visit, columns),), chunk, VISIT_CHUNKS, expected=routine)
            rechecks: list[tuple[Any, ...]] = []
            rectifications: list[tuple[Any, ...]] = []
            hazards: list[tuple[Any, ...]] = []
            recheck_first = self.ids.take(Visit, 0)
            rect_first = self.ids.take(Rectification, 0)
            hazard_first = self.ids.take(Hazard, 0)
            per_year: dict[int, int] = {}
            for vid, i, day, done, h, lng, lat, fix_draw, close_draw in (f for part in found for f in part):
                tid, category, place_id, grid, worker, _frequency, _started = plans[i]
                version_id = versions[category][0]
                hazard = hazardous_items[category][h]
                severity = hazard["hazard"]["severity"]
                deadline = day + timedelta(days=3 if severity == Severity.MAJOR else 7)
                rect_id = rect_first + len(rectifications)
                seq = per_year[day.year] = per_year.get(day.year, 0) + 1
                fixed = deadline < self.until - timedelta(days=3) and fix_draw < 0.9
                closed_at = None
                if fixed:
                    # The re-check that closes the order.
                    recheck_day = min(deadline, self.until)
                    closed_at = moment_at(recheck_day, 9 * 3600 + int(close_draw * 9 * 3600), postgres=postgres)
                    rechecks.append(
                        (
                            recheck_first + len(rechecks),
                            "recheck",
                            tid,
                            category,
                            place_id,
                            None,
                            rect_id,
                            grid.id,
                            worker,
                            recheck_day,
                            version_id,
                            "done",
                            closed_at,
                            lng,
                            lat,
                            3 + int(random_() * 38),
                            clean[category],
                            "",
                            closed_at,
                            done,
                        )
                    )
                rectifications.append(
                    (
                        rect_id,
                        f"ZG{day.year}{seq:05d}",
                        vid,
                        tid,
                        place_id,
                        category,
                        grid.id,
                        "负责人",
                        severity,
                        day,
                        deadline,
                        "fixed" if fixed else "open",
                        closed_at,
                        None,
                        done,
                    )
                )
                hazards.append(
                    (
                        hazard_first + len(hazards),
                        rect_id,
                        hazard["code"],
                        hazard["label"][:200],
                        json_text(answers([hazard], hazard)[hazard["code"]]),
                        severity,
                        fixed,
                    )
                )
            self.counts["visits"] = made + self.sink.write(Visit, columns, rechecks)
            self.ids.take(Visit, len(rechecks))
            self.counts["rectifications"] = self.sink.write(Rectification, rect_columns, rectifications)
            self.ids.take(Rectification, len(rectifications))
            self.sink.write(Hazard, ("id", "rectification_id", "item", "label", "answer", "severity", "fixed"), hazards)
            self.ids.take(Hazard, len(hazards))
            self.counts["hazards"] = len(hazards)
