"""The demo community's case history, made through the case actions with explicit times.

From the founding day to the build day people report what they see (riders and residents on
the phone page and the API, callers through the staff: about one case a day in the seed's
period, one or two a week after it), and the staff take each case around the closed loop: the
grid leader accepts and dispatches, the worker handles and shows an after-photo, someone else
verifies and closes, the reporter evaluates. Some cases are refused
with an honest closure code, some are duplicates merged into an open one, big matters go up to
the community, slow ones are escalated by the time-limit job (run every evening of the
history), and a few come back "not fixed". The history stops at the present, early on the
build day, and leaves the cases wherever it finds them; among them the day's work (PRESENT):
a case in every state of the loop, one emergency being handled, and cases nobody took on in
time. Every step is the action a user would trigger; the simulation only decides who does
what and when, in time order.
"""

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from nuanxin.accounts.models import User
from nuanxin.accounts.roles import Role
from nuanxin.cases import actions
from nuanxin.cases.models import Case, CaseClass, Level
from nuanxin.core.errors import DomainError
from nuanxin.core.notifications import mark_all_read
from nuanxin.demo.scopes import Scopes
from nuanxin.territory.models import Area, Place, StaffAssignment
from nuanxin.territory.queries import staff_on

if TYPE_CHECKING:
    from nuanxin.demo.builder import Builder

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)

# How often each class is reported (relative weights), what people write and what was done.
CLASS_WEIGHTS = {
    "sanitation": 24,
    "illegal-parking": 14,
    "blocked-fire-exit": 13,
    "damaged-facility": 11,
    "ebike-indoor-charging": 8,
    "noise": 8,
    "illegal-occupation": 6,
    "neighbour-dispute": 5,
    "fire-hazard": 3,
    "food-safety": 3,
    "vulnerable-person": 2,
    "stove-left-on": 1,
    "other": 2,
}
DESCRIPTIONS = {
    "sanitation": ["垃圾桶满了没人清运", "绿化带里堆了建筑垃圾", "楼下垃圾散落一地，有异味", "小区门口有人乱倒垃圾"],
    "illegal-parking": ["消防车道上停了两辆私家车", "电动车堵住单元门口", "小区出入口有车辆长期占道停放"],
    "blocked-fire-exit": ["楼道里堆满了纸箱和旧家具", "安全出口被杂物堵住", "消防通道被快递车堵住"],
    "damaged-facility": ["路灯不亮了", "健身器材螺丝松动有危险", "人行道地砖破损容易绊倒", "井盖松动"],
    "ebike-indoor-charging": ["有人把电动车推进楼道充电", "住户从窗口拉线给电动车充电"],
    "noise": ["楼上装修噪音太大", "夜里烧烤店音响声音太大", "广场舞音响太吵"],
    "illegal-occupation": ["商铺把货物摆到人行道上", "流动摊贩占道经营", "早餐店桌椅摆到了路边"],
    "neighbour-dispute": ["楼上漏水到我家，协商不成", "邻居在公共走廊放鞋柜引起争执", "宠物狗扰民邻里吵架"],
    "fire-hazard": ["电线老化裸露", "灭火器过期", "商铺里存放液化气罐"],
    "food-safety": ["小吃店后厨卫生很差", "买到过期食品", "无证摊贩售卖熟食"],
    "vulnerable-person": ["独居老人几天没出门了", "老人在路边摔倒需要帮助"],
    "stove-left-on": ["闻到燃气味，家里没人", "邻居家厨房冒烟，敲门无人应答"],
    "other": ["小区宣传栏内容过期", "共享单车乱停放"],
}
RESOLUTIONS = {
    "sanitation": "已联系环卫清运，现场已清理干净",
    "illegal-parking": "已联系车主挪车，并张贴提示",
    "blocked-fire-exit": "已督促住户清理楼道堆物，通道畅通",
    "damaged-facility": "已通知物业维修，现已修复",
    "ebike-indoor-charging": "已劝导住户到集中充电点充电，并开展安全宣传",
    "noise": "已上门劝导，约定施工和活动时间",
    "illegal-occupation": "已会同城管劝导商户退店经营",
    "neighbour-dispute": "经网格调解，双方达成一致",
    "fire-hazard": "已排除隐患，并登记复查",
    "food-safety": "已移交市场监管所检查，商户已整改",
    "vulnerable-person": "已上门探望，联系家属并落实照护",
    "stove-left-on": "已联系住户和物业关闭燃气，无人员受伤",
    "other": "已处理",
}
ANSWERS: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    "blocked-fire-exit": lambda rng: {"what": rng.choice(["vehicle", "goods", "goods", "other"])},
    "noise": lambda rng: {"when": rng.choice(["day", "night"])},
    "ebike-indoor-charging": lambda rng: {"count": rng.randint(1, 3)},
}

