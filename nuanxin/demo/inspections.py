"""The demo community's inspections, campaigns and disputes from the founding day to the build
day, made through the actions a user triggers, with explicit days.

On the founding day the community puts its key enterprises, special groups and key persons on
the watchlist. On each day a week or a month starts the daily job plans the due visits, and
each worker records their visits on a day they choose within the period (a few are missed,
half of those made up a few days late); a visit that finds a hazard opens a rectification
order, whose re-check on the deadline closes it, and raises the target's frequency until
clean visits bring it down. Over the same months the community runs its campaigns, the
seed's figures for 怡心桥社区: 62 fire-safety sweeps (riders took part in 14), 50 clean-ups
(riders in 21), monthly food-safety checks that reach more than 1,000 enterprises, a few
anti-fraud campaigns; and it mediates disputes, 49 of them resolved.

After the seed's period the rhythm is lighter (LIVING_*): the watchlist keeps the targets the
demo logins look after (grid1-worker, grid2-worker, grid1-leader), the others leave it; a
sweep and a clean-up every four weeks, a food-safety check a month, an anti-fraud campaign a
quarter, each with a small crowd, and two disputes a month. Each demo grid worker comes to the build day with a re-check
due that day and one overdue, from fire-safety sweeps that found hazards. The simulation only
decides who does what and when; every write is an action.
"""

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from nuanxin.demo.scopes import Scopes
from nuanxin.inspections import actions as inspections
from nuanxin.inspections.answers import hazards_in, worst
from nuanxin.inspections.checklists import template_for
from nuanxin.inspections.models import Category, ChecklistTemplate, Rectification, Visit, WatchTarget
from nuanxin.inspections.rectifications import deadline_days
from nuanxin.ledgers.disputes import actions as disputes
from nuanxin.ledgers.models import DisputeKind, DisputeSource, Outcome, SettledLevel
from nuanxin.people.models import ResidentTag
from nuanxin.territory.models import Area, Place, StaffAssignment
from nuanxin.volunteers.activities import actions as activities
from nuanxin.volunteers.models import ActivityKind, ParticipantGroup

if TYPE_CHECKING:
    from nuanxin.demo.builder import Builder

SHANGHAI = ZoneInfo("Asia/Shanghai")
Say = Callable[[str], None]

# The seed's figures for 2023-07 to 2024-12, and how many of each had riders taking part.
FIRE_SWEEPS, FIRE_SWEEPS_WITH_RIDERS = 62, 14
CLEANUPS, CLEANUPS_WITH_RIDERS = 50, 21
FOOD_SAFETY_ENTERPRISES = 1_014
ANTI_FRAUD = 6
DISPUTES_RESOLVED = 49
# Resolved disputes by the level that settled them ("small matters stay in the grid").
RESOLVED_LEVELS = [SettledLevel.GRID] * 37 + [SettledLevel.COMMUNITY] * 11 + [SettledLevel.STREET]
DISPUTES_REFERRED, DISPUTES_FAILED, DISPUTES_OPEN = 4, 2, 3
# After the seed's period: enterprises in each monthly food-safety check, disputes a month
# and how they end (mostly as the seed's did).
LIVING_FOOD_SAFETY_CHECKS = 10
LIVING_CAMPAIGN_DAYS = 28  # a sweep and a clean-up this often
LIVING_CROWD = (1, 4)  # volunteers, residents and party members at each
LIVING_DISPUTES = 2
LIVING_OUTCOMES = [(Outcome.AGREEMENT, level) for level in RESOLVED_LEVELS] + [
    (Outcome.REFERRED, SettledLevel.COMMUNITY)
] * DISPUTES_REFERRED
# How many days before its re-check was due a demo grid worker's overdue hazard was found.
OVERDUE_DAYS = 7

# How likely a checklist answer is a hazard, on a routine visit and on a campaign check.
HAZARD_CHANCE = 0.02
MISSED_CHANCE = 0.05

