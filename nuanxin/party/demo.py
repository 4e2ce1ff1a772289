"""The demo community's party organisations and members (nuanxin.core.demo_history), written
through the party actions by the community admin: the community committee founded long
before the seed's period, a branch for each grid, the retired members' branch (with the
seed's veteran 方力杰), the business district's joint branch for the two-new organisations'
and mobile members (riders among them), in-service members of the units reporting to the
committee, and 星秀文化传媒(昆明)有限公司党支部, founded 2024-10 as the seed tells."""

from datetime import date, timedelta
from typing import Any

from nuanxin.party import actions, life
from nuanxin.party.models import BranchMeeting, PartyMember, PartyOrg, TwoNewOrg
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
    made = {"party organisations": PartyOrg.objects.filter(area__path__startswith=community.path).count()}
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
    a members' meeting planned for the coming week in each grid's branch."""
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
        if branch.area.level == "grid":
            life.plan_meeting(
                actor=admin,
                scope=scope,
                org=branch,
                kind=BranchMeeting.Kind.MEMBERS,
                planned_on=end + timedelta(days=rng.randint(3, 10)),
                topics="学习贯彻全会精神，研究网格党建工作",
            )
            made += 1
    return made


TOPICS = {
    BranchMeeting.Kind.MEMBERS: ("通报支部工作，讨论发展党员", "民主评议党员", "学习党章，研究社区治理议题"),
    BranchMeeting.Kind.LECTURE: ("党课：党建引领基层治理", "党课：全心全意为人民服务", "党课：学习身边的榜样"),
    BranchMeeting.Kind.COMMITTEE: ("研究本月支部工作", "讨论党员联系服务群众安排", "研究“两新”组织党建工作"),
    BranchMeeting.Kind.THEME_DAY: ("主题党日：清洁家园", "主题党日：走访慰问困难党员", "主题党日：消防安全宣传"),
}
