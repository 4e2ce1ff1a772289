"""The demo community's party organisations and members (nuanxin.core.demo_history), written
through the party actions by the community admin: the community committee founded long
before the seed's period, a branch for each grid, the retired members' branch (with the
seed's veteran 方力杰), the business district's joint branch for the two-new organisations'
and mobile members (riders among them), in-service members of the units reporting to the
committee, and 星秀文化传媒(昆明)有限公司党支部, founded 2024-10 as the seed tells."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from nuanxin.party import actions, alliance, life, meetings
from nuanxin.party.models import (
    AllianceUnit,
    BranchMeeting,
    JointMeeting,
    Pact,
    PartyMember,
    PartyOrg,
    Task,
    TwoNewOrg,
)
from nuanxin.people.models import Resident
from nuanxin.territory.models import Place

COMMITTEE_FOUNDED = date(2009, 6, 1)
BRANCHES_FOUNDED = date(2012, 3, 1)
JOINT_BRANCH_FOUNDED = date(2023, 7, 20)  # as the business district's survey began (2023-07)
XINGXIU = "星秀文化传媒(昆明)有限公司"
XINGXIU_FOUNDED = date(2024, 10, 18)  # "在热切期盼5年后……在2024年10月成立了"
VETERAN = "方力杰"
ORIGINS = ("曲靖市麒麟区越州镇党委", "昭通市昭阳区守望乡党委", "红河州建水县临安镇党委", "大理州宾川县金牛镇党委")
WORKPLACES = ("美团外卖骑手", "饿了么骑手", "顺丰速运快递员")
REPORTING_FROM = (
    "工商银行日新中路支行",
    "建设银行滇池路支行",
    "怡心桥小学",
    "怡心桥社区卫生服务中心",
    "前卫派出所怡心桥警务室",
    "西山区图书馆怡心桥分馆",
)


def party_history(context: Any, start: date, end: date) -> dict[str, int]:
    rng = context.rng
    admin = context.users["community"]
    scope = context.scope(admin)

    def found(
        name: str, kind: str, area: Any, day: date, parent: PartyOrg | None = None, place: Any = None
    ) -> PartyOrg:
        return actions.create_org(
            actor=admin, scope=scope, name=name, kind=kind, area=area, founded_on=day, parent=parent, place=place
        )

    def register(org: PartyOrg, name: str, status: str, since: date, **extra: Any) -> PartyMember:
        standing = extra.pop("standing", "probationary" if rng.random() < 0.06 else "full")
        return actions.register_member(
            actor=admin,
            scope=scope,
            org=org,
            name=name,
            standing=standing,
            status=status,
            since=since,
            phone=context.mobile(),
            **extra,
        )

    def day_between(first: date, last: date) -> date:
        return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))

    community = context.community
    committee = found(f"{community.name}党委", PartyOrg.Kind.COMMITTEE, community, COMMITTEE_FOUNDED)
    members = 0
    # A branch for each grid, its members among the grid's residents (linked, never copied).
    for grid in context.grids:
        branch = found(f"{grid.name}党支部", PartyOrg.Kind.BRANCH, grid, BRANCHES_FOUNDED, committee)
        residents = list(Resident.objects.filter(grid=grid, user__isnull=True).order_by("pk")[:400])
        for resident in rng.sample(residents, min(len(residents), rng.randint(13, 17))):
            since = day_between(date(2005, 1, 1), date(2023, 6, 30))
            register(branch, resident.name, PartyMember.Status.REGISTERED, since, resident=resident)
            members += 1
    # The retired members' branch: the veteran of the story and other elders.
    retired = found("离退休党员党支部", PartyOrg.Kind.BRANCH, community, BRANCHES_FOUNDED, committee)
    register(
        retired,
        VETERAN,
        PartyMember.Status.RETIRED,
        date(2006, 9, 1),
        standing="full",
        joined_party_on=date(1971, 7, 1),
    )
    members += 1
    elders = list(
        Resident.objects.filter(grid__parent=community, birth_year__lte=1958, user__isnull=True)
        .exclude(pk__in=PartyMember.objects.filter(resident__isnull=False).values("resident_id"))
        .order_by("pk")[:300]
    )
    for resident in rng.sample(elders, min(len(elders), 17)):
        register(
            retired,
            resident.name,
            PartyMember.Status.RETIRED,
            day_between(date(2000, 1, 1), date(2020, 12, 31)),
            resident=resident,
            standing="full",
        )
        members += 1
    # The business district's joint branch: mobile members found by the survey (riders among
    # them, with their accounts) and the two-new organisations' members without a branch.
    joint = found("商圈联合党支部", PartyOrg.Kind.BRANCH, community, JOINT_BRANCH_FOUNDED, committee)
    riders = [u for name, u in sorted(context.users.items()) if name.startswith("rider")][:10]
    for i, rider in enumerate(riders):
        register(
            joint,
            rider.display_name or f"骑手{i + 1}",
            PartyMember.Status.MOBILE_IN,
            day_between(JOINT_BRANCH_FOUNDED, min(end, date(2024, 12, 31))),
            origin=ORIGINS[i % len(ORIGINS)],
            card_number=f"LD{2023 + i % 2}{530000 + rng.randint(0, 9999):06d}",
            workplace=WORKPLACES[i % len(WORKPLACES)],
            user=rider,
        )
        members += 1
    for _ in range(8):
        register(
            joint,
            context.names.person()[0],
            PartyMember.Status.REGISTERED,
            day_between(JOINT_BRANCH_FOUNDED, date(2024, 6, 30)),
            workplace="商圈“两新”组织",
        )
        members += 1
    # In-service members of the units, reporting to the committee (在职党员报到).
    for i in range(14):
        register(
            committee,
            context.names.person()[0],
            PartyMember.Status.REPORTING,
            day_between(date(2023, 7, 1), date(2024, 12, 31)),
            workplace=REPORTING_FROM[i % len(REPORTING_FROM)],
        )
        members += 1
    members += _survey(context, start, end, joint, register)
    meetings = _organisational_life(context, start, end)
    made = alliance_history(context, start, end, committee)
    made |= {"party organisations": PartyOrg.objects.filter(area__path__startswith=community.path).count()}
    return made | {
        "party members": members,
        "two-new organisations": TwoNewOrg.objects.count(),
        "branch meetings": meetings,
    }


# The founding pipeline of the organisations that form their own branch (星秀 as the seed tells).
PIPELINE = (
    ("guidance", date(2023, 8, 15)),
    ("preparing", date(2024, 3, 1)),
    ("approved", date(2024, 9, 20)),
    ("founded", XINGXIU_FOUNDED),
)
# The days from one stage to the next for the other organisations (星秀 keeps the seed's days).
STAGE_GAPS = ((20, 40), (100, 160), (150, 200), (20, 40))


def _survey(context: Any, start: date, end: date, joint: PartyOrg, register: Any) -> int:
    """The business district's survey from the seed period's start: its enterprises (and
    星秀文化传媒) in the register; those with three full members or more found their own
    branch through the pipeline, the rest are covered by the joint branch or an instructor, all
    by the end of 2024. Returns the members registered with the new branches."""
    rng = context.rng
    admin = context.users["community"]
    scope = context.scope(admin)
    survey_day = max(start, date(2023, 7, 1))
    if survey_day > end:
        return 0
    firms = list(
        Place.objects.filter(kind=Place.Kind.ENTERPRISE, parent__kind=Place.Kind.COMMERCIAL_CENTRE)
        .filter(grid__path__startswith=context.community.path)
        .order_by("pk")[:24]
    )
    xingxiu = context.places.get(XINGXIU)
    members = 0
    for i, place in enumerate([*firms, *([xingxiu] if xingxiu is not None else [])]):
        own = place == xingxiu or i % 8 == 3  # a few besides 星秀 can form their own branch
        employees = 200 if place == xingxiu else int(place.attributes.get("employees") or rng.randint(3, 60))
        full = rng.randint(3, 5) if own else rng.randint(0, 2)
        record = actions.survey_two_new(
            actor=admin,
            scope=scope,
            place=place,
            kind=TwoNewOrg.Kind.ENTERPRISE,
            employees=max(employees, full + 2),
            full_members=full,
            probationary_members=rng.randint(0, 1),
            mobile_members=rng.randint(0, 2),
            surveyed_on=survey_day + timedelta(days=rng.randint(0, 14 if place == xingxiu else 60)),
        )
        if own:
            day = record.surveyed_on
            for (stage, seed_day), (low, high) in zip(PIPELINE, STAGE_GAPS, strict=True):
                gap = timedelta(days=rng.randint(low, high))
                # 星秀 keeps the seed's days where the history reaches back to them.
                day = seed_day if place == xingxiu and seed_day >= day else day + gap
                if day > end:
                    break
                record = actions.advance_founding(actor=admin, scope=scope, record=record, stage=stage, on=day)
            if record.covered_by is not None:
                for _ in range(full):
                    register(
                        record.covered_by,
                        context.names.person()[0],
                        PartyMember.Status.REGISTERED,
                        day,
                        standing="full",
                        workplace=place.name,
                    )
                    members += 1
            continue
        covered_on = max(record.surveyed_on, JOINT_BRANCH_FOUNDED) + timedelta(days=rng.randint(0, 200))
        if covered_on <= min(end, date(2024, 12, 31)):
            if i % 5 == 4:
                actions.cover_two_new(
                    actor=admin,
                    scope=scope,
                    record=record,
                    coverage="instructor",
                    instructor=context.names.person()[0],
                    on=covered_on,
                )
            else:
                actions.cover_two_new(
                    actor=admin, scope=scope, record=record, coverage="joint_branch", branch=joint, on=covered_on
                )
    return members


LEAVE_REASONS = ("出差", "生病住院", "照顾家人", "外出务工", "值班")
# (kind, every how many months, how often it is held) of the demo branches' organisational life.
LIFE = (
    (BranchMeeting.Kind.MEMBERS, 3, 0.95),
    (BranchMeeting.Kind.LECTURE, 3, 0.9),
    (BranchMeeting.Kind.COMMITTEE, 1, 0.8),
    (BranchMeeting.Kind.THEME_DAY, 1, 0.85),
)


def _organisational_life(context: Any, start: date, end: date) -> int:
    """The branches' meetings from the seed period's start to the build day, most held with
    their attendance, some missed (the quarter view shows the branches that fell short), and
    a members' meeting planned for the coming week in each branch."""
    rng = context.rng
    admin = context.users["community"]
    scope = context.scope(admin)
    branches = list(
        PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH, area__path__startswith=context.community.path).order_by(
            "area__path", "name"
        )
    )
    made = 0
    month = date(start.year, start.month, 1)
    n = 0
    while month <= end:
        for kind, every, held in LIFE:
            if n % every:
                continue
            for branch in branches:
                day = month + timedelta(days=rng.randint(2, 25))
                if branch.founded_on > day or day >= end or rng.random() > held:
                    continue
                meeting = life.plan_meeting(
                    actor=admin, scope=scope, org=branch, kind=kind, planned_on=day, topics=rng.choice(TOPICS[kind])
                )
                members = list(life.members_on(branch, day).values())
                attendance = {}
                for member in members:
                    roll = rng.random()
                    if roll < 0.85:
                        attendance[member.pk] = ("present", "")
                    elif roll < 0.93:
                        attendance[member.pk] = ("leave", rng.choice(LEAVE_REASONS))
                present = [m for m in members if attendance.get(m.pk, ("",))[0] == "present"]
                life.record_meeting(
                    actor=admin,
                    scope=scope,
                    meeting=meeting,
                    held_on=day,
                    attendance=attendance,
                    chair=present[0] if present else None,
                    recorder=present[1] if len(present) > 1 else None,
                    minutes=f"{meeting.topics}。到会党员{len(present)}名。",
                )
                made += 1
        n += 1
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    for branch in branches:
        life.plan_meeting(
            actor=admin,
            scope=scope,
            org=branch,
            kind=BranchMeeting.Kind.MEMBERS,
            planned_on=end + timedelta(days=rng.randint(3, 10)),
            topics="学习贯彻全会精神，研究网格党建工作"
            if branch.area.level == "grid"
            else "学习贯彻全会精神，交流岗位建功",
        )
        made += 1
    return made