DISPUTE_SUMMARIES = {
    DisputeKind.NEIGHBOUR: [
        "楼上卫生间漏水到楼下，双方对维修费用有争议",
        "邻居在公共走廊堆放杂物引发争执",
        "养犬扰民引发邻里矛盾",
    ],
    DisputeKind.FAMILY: ["兄弟之间因赡养老人费用分担产生矛盾", "夫妻因家务琐事多次争吵，请求社区调解"],
    DisputeKind.PROPERTY_MANAGEMENT: ["业主对物业费上涨有异议", "地下车库漏水，业主与物业就维修责任产生争议"],
    DisputeKind.LANDLORD_TENANT: ["租客提前退租，押金退还产生纠纷", "房东与租客就房屋损坏赔偿产生争议"],
    DisputeKind.LABOUR: ["餐馆员工被拖欠两个月工资", "装修工人与业主就工钱结算产生纠纷"],
    DisputeKind.CONSUMER: ["顾客在理发店办卡后店铺转让，余额无法退还", "外卖商户与顾客就餐品质量产生纠纷"],
}
SESSION_NOTES = ["听取双方陈述，释法明理", "组织双方面对面协商", "邀请楼栋长、物业共同参与调解", "确认调解协议内容"]
CAMPAIGN_TITLES: dict[str, str] = {
    ActivityKind.FIRE_CHECK: "消防安全隐患排查",
    ActivityKind.CLEANUP: "环境卫生集中整治",
    ActivityKind.FOOD_SAFETY_CHECK: "食品安全检查督导",
    ActivityKind.ANTI_FRAUD: "反电诈宣传进社区",
}
CLEANUP_FINDINGS = ["清理楼道堆物、绿化带垃圾", "清运卫生死角建筑垃圾", "整治背街小巷乱堆乱放"]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=SHANGHAI)


def answers_for(items: list[dict[str, Any]], rng: random.Random, *, hazard_chance: float) -> dict[str, Any]:
    """Answers to a checklist: each item that can mark a hazard does so by chance, the rest are
    the answers of a place in order. Photo and optional text items are left out."""
    answers: dict[str, Any] = {}
    for item in items:
        code, kind, rule = item["code"], item["kind"], item.get("hazard") or {}
        hazard = bool(rule) and rng.random() < hazard_chance
        if kind == "yes_no":
            hazardous_answer = bool(rule["when"][0]) if rule else False
            answers[code] = hazardous_answer if hazard else not hazardous_answer
        elif kind == "number":
            answers[code] = 0 if (hazard and "below" in rule) else rng.randint(2, 6)
        elif kind == "choice":
            bad_keys = set(rule.get("when") or [])
            keys = [c["key"] for c in item["choices"]]
            pool = [k for k in keys if (k in bad_keys) == hazard]
            answers[code] = rng.choice(pool or keys)
    return answers