# Cases reported a day: in the seed's period, then after it (the living history's trickle).
SEED_ARRIVALS = (0, 1, 1, 1, 2)
LIVING_ARRIVALS = (0, 0, 0, 0, 1)
# The build day's work: (hours before the present it was reported, the state it is left in,
# its class or "" for any, whether nobody takes it on in time so the time-limit job steps in).
PRESENT: tuple[tuple[float, str, str, bool], ...] = (
    (0.5, Case.State.IN_PROGRESS, "stove-left-on", False),  # an emergency being handled now
    (2, Case.State.REPORTED, "", False),
    (15, Case.State.ACCEPTED, "", False),
    (20, Case.State.DISPATCHED, "", False),
    (40, Case.State.IN_PROGRESS, "", False),
    (70, Case.State.RESOLVED, "", False),
    (110, Case.State.CLOSED, "", False),
    (80, Case.State.REPORTED, "", True),
    (130, Case.State.DISPATCHED, "", True),
)


@dataclass
class _Plan:
    """What will happen to one case, decided when it is reported."""

    reporter: Any
    refuse: str = ""  # a closure code when the case is refused
    twin: int | None = None  # a duplicate of this earlier case: merged into it if still open
    escalate: bool = False  # a big matter: the grid sends it up to the community
    slow: bool = False  # nobody accepts in time: the time-limit job escalates it
    not_fixed: bool = False
    reopened: bool = False
    evaluate: bool = True
    stop: str = ""  # the state the case is left in for the present ("": round the whole loop)


@dataclass(order=True)
class _Step:
    at: datetime
    seq: int
    case_id: int = field(compare=False)


def _after_photo(rng: random.Random) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (80, 60), (rng.randint(60, 200), rng.randint(90, 200), rng.randint(60, 160))).save(buffer, "JPEG")
    return SimpleUploadedFile("after.jpg", buffer.getvalue(), content_type="image/jpeg")