TOPICS = {
    BranchMeeting.Kind.MEMBERS: ("通报支部工作，讨论发展党员", "民主评议党员", "学习党章，研究社区治理议题"),
    BranchMeeting.Kind.LECTURE: ("党课：党建引领基层治理", "党课：全心全意为人民服务", "党课：学习身边的榜样"),
    BranchMeeting.Kind.COMMITTEE: ("研究本月支部工作", "讨论党员联系服务群众安排", "研究“两新”组织党建工作"),
    BranchMeeting.Kind.THEME_DAY: ("主题党日：清洁家园", "主题党日：走访慰问困难党员", "主题党日：消防安全宣传"),
}


# The alliance's nine member units (the seed: "与辖区9家企事业单位签订“大党委”结对共建协议"),
# each with what it commits under its pact: (kind, what, quantity, period).
ALLIANCE: tuple[tuple[str, tuple[tuple[str, str, str, str], ...]], ...] = (
    (
        XINGXIU,
        (("venue_hours", "直播间与会议室", "12", "quarter"), ("volunteer_hours", "员工志愿服务", "40", "quarter")),
    ),
    (
        "工商银行日新中路支行",
        (("service", "反电诈与金融知识宣讲", "2", "quarter"), ("funds", "节日活动经费", "5000", "year")),
    ),
    ("建设银行滇池路支行", (("service", "适老化金融服务进小区", "1", "quarter"), ("goods", "慰问物资", "60", "year"))),
    ("怡心桥小学", (("venue_hours", "操场与礼堂", "16", "quarter"),)),
    (
        "怡心桥社区卫生服务中心",
        (("service", "健康义诊", "1", "month"), ("volunteer_hours", "医护志愿服务", "20", "quarter")),
    ),
    ("前卫派出所怡心桥警务室", (("service", "反电诈宣传", "1", "month"),)),
    (
        "怡心物业服务有限公司",
        (("venue_hours", "小区活动场地", "20", "quarter"), ("funds", "楼道改造配套资金", "8000", "year")),
    ),
    ("西山区图书馆怡心桥分馆", (("venue_hours", "阅览室", "24", "quarter"), ("goods", "图书", "200", "year"))),
    ("hot-pot", (("service", "电器维修与食品安全培训", "1", "month"), ("goods", "爱心餐", "300", "year"))),
)
PACT_STARTS = date(2023, 9, 1)
PACT_YEARS = 3
NEEDS = (
    ("老旧楼道照明改造", "building_committee", "怡心物业服务有限公司"),
    ("独居老人助餐", "residents", "hot-pot"),
    ("骑手子女暑期托管", "meeting", "怡心桥小学"),
    ("小区反诈宣传进楼栋", "grid", "前卫派出所怡心桥警务室"),
    ("老年人智能手机培训", "residents", "工商银行日新中路支行"),
    ("社区阅读角", "building_committee", "西山区图书馆怡心桥分馆"),
    ("慢病老人上门随访", "grid", "怡心桥社区卫生服务中心"),
    ("商圈文化节场地", "meeting", XINGXIU),
    ("非机动车充电棚", "residents", None),
    ("楼院议事会场地", "building_committee", None),
)
OFFERS = (("建设银行滇池路支行", "goods", "防暑降温物资", "80"), (XINGXIU, "service", "短视频拍摄培训", "4"))