class History:
    def __init__(self, *, rng: random.Random, community: Area, manager: Any, riders: list[Any], say: Say) -> None:
        self.rng, self.community, self.manager, self.riders, self.say = rng, community, manager, riders, say
        self.grids = list(Area.objects.filter(level="grid", path__startswith=community.path).order_by("code"))
        self.workers = {
            grid.pk: [
                a.person
                for a in StaffAssignment.objects.filter(grid=grid, duty="grid_worker")
                .select_related("person")
                .order_by("id")
            ]
            for grid in self.grids
        }
        # Key persons are visited by the grid leader: grid workers may not know of them.
        self.leaders = {
            a.grid_id: a.person
            for a in StaffAssignment.objects.filter(grid__in=self.grids, duty="grid_leader").select_related("person")
        }
        self.places = list(
            Place.objects.filter(grid__path__startswith=community.path).select_related("grid").order_by("pk")
        )
        self.counts: dict[str, int] = {}
        self.scope = Scopes()
        # Visits no one records in the history: what the build day finds due or overdue.
        self.left: set[int] = set()

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def worker_of(self, grid_id: int) -> Any:
        return self.rng.choice(self.workers[grid_id])

    # the watchlist

    def watchlist(self, day: date) -> None:
        enterprises = [p for p in self.places if p.kind in (Place.Kind.MERCHANT, Place.Kind.ENTERPRISE)]
        catering = [p for p in enterprises if (p.attributes or {}).get("category") == "餐饮"]
        hardware = [p for p in enterprises if (p.attributes or {}).get("category") == "五金建材"]
        centres = [p for p in self.places if p.kind == Place.Kind.COMMERCIAL_CENTRE]
        compounds = [p for p in self.places if p.kind == Place.Kind.COMPOUND]
        plan: list[tuple[str, str, Place]] = []
        for n, place in enumerate(self.rng.sample(catering, min(30, len(catering)))):
            plan.append((Category.CATERING, "high" if n < 4 else "medium" if n < 20 else "low", place))
        plan += [(Category.HAZARDOUS_GOODS, "medium", p) for p in self.rng.sample(hardware, min(4, len(hardware)))]
        plan += [(Category.CROWDED_VENUE, "medium", p) for p in centres]
        plan += [(Category.EBIKE_CHARGING, "medium", p) for p in self.rng.sample(compounds, min(6, len(compounds)))]
        for category, tier, place in plan:
            self.add(category, tier, place.grid_id, day, place=place)
        tags = ResidentTag.objects.filter(resident__grid__path__startswith=self.community.path).select_related(
            "resident"
        )
        special = [t.resident for t in tags.filter(kind=ResidentTag.Kind.SPECIAL_GROUP).order_by("resident_id")]
        key = [t.resident for t in tags.filter(kind=ResidentTag.Kind.KEY_PERSON).order_by("resident_id")]
        for resident in self.rng.sample(special, min(15, len(special))):
            self.add(Category.SPECIAL_GROUP, "medium", resident.grid_id, day, resident=resident)
        for resident in self.rng.sample(key, min(4, len(key))):
            self.add(Category.KEY_PERSON, "high", resident.grid_id, day, resident=resident)

    def add(self, category: str, tier: str, grid_id: int, day: date, **subject: Any) -> None:
        worker = self.leaders[grid_id] if category == Category.KEY_PERSON else self.worker_of(grid_id)
        inspections.add_target(
            actor=self.manager,
            scope=self.scope(self.manager),
            category=category,
            tier=tier,
            worker=worker,
            today=day,
            reason="纳入差异化巡查重点清单",
            **subject,
        )
        self.count("watch targets")

    # visits

    def visits(self, start: date, end: date, *, trim_on: date, keep: list[Any]) -> None:
        """Day by day: plan, then record what each worker does that day (routine visits on a
        day chosen in their period, re-checks on their deadline). On `trim_on` the watchlist
        keeps only the targets `keep` look after."""
        planned: dict[int, date | None] = {}
        seen = 0
        day = start
        while day <= end:
            if day == trim_on:
                self.trim_watchlist(day, keep)
            if day == start or day.weekday() == 0 or day.day == 1:
                # The daily job, on the days a week, month or quarter starts: the only days it
                # has visits to plan (on the others it would only mark as missed what the next
                # of these runs marks too, which the figures count the same).
                inspections.generate_due_visits(today=day)
            for visit in Visit.objects.filter(state=Visit.State.DUE, pk__gt=seen).select_related("recheck_of"):
                seen = max(seen, visit.pk)
                if visit.pk in self.left:
                    planned[visit.pk] = None
                elif visit.recheck_of is not None:
                    # On the deadline or a day or two before, never before the order was issued
                    # (campaign checks made their orders ahead of this loop).
                    earliest = max(day, visit.recheck_of.issued_on + timedelta(days=1))
                    planned[visit.pk] = max(earliest, visit.due_on - timedelta(days=self.rng.randint(0, 2)))
                elif self.rng.random() < MISSED_CHANCE:
                    # Missed in its period; half of those are made up a few days late.
                    late = self.rng.random() < 0.5
                    planned[visit.pk] = visit.due_on + timedelta(days=self.rng.randint(1, 5)) if late else None
                else:
                    span = max(0, (visit.due_on - day).days)
                    planned[visit.pk] = day + timedelta(days=self.rng.randint(0, span))
            todays = [pk for pk, when in planned.items() if when == day]
            for visit in (
                Visit.objects.filter(pk__in=todays)
                .exclude(state=Visit.State.DONE)
                .select_related("version", "place", "target__resident", "worker")
            ):
                if not Visit.objects.filter(pk=visit.pk).exists():
                    # A hazard found earlier today on the same target changed its frequency,
                    # and its routine visit was planned again (inspections._replan): the new
                    # one comes up on a later day.
                    continue
                self.record(visit, day)
            day += timedelta(days=1)
            if day.day == 1:
                self.say(f"visits: {day:%Y-%m}, {self.counts.get('visits', 0)} recorded")

    def trim_watchlist(self, day: date, keep: list[Any]) -> None:
        """The end of the seed's drive: the targets the people in `keep` look after stay on
        the watchlist, the others leave it."""
        kept = {person.pk for person in keep}
        targets = WatchTarget.objects.active().filter(grid__in=self.grids).exclude(worker_id__in=kept)
        for target in targets.select_related("grid").order_by("pk"):
            inspections.end_target(
                actor=self.manager,
                scope=self.scope(self.manager),
                target=target,
                reason="专项整治期结束，风险已降低，移出重点清单",
                today=day,
            )
            self.count("watch targets ended")

    def record(self, visit: Visit, day: date) -> None:
        items = visit.version.items if visit.version else []
        # A re-check finds the hazards fixed; a routine visit may find new ones.
        chance = 0.0 if visit.kind == Visit.Kind.RECHECK else HAZARD_CHANCE
        place = visit.place
        inspections.record_visit(
            actor=visit.worker,
            scope=self.scope(visit.worker),
            visit=visit,
            answers=answers_for(items, self.rng, hazard_chance=chance),
            note="",
            lng=place.lng if place else None,
            lat=place.lat if place else None,
            now=_at(day, self.rng.randint(9, 17)),
        )
        self.count("visits")

    # campaigns

    def campaigns(self, start: date, end: date) -> None:
        days = (end - start).days
        enterprises = [p for p in self.places if p.kind in (Place.Kind.MERCHANT, Place.Kind.ENTERPRISE)]
        food = ChecklistTemplate.objects.get(code="food-safety")
        # Food safety: one check a month, each reaching the next share of the enterprises. The
        # restaurants on the watchlist are among them (their routine visits use the same
        # checklist), so the enterprises checked are the seed's figure whichever visits are done.
        watched = set(
            WatchTarget.objects.filter(
                category=Category.CATERING, place__isnull=False, grid__path__startswith=self.community.path
            ).values_list("place_id", flat=True)
        )
        first = [p for p in enterprises if p.pk in watched]
        others = [p for p in enterprises if p.pk not in watched]
        wanted = min(FOOD_SAFETY_ENTERPRISES, len(enterprises)) - len(first)
        checked = first + self.rng.sample(others, max(0, wanted))
        months = [date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 8) for m in range(18)]
        months = [m for m in months if m <= end]
        share = -(-len(checked) // len(months))
        for n, day in enumerate(months):
            activity = self.campaign(ActivityKind.FOOD_SAFETY_CHECK, day, self.community, riders=False)
            for place in checked[n * share : (n + 1) * share]:
                self.check(activity, place, food, day)
        # Fire-safety sweeps and clean-ups through the months, riders in some of them.
        for kind, total, with_riders in (
            (ActivityKind.FIRE_CHECK, FIRE_SWEEPS, FIRE_SWEEPS_WITH_RIDERS),
            (ActivityKind.CLEANUP, CLEANUPS, CLEANUPS_WITH_RIDERS),
            (ActivityKind.ANTI_FRAUD, ANTI_FRAUD, 0),
        ):
            riders = set(self.rng.sample(range(total), with_riders))
            for n in range(total):
                day = start + timedelta(days=(days * n) // total + self.rng.randint(0, 3))
                grid = self.rng.choice(self.grids)
                activity = self.campaign(kind, min(day, end), grid, riders=n in riders)
                if kind == ActivityKind.FIRE_CHECK:
                    self.sweep(activity, grid, min(day, end), enterprises)
            self.say(f"campaigns: {total} {kind}")

    def sweep(self, activity: Any, grid: Area, day: date, enterprises: list[Place]) -> None:
        """A fire-safety sweep checks up to four enterprises of its grid."""
        fire = template_for(Category.CROWDED_VENUE)
        assert fire is not None
        in_grid = [p for p in enterprises if p.grid_id == grid.pk]
        for place in self.rng.sample(in_grid, min(4, len(in_grid))):
            self.check(activity, place, fire, day)

    def living_campaigns(self, start: date, end: date) -> None:
        """After the seed's period, every four weeks: a fire-safety sweep and a clean-up in one
        of the grids (riders in about a third of them); a food-safety check of the next
        LIVING_FOOD_SAFETY_CHECKS enterprises on the 8th of each month, an anti-fraud campaign
        in each quarter."""
        enterprises = [p for p in self.places if p.kind in (Place.Kind.MERCHANT, Place.Kind.ENTERPRISE)]
        food = ChecklistTemplate.objects.get(code="food-safety")
        week, checked = start, 0
        while week <= end:
            for kind in (ActivityKind.FIRE_CHECK, ActivityKind.CLEANUP):
                day = week + timedelta(days=self.rng.randrange(LIVING_CAMPAIGN_DAYS))
                grid = self.rng.choice(self.grids)
                if day <= end:
                    activity = self.campaign(kind, day, grid, riders=self.rng.random() < 0.35, crowd=LIVING_CROWD)
                    if kind == ActivityKind.FIRE_CHECK:
                        self.sweep(activity, grid, day, enterprises)
            for day in (week + timedelta(days=n) for n in range(LIVING_CAMPAIGN_DAYS)):
                if day > end:
                    break
                if day.day == 8 and enterprises:
                    activity = self.campaign(
                        ActivityKind.FOOD_SAFETY_CHECK, day, self.community, riders=False, crowd=LIVING_CROWD
                    )
                    for n in range(min(LIVING_FOOD_SAFETY_CHECKS, len(enterprises))):
                        self.check(activity, enterprises[(checked + n) % len(enterprises)], food, day)
                    checked += LIVING_FOOD_SAFETY_CHECKS
                if day.day == 15 and day.month % 3 == 2:
                    self.campaign(
                        ActivityKind.ANTI_FRAUD, day, self.rng.choice(self.grids), riders=False, crowd=LIVING_CROWD
                    )
            week += timedelta(days=LIVING_CAMPAIGN_DAYS)

    def present_sweeps(self, workers: list[Any], today: date, after: date) -> None:
        """The build day's visits for each of `workers` (the demo's grid-worker logins): two
        fire-safety sweeps of their grid in which they found hazards at a place, one whose
        re-check is due on the build day and one whose re-check was due OVERDUE_DAYS before
        and never made. Sweeps that would fall on or before `after` (the seed's period, whose
        figures are exact) are left out."""
        fire = template_for(Category.CROWDED_VENUE)
        version = fire.current_version() if fire else None
        assert fire is not None and version is not None
        answers = answers_for(version.items, self.rng, hazard_chance=1.0)
        days = deadline_days(worst([h["severity"] for h in hazards_in(version.items, answers)]))
        for worker in workers:
            grid_id = next(g for g, people in self.workers.items() if worker in people)
            grid = next(g for g in self.grids if g.pk == grid_id)
            places = [p for p in self.places if p.grid_id == grid_id and p.kind != Place.Kind.BUILDING]
            for found in (today - timedelta(days=days + OVERDUE_DAYS), today - timedelta(days=days)):
                if found <= after:
                    continue
                activity = self.campaign(ActivityKind.FIRE_CHECK, found, grid, riders=False, crowd=LIVING_CROWD)
                visit = self.check(activity, self.rng.choice(places), fire, found, worker=worker, answers=answers)
                order = Rectification.objects.get(visit=visit)
                self.left.update(order.rechecks.values_list("pk", flat=True))

    def campaign(self, kind: str, day: date, area: Area, *, riders: bool, crowd: tuple[int, int] = (3, 12)) -> Any:
        """An activity of `kind` on `day` in `area` with some of its grids' workers, `crowd`
        (fewest, most) volunteers, residents and party members, and riders and a courier when
        `riders`."""
        findings = self.rng.choice(CLEANUP_FINDINGS) if kind == ActivityKind.CLEANUP else ""
        activity = activities.create_activity(
            actor=self.manager,
            scope=self.scope(self.manager),
            kind=kind,
            title=f"{area.name}{CAMPAIGN_TITLES[kind]}",
            area=area,
            starts_on=day,
            ends_on=day,
            location=area.name,
            findings=findings,
        )
        grid_ids = [area.pk] if area.level == "grid" else [g.pk for g in self.grids]
        staff = {self.worker_of(grid_id) for grid_id in grid_ids[:3]}
        for person in staff:
            activities.add_participant(
                actor=self.manager,
                scope=self.scope(self.manager),
                activity=activity,
                group=ParticipantGroup.STAFF,
                user=person,
            )
        for _ in range(self.rng.randint(*crowd)):
            group = self.rng.choice(
                [ParticipantGroup.VOLUNTEER, ParticipantGroup.RESIDENT, ParticipantGroup.PARTY_MEMBER]
            )
            activities.add_participant(
                actor=self.manager, scope=self.scope(self.manager), activity=activity, group=group, name=self.name()
            )
        if riders:
            for rider in self.rng.sample(self.riders, min(len(self.riders), self.rng.randint(1, 3))):
                activities.add_participant(
                    actor=self.manager,
                    scope=self.scope(self.manager),
                    activity=activity,
                    group=ParticipantGroup.RIDER,
                    user=rider,
                )
            activities.add_participant(
                actor=self.manager,
                scope=self.scope(self.manager),
                activity=activity,
                group=ParticipantGroup.COURIER,
                name=self.name(),
            )
        self.count(f"campaigns {kind}")
        return activity

    def check(
        self,
        activity: Any,
        place: Place,
        template: ChecklistTemplate,
        day: date,
        *,
        worker: Any = None,
        answers: dict[str, Any] | None = None,
    ) -> Visit:
        """A campaign's check of `place` by a worker of its grid (or `worker`), with answers
        by chance (or `answers`)."""
        version = template.current_version()
        assert version is not None
        worker = worker or self.worker_of(place.grid_id)
        visit = inspections.record_check(
            actor=worker,
            scope=self.scope(worker),
            activity=activity,
            place=place,
            template=template,
            answers=answers or answers_for(version.items, self.rng, hazard_chance=HAZARD_CHANCE),
            lng=place.lng,
            lat=place.lat,
            now=_at(day, self.rng.randint(9, 17)),
        )
        self.count("campaign checks")
        return visit

    def name(self) -> str:
        return self.rng.choice("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗") + self.rng.choice(
            [
                "伟",
                "芳",
                "娜",
                "敏",
                "静",
                "丽",
                "强",
                "磊",
                "军",
                "洋",
                "勇",
                "艳",
                "杰",
                "娟",
                "涛",
                "明",
                "超",
                "秀英",
            ]
        )

    # disputes

    def disputes(self, start: date, end: date) -> None:
        """The seed's disputes: received through the period, 49 resolved, some referred or
        failed, and a few of its last days still open at its end."""
        outcomes = (
            [(Outcome.AGREEMENT, level) for level in RESOLVED_LEVELS]
            + [(Outcome.REFERRED, SettledLevel.COMMUNITY)] * DISPUTES_REFERRED
            + [(Outcome.FAILED, SettledLevel.GRID)] * DISPUTES_FAILED
        )
        self.rng.shuffle(outcomes)
        span = (end - start).days - 30
        for n, outcome in enumerate(outcomes):
            self.dispute(start + timedelta(days=(span * n) // len(outcomes)), outcome, end)
        for _ in range(DISPUTES_OPEN):
            self.dispute(end - timedelta(days=self.rng.randint(1, 10)), None, end)
        self.say(f"disputes: {len(outcomes) + DISPUTES_OPEN}")

    def living_disputes(self, start: date, end: date) -> None:
        """After the seed's period, LIVING_DISPUTES a month, most settled by agreement in the
        grid; those of the last ten days are still being mediated."""
        day = start
        while day <= end:
            received = day + timedelta(days=self.rng.randint(0, 29))
            if received <= end:
                outcome = self.rng.choice(LIVING_OUTCOMES)
                self.dispute(received, outcome if received < end - timedelta(days=10) else None, end)
            day += timedelta(days=30 // LIVING_DISPUTES)

    def dispute(self, received: date, outcome: tuple[str, str] | None, end: date) -> None:
        """A dispute received on `received` in a grid, mediated by one of its workers (with a
        volunteer at times) in one to three sessions, and closed with `outcome` (outcome,
        level), or still open; nothing dated after `end`."""
        grid = self.rng.choice(self.grids)
        kind = self.rng.choice(list(DISPUTE_SUMMARIES))
        mediator = self.worker_of(grid.pk)
        dispute = disputes.register_dispute(
            actor=mediator,
            scope=self.scope(mediator),
            kind=kind,
            summary=self.rng.choice(DISPUTE_SUMMARIES[kind]),
            source=self.rng.choice(list(DisputeSource.values)),
            grid=grid,
            received_on=received,
            parties=[{"kind": "person", "name": self.name()}, {"kind": "person", "name": self.name()}],
        )
        disputes.add_mediator(actor=mediator, scope=self.scope(mediator), dispute=dispute, user=mediator, group="staff")
        if self.rng.random() < 0.4:
            disputes.add_mediator(
                actor=mediator, scope=self.scope(mediator), dispute=dispute, name=self.name(), group="volunteer"
            )
        held = received
        for _ in range(self.rng.randint(1, 3)):
            held = min(end, held + timedelta(days=self.rng.randint(0, 5)))
            disputes.record_session(
                actor=mediator,
                scope=self.scope(mediator),
                dispute=dispute,
                held_on=held,
                summary=self.rng.choice(SESSION_NOTES),
            )
        if outcome is None:
            self.count("disputes open")
            return
        disputes.close_dispute(
            actor=mediator,
            scope=self.scope(mediator),
            dispute=dispute,
            outcome=outcome[0],
            settled_level=outcome[1],
            closed_on=min(end, held + timedelta(days=self.rng.randint(0, 3))),
        )
        self.count(f"disputes {outcome[0]}")


def build_inspection_history(
    *,
    rng: random.Random,
    community: Area,
    manager: Any,
    riders: list[Any],
    workers: list[Any],
    keep: list[Any],
    start: date,
    seed_end: date,
    today: date,
    say: Say = lambda _message: None,
) -> dict[str, int]:
    """The watchlist from `start`; the seed's campaigns and disputes to `seed_end`, the living
    ones after it; the build day's sweeps for `workers`; the visits day by day to the eve of
    the build day `today`, of the targets `keep` look after once the seed's period is over.
    Returns what was made, counted."""
    history = History(rng=rng, community=community, manager=manager, riders=riders, say=say)
    history.watchlist(start)
    history.campaigns(start, seed_end)
    history.disputes(start, seed_end)
    living = seed_end + timedelta(days=1)
    history.living_campaigns(living, today - timedelta(days=1))
    history.living_disputes(living, today - timedelta(days=1))
    history.present_sweeps(workers, today, seed_end)
    history.visits(start, today - timedelta(days=1), trim_on=living, keep=keep)
    # The present: the build day's run of the daily job plans the visits now due (and marks
    # what the history left undone as missed), as it does every day under `make run`.
    history.count("visits due now", inspections.generate_due_visits(today=today))
    return history.counts


def inspection_history(builder: "Builder", start: date, end: date) -> dict[str, int]:
    """The demo history's watchlist, visits, campaigns and disputes (nuanxin.core.demo_history);
    the riders who reported cases take part in campaigns. Nothing without a seed period."""
    if builder.seed_period is None:
        return {}
    users = get_user_model().objects
    return build_inspection_history(
        rng=builder.rng,
        community=builder.community,
        manager=builder.users["community"],
        riders=list(users.filter(username__regex=r"^rider[0-9]+$").order_by("pk")),
        workers=[builder.users["grid1-worker"], builder.users["grid2-worker"]],
        keep=[builder.users[name] for name in ("grid1-worker", "grid2-worker", "grid1-leader")],
        start=start,
        seed_end=builder.seed_period[1],
        today=end,
        say=builder.say,
    )