class _History:
    def __init__(
        self,
        *,
        rng: random.Random,
        community: Area,
        managers: dict[str, Any],
        reporters: list[Any],
        callers: list[tuple[str, str]],
        places: list[Place],
    ) -> None:
        self.rng = rng
        self.community = community
        self.managers = managers  # "community" and "street" staff who take escalated cases
        self.reporters = reporters
        self.callers = callers
        self.places = places
        self.classes = {c.code: c for c in CaseClass.objects.filter(code__in=CLASS_WEIGHTS)}
        self.queue: list[_Step] = []
        self.plans: dict[int, _Plan] = {}
        self.seq = 0
        self.counts: dict[str, int] = {}
        self.duties: dict[tuple[int, date, str], Any] = {}
        self.scope = Scopes()

    # who

    def _duty(self, grid: Area, day: date, duty: str) -> Any:
        key = (grid.pk, day, duty)
        if key not in self.duties:
            self.duties[key] = next((a.person for a in staff_on(grid, day) if a.duty == duty), None)
        return self.duties[key]

    def manager(self, case: Case, day: date) -> Any:
        """Who accepts, dispatches and verifies at the case's level."""
        if case.level == Level.GRID:
            return self._duty(case.grid, day, StaffAssignment.Duty.GRID_LEADER)
        return self.managers["street" if case.level in (Level.STREET, Level.AGENCY) else "community"]

    def handler(self, case: Case, day: date) -> Any:
        if case.level == Level.GRID:
            return actions.responsible_worker(case.grid, day)
        if case.level == Level.COMMUNITY:
            return self._duty(case.grid, day, StaffAssignment.Duty.GRID_ADVISOR)
        return self.managers["street"]

    # when

    def schedule(self, case: Case, at: datetime) -> None:
        self.seq += 1
        heapq.heappush(self.queue, _Step(at, self.seq, case.pk))

    def later(self, at: datetime, low: float, high: float) -> datetime:
        """A time `low` to `high` hours after `at`, moved into the day (07:30-21:00)."""
        moment = (at + timedelta(hours=self.rng.uniform(low, high))).astimezone(SHANGHAI)
        if moment.time() < time(7, 30):
            moment = moment.replace(hour=7, minute=30) + timedelta(minutes=self.rng.randint(0, 90))
        elif moment.time() > time(21, 0):
            moment = (moment + timedelta(days=1)).replace(hour=8) + timedelta(minutes=self.rng.randint(0, 90))
        return moment

    # what

    def report(self, at: datetime, present: tuple[str, str, bool] | None = None) -> Case | None:
        """Someone reports a case at `at`; with `present` (state, class, slow), one of the
        build day's cases, left in that state. None when the point fell outside every grid."""
        rng = self.rng
        twin = self._recent_open(at) if present is None and rng.random() < 0.06 else None
        if twin is not None:  # someone else reports what is already reported
            code, place = twin.case_class.code, twin.place or rng.choice(self.places)
        else:
            code = (present and present[1]) or rng.choices(list(CLASS_WEIGHTS), weights=list(CLASS_WEIGHTS.values()))[0]
            place = rng.choice(self.places)
        case_class = self.classes[code]
        lng, lat = place.lng + rng.uniform(-0.0002, 0.0002), place.lat + rng.uniform(-0.00015, 0.00015)
        channel = rng.choices(["phone_page", "staff", "api"], weights=[60, 30, 10])[0]
        extra: dict[str, Any] = {}
        reporter = None
        if channel == "staff":
            actor = self.manager_for_place(place, at.date())
            if rng.random() < 0.3:
                extra["anonymous"] = True
            else:
                name, phone = rng.choice(self.callers)
                extra |= {"reporter_name": name, "reporter_phone": phone}
        else:
            reporter = actor = rng.choice(self.reporters)
            extra["anonymous"] = rng.random() < 0.1
        try:
            case = actions.report_case(
                actor=actor,
                case_class=case_class,
                description=rng.choice(DESCRIPTIONS[code]),
                lng=round(lng, 6),
                lat=round(lat, 6),
                channel=channel,
                place=place,
                address=place.address,
                answers=ANSWERS[code](rng) if code in ANSWERS else {},
                now=at,
                **extra,
            )
        except DomainError:
            return None  # a point that fell outside every grid: the reporter would try again
        roll = rng.random()
        if present is not None:
            stop, _code, slow = present
            plan = _Plan(reporter=reporter, slow=slow, stop=stop, evaluate=False)
        else:
            plan = _Plan(
                reporter=reporter,
                refuse=rng.choice(["referred", "no_action"]) if roll < 0.05 and twin is None else "",
                twin=twin.pk if twin is not None else None,
                escalate=0.09 <= roll < 0.13 and case.level == Level.GRID,
                slow=0.13 <= roll < 0.16 and not case.emergency,
                not_fixed=0.16 <= roll < 0.21,
                evaluate=reporter is not None and rng.random() < 0.7,
            )
        self.plans[case.pk] = plan
        if case.emergency:
            self.schedule(case, at + timedelta(minutes=rng.randint(3, 20)))
        elif plan.slow:
            self.schedule(case, self.later(at, 30, 60))
        else:
            self.schedule(case, self.later(at, 0.2, 3))
        self._count("reported")
        return case

    def manager_for_place(self, place: Place, day: date) -> Any:
        return self._duty(place.grid, day, StaffAssignment.Duty.GRID_LEADER) or self.managers["community"]

    def step(self, step: _Step) -> None:
        case = Case.objects.select_related("case_class", "grid").get(pk=step.case_id)
        plan = self.plans[case.pk]
        if case.state == plan.stop:
            return  # left as the present finds it
        rng, at, day = self.rng, step.at, step.at.date()
        manager = self.manager(case, day)
        scope = self.scope(manager)
        state = case.state
        nxt: tuple[float, float] | None = None
        if state == Case.State.REPORTED:
            if plan.refuse:
                actions.reject_case(
                    actor=manager, scope=scope, case=case, reason="经核实不属于社区职责", closure=plan.refuse, now=at
                )
                self._count("refused")
            elif plan.twin and (into := Case.objects.get(pk=plan.twin)).state in actions.OPEN_STATES:
                actions.merge_case(actor=manager, scope=scope, case=case, into=into, now=at)
                self._count("merged")
            else:
                actions.accept_case(actor=manager, scope=scope, case=case, now=at)
                nxt = (0.05, 0.5)
        elif state == Case.State.ACCEPTED:
            if plan.escalate:
                plan.escalate = False
                actions.escalate_case(actor=manager, scope=scope, case=case, reason="涉及多方，需社区协调", now=at)
                self._count("escalated by staff")
                nxt = (0.5, 3)
            else:
                handler = self.handler(case, day)
                actions.dispatch_case(actor=manager, scope=scope, case=case, handler=handler, now=at)
                nxt = (0.2, 4)
        elif state == Case.State.DISPATCHED:
            actions.start_case(actor=case.handler, case=case, now=at)
            nxt = (0.5, 3) if case.emergency else (2, 40)
        elif state == Case.State.IN_PROGRESS:
            note = RESOLUTIONS[case.case_class.code] + ("（复查后再次处理）" if plan.reopened else "")
            actions.resolve_case(actor=case.handler, case=case, note=note, photos=[_after_photo(rng)], now=at)
            nxt = (1, 20)
        elif state == Case.State.RESOLVED:
            if plan.not_fixed and not plan.reopened and plan.reporter is not None:
                plan.reopened = True
                actions.reopen_case(
                    actor=plan.reporter, scope=self.scope(plan.reporter), case=case, note="问题还没解决", now=at
                )
                self._count("reopened")
                nxt = (2, 24)
            else:
                verifier = manager if manager != case.handler else self.managers["community"]
                actions.verify_case(actor=verifier, scope=self.scope(verifier), case=case, now=at)
                nxt = (0.05, 2)
        elif state == Case.State.VERIFIED:
            actions.close_case(actor=manager, scope=scope, case=case, now=at)
            self._count("closed fixed")
            if plan.evaluate and plan.reporter is not None:
                nxt = (1, 48)
        elif state == Case.State.CLOSED and plan.evaluate and case.satisfaction is None:
            score = rng.choices([5, 4, 3, 2], weights=[70, 20, 7, 3])[0]
            actions.evaluate_case(actor=plan.reporter, case=case, satisfaction=score, now=at)
        if nxt is not None:
            self.schedule(case, self.later(at, *nxt))

    def _recent_open(self, at: datetime) -> Case | None:
        """An open case of the last two days, which a second person may see too."""
        return (
            Case.objects.filter(state__in=actions.OPEN_STATES, reported_at__gte=at - timedelta(days=2))
            .exclude(case_class__code__in=["neighbour-dispute", "vulnerable-person", "other"])
            .select_related("case_class", "place")
            .order_by("-pk")
            .first()
        )

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def run(self, start: date, seed_end: date, now: datetime, say: Callable[[str], None]) -> dict[str, int]:
        """Day by day from `start` to the present `now`: the day's reports (the seed's rate to
        `seed_end`, the trickle after it, and the present's cases on their days), each case's
        next steps as they fall due, the time-limit job every evening. A week before the
        present everyone has read their notices; what came since is unread."""
        present = sorted((now - timedelta(hours=hours), (stop, code, slow)) for hours, stop, code, slow in PRESENT)
        read_on = now.date() - timedelta(days=7)
        day = start
        while day <= now.date():
            if day.day == 1 and day.month % 3 == 1:
                say(f"cases: {day:%Y-%m}")
            if day == read_on:
                self.read_notices(datetime.combine(day, time(0), tzinfo=SHANGHAI))
            arrivals = self.rng.choice(SEED_ARRIVALS if day <= seed_end else LIVING_ARRIVALS)
            todays: list[tuple[datetime, tuple[str, str, bool] | None]] = [
                (self._moment(day), None) for _ in range(arrivals)
            ]
            todays += [(at, what) for at, what in present if at.date() == day]
            for at, what in sorted(todays, key=lambda arrival: arrival[0]):
                if at > now:
                    continue  # the build day's reports come in after the present
                self._until(at)
                # A case of the present is reported again until its point falls in a grid.
                while self.report(at, what) is None and what is not None:
                    pass
            evening = datetime.combine(day, time(18, 0), tzinfo=SHANGHAI)
            if evening > now:
                break
            self._until(evening)
            self.counts["escalated on time-out"] = self.counts.get("escalated on time-out", 0) + (
                actions.escalate_overdue_cases(now=evening)
            )
            day += timedelta(days=1)
        self._until(now)
        return self.counts

    def read_notices(self, at: datetime) -> None:
        """Everyone with unread notices reads them all at `at`."""
        for user in User.objects.filter(notifications__read_at__isnull=True).distinct().order_by("pk"):
            mark_all_read(actor=user, now=at)

    def _moment(self, day: date) -> datetime:
        minutes = self.rng.randint(7 * 60, 21 * 60)
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=SHANGHAI)

    def _until(self, moment: datetime) -> None:
        while self.queue and self.queue[0].at <= moment:
            self.step(heapq.heappop(self.queue))