def _add_months(day: date, months: int) -> date:
    n = day.month - 1 + months
    return date(day.year + n // 12, n % 12 + 1, 1)


def alliance_history(context: Any, start: date, end: date, committee: PartyOrg) -> dict[str, int]:
    """The alliance through the alliance's actions: the nine units join as the community forms
    (2023-07/08), sign three-year pacts from 2023-09 (renewed when a term ends before today)
    and deliver most of what they commit, period by period, a few times beyond it with the
    reason; the needs list fills from 2023-08, units claim needs and own projects (one late);
    the office rates every unit each ended year from the record, and 星秀's representative rates
    the community."""
    rng = context.rng
    admin = context.users["community"]
    scope = context.scope(admin)
    places = Place.objects.filter(grid__path__startswith=context.community.path)
    # The seed's hot-pot restaurant: the district's first hot-pot merchant (any merchant else;
    # a demo built without merchants has eight units).
    merchants = places.filter(kind=Place.Kind.MERCHANT).order_by("pk")
    hot_pot = merchants.filter(name__contains="火锅").first() or merchants.first()
    units: dict[str, AllianceUnit] = {}
    pacts = deliveries = 0
    for i, (name, commitments) in enumerate(ALLIANCE):
        place = hot_pot if name == "hot-pot" else places.get(name=name)
        if place is None:
            continue
        unit = alliance.join_alliance(
            actor=admin,
            scope=scope,
            committee=committee,
            place=place,
            joined_on=date(2023, 7, 10) + timedelta(days=4 * i),
        )
        units[name] = unit
        term_start = PACT_STARTS
        while term_start <= end:
            term_end = date(term_start.year + PACT_YEARS, term_start.month, 1) - timedelta(days=1)
            pact = alliance.sign_pact(
                actor=admin,
                scope=scope,
                unit=unit,
                signed_on=min(end, term_start - timedelta(days=rng.randint(3, 20))),
                starts_on=term_start,
                ends_on=term_end,
                commitments=[alliance.CommitmentIn(*c) for c in commitments],
            )
            pacts += 1
            deliveries += _deliver(context, admin, scope, pact, min(end, term_end))
            term_start = term_end + timedelta(days=1)
    offered = [
        alliance.offer_resource(
            actor=admin, scope=scope, unit=units[name], kind=kind, what=what, quantity=n, offered_on=date(2024, 6, 3)
        )
        for name, kind, what, n in OFFERS
        if end > date(2024, 6, 3)
    ]
    projects = _needs(context, admin, scope, committee, units, offered, end)
    evaluations = _evaluate(context, admin, scope, units, end)
    joint = joint_meetings_history(context, start, end, committee, units)
    return joint | {
        "alliance units": len(units),
        "pacts": pacts,
        "deliveries": deliveries,
        "projects": projects,
        "pact evaluations": evaluations,
    }


_STEP = {"year": 12, "quarter": 3, "month": 1}


def _deliver(context: Any, admin: Any, scope: Any, pact: Pact, last: date) -> int:
    """Deliveries period by period: most periods delivered whole or in part, now and then
    something beyond the commitment with its reason."""
    rng = context.rng
    made = 0
    for commitment in pact.commitments.all():
        step = _STEP.get(commitment.period, 12 * PACT_YEARS)
        period, periods, total = pact.starts_on, 0, 0
        while period <= last:
            periods += 1
            day = period + timedelta(days=rng.randint(3, 26))
            roll = rng.random()
            if day <= last and roll < 0.9:
                share = 1 if roll < 0.6 else rng.choice((0.5, 0.75))
                quantity = max(1, int(commitment.quantity * Decimal(share)))
                if roll < 0.04:
                    quantity += int(commitment.quantity) // 2 or 1
                # Past what was committed by then (an earlier extra, say): only with the reason.
                beyond = total + quantity > commitment.quantity * periods
                alliance.record_delivery(
                    actor=admin,
                    scope=scope,
                    commitment=commitment,
                    delivered_on=day,
                    quantity=quantity,
                    what=commitment.what,
                    beyond_reason="节日活动需求增加，单位主动加量" if beyond else "",
                )
                total += quantity
                made += 1
            period = _add_months(period, step)
    return made


def _needs(
    context: Any,
    admin: Any,
    scope: Any,
    committee: PartyOrg,
    units: dict[str, AllianceUnit],
    offers: list[Any],
    end: date,
) -> int:
    """The needs list from 2023-08: each claimed by the unit that took it up (a few left open),
    most taken up as projects, done on time but one late, the newest still under way."""
    rng = context.rng
    grids = context.grids
    made = 0
    for i in range(10_000):
        raised = date(2023, 8, 15) + timedelta(days=55 * i)
        if raised >= end:
            break
        title, source, claimer = NEEDS[i % len(NEEDS)]
        if i >= len(NEEDS):  # the list goes round again: a second phase of each need
            title = f"{title}（{i // len(NEEDS) + 1}期）"
        need = alliance.raise_need(
            actor=admin,
            scope=scope,
            committee=committee,
            area=grids[i % len(grids)],
            title=title,
            source=source,
            raised_on=raised,
        )
        unit = units.get(claimer) if claimer else None
        if unit is None:
            continue  # still open: waiting for a unit
        claimed = raised + timedelta(days=rng.randint(3, 12))
        if claimed >= end:
            continue
        alliance.claim_need(actor=admin, scope=scope, need=need, unit=unit, on=claimed)
        started = claimed + timedelta(days=7)
        if started >= end:
            continue
        pact = unit.pacts.order_by("starts_on").first()
        project = alliance.start_project(
            actor=admin,
            scope=scope,
            need=need,
            title=f"{title}项目",
            owner=unit,
            deadline=started + timedelta(days=60),
            started_on=started,
            budget=rng.choice((0, 2000, 5000, 12000)),
            commitments=list(pact.commitments.all()[:1]) if pact else [],
            offers=[o for o in offers if o.unit_id == unit.pk and o.offered_on <= started],
        )
        made += 1
        done = started + timedelta(days=rng.randint(30, 55) if i != 2 else 75)  # the first summer care ran late
        if done < end - timedelta(days=20):
            alliance.finish_project(actor=admin, scope=scope, project=project, done_on=done)
    return made


def _evaluate(context: Any, admin: Any, scope: Any, units: dict[str, AllianceUnit], end: date) -> int:
    """Each ended year of each pact: the office rates the unit from the record (one score
    raised with its reason); 星秀's representative rates the community."""
    rep = context.users["partner1"]
    made = 0
    for name, unit in units.items():
        for pact in unit.pacts.all():
            for year in range(pact.starts_on.year, min(pact.ends_on.year, end.year - 1) + 1):
                record = alliance.year_record(pact, year)
                score = record.unit_score
                if score is None:
                    continue
                reason = ""
                if name == "怡心桥小学" and year == 2024:
                    score, reason = min(100, score + 10), "暑期托管额外开放礼堂"
                alliance.evaluate(
                    actor=admin, scope=scope, pact=pact, year=year, direction="of_unit", score=score, reason=reason
                )
                made += 1
                if name == XINGXIU:
                    suggested = record.community_score
                    alliance.evaluate(
                        actor=rep,
                        scope=context.scope(rep),
                        pact=pact,
                        year=year,
                        direction="of_community",
                        score=suggested if suggested is not None else 95,
                    )
                    made += 1
    return made


# --- joint meetings (大党委联席会议) and their resolutions ------------------------------------

JOINT_AGENDA = ("通报上季度共建项目与协议履约情况", "研究本季度需求清单认领与资源调配")
RESOLUTIONS = (
    "组织商户进小区开展爱心送餐、便民理发",
    "开展反电诈宣传进楼栋",
    "联合举办传统节日活动",
    "落实楼道照明改造",
    "开展健康义诊和宣传",
    "组织消防安全隐患排查",
    "开放场地支持楼院议事",
    "组织员工志愿服务进社区",
)
# Of the resolutions, every fourth is finished late; the one of 2024's second quarter is also
# escalated to the community before it is finished.
ESCALATED_QUARTER = (2024, 2)


def _kunming(day: date, hh: int, mm: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


def joint_meetings_history(
    context: Any, start: date, end: date, committee: PartyOrg, units: dict[str, AllianceUnit]
) -> dict[str, int]:
    """A joint meeting each quarter since the alliance formed (the 20th of the quarter's last
    month), the office and 星秀's representative (by the code) signing in, the minutes recorded;
    two resolutions each, one for a member unit and one for a grid's branch, reported on and
    verified: most on time, every fourth late, one escalated; the next quarter's meeting
    planned when it is still to come."""
    admin = context.users["community"]
    scope = context.scope(admin)
    partner = context.users.get("partner1")
    branches = list(
        PartyOrg.objects.filter(parent=committee, area__level="grid", place__isnull=True).order_by("area__path")
    )
    unit_list = [unit for _name, unit in sorted(units.items())]
    meetings_made = tasks_made = 0
    quarter_end = date(2023, 9, 20)
    while units and quarter_end <= end + timedelta(days=92):
        year, quarter = quarter_end.year, (quarter_end.month - 1) // 3 + 1
        starts = _kunming(quarter_end, 14, 30)
        meeting = meetings.plan_joint_meeting(
            actor=admin,
            scope=scope,
            committee=committee,
            kind=JointMeeting.Kind.JOINT,
            title=f"{year}年第{quarter}季度大党委联席会议",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            location="怡心桥社区党群服务中心三楼会议室",
            agenda=[meetings.AgendaIn(item) for item in JOINT_AGENDA],
        )
        meetings_made += 1
        if quarter_end > end:
            break  # the coming quarter's meeting: planned, not held yet
        meetings.record_attendance(actor=admin, scope=scope, meeting=meeting, user=admin, now=starts)
        if partner is not None and XINGXIU in units:
            meetings.sign_in(actor=partner, scope=context.scope(partner), meeting=meeting, now=starts)
        meetings.hold_meeting(
            actor=admin,
            scope=scope,
            meeting=meeting,
            minutes="会议通报了上季度共建项目和协议履约情况，研究了需求清单认领和资源调配，形成决议如下。",
            now=starts + timedelta(hours=2),
        )
        for k in range(2):
            owner: dict[str, Any] = (
                {"owner_unit": unit_list[(meetings_made * 2 + k) % len(unit_list)]}
                if k == 0 or not branches
                else {"owner_branch": branches[meetings_made % len(branches)]}
            )
            deadline = quarter_end + timedelta(days=45)
            if _next_quarter(quarter_end) > end:  # the latest meeting's resolutions: under way today
                deadline = max(deadline, end + timedelta(days=20 + 10 * k))
            task = meetings.add_resolution(
                actor=admin,
                scope=scope,
                meeting=meeting,
                title=RESOLUTIONS[(meetings_made * 2 + k) % len(RESOLUTIONS)],
                deadline=deadline,
                milestones=[meetings.MilestoneIn("制定方案", quarter_end + timedelta(days=10))],
                now=starts + timedelta(hours=2),
                **owner,
            )
            tasks_made += 1
            _carry_out(
                context,
                task,
                late=(meetings_made + k) % 4 == 3,
                escalated=(year, quarter) == ESCALATED_QUARTER and k == 0,
            )
        quarter_end = _next_quarter(quarter_end)
    return {"joint meetings": meetings_made, "resolution tasks": tasks_made}


def _next_quarter(day: date) -> date:
    """The 20th of the last month of the next quarter."""
    return date(day.year + (day.month + 3 > 12), (day.month + 2) % 12 + 1, 20)


def _carry_out(context: Any, task: Task, *, late: bool, escalated: bool) -> None:
    """The owner reports half-way, then finished (on time, late, or after an escalation); the
    office verifies and publishes; the periodic job reminds and escalates as it would have."""
    admin = context.users["community"]
    scope = context.scope(admin)
    reporter = context.users.get("partner1") if task.owner_unit and task.owner_unit.place.name == XINGXIU else admin
    meeting_day = timezone.localdate(task.meeting.starts_at)
    step = task.milestones.get()
    if _kunming(meeting_day + timedelta(days=10), 10) > context.present:
        return
    meetings.report_progress(
        actor=reporter,
        scope=context.scope(reporter),
        task=task,
        note="方案已制定，正在组织实施",
        progress=50,
        milestones_done=[step.pk],
        now=_kunming(meeting_day + timedelta(days=10), 10),
    )
    finish = task.deadline + timedelta(days=12 if escalated else 2 if late else -5)
    note = "经社区督办，已全部完成" if escalated else "已完成，因协调场地延误数日" if late else "已全部完成"
    for day in (task.deadline + timedelta(days=1), task.deadline + timedelta(days=4)):
        if day < finish:  # the hourly job's runs while it was still open
            meetings.remind_and_escalate(now=_kunming(day, 9))
    if _kunming(finish, 17) > context.present:
        return  # still under way on the build day
    meetings.report_progress(
        actor=reporter,
        scope=context.scope(reporter),
        task=task,
        note=note,
        progress=100,
        now=_kunming(finish, 17),
    )
    verified = _kunming(finish + timedelta(days=2), 10)
    if verified > context.present:
        return
    meetings.verify_task(actor=admin, scope=scope, task=task, accepted=True, now=verified)
    meetings.publish_task(actor=admin, scope=scope, task=task, now=verified)