def build_case_history(
    *,
    rng: random.Random,
    community: Area,
    managers: dict[str, Any],
    reporters: list[Any],
    callers: list[tuple[str, str]],
    start: date,
    seed_end: date,
    now: datetime,
    say: Callable[[str], None] = lambda _message: None,
) -> dict[str, int]:
    """Report and handle cases day by day from `start` to the present `now` (the seed's rate
    to `seed_end`, a trickle after it), leaving the present's cases (PRESENT) and whatever
    else is open where `now` finds them; returns what happened, counted."""
    places = list(
        Place.objects.filter(grid__path__startswith=community.path)
        .exclude(kind=Place.Kind.BUILDING)
        .select_related("grid")
        .order_by("pk")
    )
    history = _History(
        rng=rng, community=community, managers=managers, reporters=reporters, callers=callers, places=places
    )
    return history.run(start, seed_end, now, say)


def case_history(builder: "Builder", start: date, end: date) -> dict[str, int]:
    """The demo history's cases (nuanxin.core.demo_history): more riders and residents who
    report, callers who phone the office, then the cases from `start` to the present of the
    build day `end`. Nothing without a seed period (a demo built without history)."""
    if builder.seed_period is None:
        return {}
    reporters = [builder.users["rider1"], builder.users["resident1"]]
    for n in range(2, 10):
        reporters.append(builder.reporter(f"rider{n}", Role.MOBILE_REPORTER))
    for n in range(2, 7):
        reporters.append(builder.reporter(f"resident{n}", Role.RESIDENT))
    callers = [(builder.names.person()[0], builder.mobile()) for _ in range(40)]
    counts = build_case_history(
        rng=builder.rng,
        community=builder.community,
        managers={"community": builder.users["community"], "street": builder.users["street"]},
        reporters=reporters,
        callers=callers,
        start=start,
        seed_end=builder.seed_period[1],
        now=builder.present,
        say=builder.say,
    )
    return {f"cases {what}": n for what, n in counts.items()}
