"""The demo community's volunteers, partners and upcoming activities, made through the
volunteer actions so `make run` has a working journey: delivery platforms and merchants as
partners (the first merchant by name is spoken for by the demo's partner-representative
logins, so its meal vouchers have someone to confirm them), about forty volunteers (the
riders with their own accounts, then residents, merchants, unit staff, party members and
students), a few activities published for sign-up in the coming weeks, among them a
clean-up next week for 20 people, with some places already taken, and one under way on the
build day (RUNNING: its venue code checks volunteers in all day).
"""

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from nuanxin.accounts import actions as account_actions
from nuanxin.accounts.models import User
from nuanxin.accounts.roles import Role
from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.demo.scopes import Scopes
from nuanxin.territory.models import Area, Place
from nuanxin.volunteers.activities import actions as activities
from nuanxin.volunteers.models import Activity, ActivityKind, ParticipantGroup, Partner
from nuanxin.volunteers.signups import actions as signups

if TYPE_CHECKING:
    from nuanxin.demo.builder import Builder

SHANGHAI = ZoneInfo("Asia/Shanghai")
PLATFORMS = (("美团外卖", "rider"), ("饿了么", "rider"), ("顺丰速运", "courier"), ("滴滴出行", "driver"))
# (group, how many, employer or "") besides the riders.
OTHERS = (
    (ParticipantGroup.RESIDENT, 12, ""),
    (ParticipantGroup.MERCHANT, 5, ""),
    (ParticipantGroup.UNIT_STAFF, 5, "辖区单位"),
    (ParticipantGroup.PARTY_MEMBER, 5, ""),
    (ParticipantGroup.STUDENT, 4, "昆明学院"),
)
SKILLS = ("急救", "电工", "理发", "摄影", "心理疏导", "普通话翻译", "民族语言", "驾驶", "法律咨询", "文艺表演")
AVAILABILITY = ("工作日晚上", "周末全天", "周六上午", "午后 14:00-17:00", "随时")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯"
GIVEN = "伟强磊军勇杰涛斌芳娜敏静丽艳娟霞秀玲燕红明刚平辉鹏华飞"
MINORITY_NAMES = ("阿卜杜热合曼·买买提", "欧阳娜娜", "者文华", "普丽萍")
# (kind, title, days ahead, start, end, capacity, roles, resources)
UPCOMING: tuple[tuple[str, str, int, time, time, int | None, list[str], dict[str, str]], ...] = (
    (
        ActivityKind.CLEANUP,
        "楼道杂物清理与环境整治",
        7,
        time(9),
        time(11, 30),
        20,
        ["引导", "清扫", "登记"],
        {"venue": "社区党群服务中心", "goods": "扫帚、垃圾袋、手套"},
    ),
    (
        ActivityKind.FREE_HAIRCUT,
        "义务理发进社区",
        5,
        time(9, 30),
        time(12),
        8,
        ["理发", "排队引导"],
        {"venue": "社区活动室"},
    ),
    (
        ActivityKind.FIRE_CHECK,
        "沿街商铺消防安全排查",
        10,
        time(14),
        time(17),
        12,
        ["排查", "宣传"],
        {"goods": "宣传册 200 份"},
    ),
    (ActivityKind.ANTI_FRAUD_TALK, "反电诈宣传讲座", 14, time(15), time(16, 30), None, [], {"venue": "社区会议室"}),
    (
        ActivityKind.ELDERLY_VISIT,
        "独居老人上门探访",
        12,
        time(9),
        time(11),
        10,
        ["陪伴", "家务帮助"],
        {"money": "500", "goods": "米、油"},
    ),
)

# Under way on the build day, published the week before: (kind, title, start, end, capacity,
# roles, resources).
RUNNING = (
    ActivityKind.OTHER,
    "温新驿站志愿服务日",
    time(8, 30),
    time(20, 30),
    30,
    ["驿站值守", "骑手关爱"],
    {"venue": "温新驿站·南亚风情第壹城", "goods": "热水、姜茶、急救包"},
)


def _name(rng: random.Random, n: int) -> str:
    if n % 9 == 4:
        return MINORITY_NAMES[(n // 9) % len(MINORITY_NAMES)]
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def _phone(rng: random.Random, n: int) -> str:
    # 135 + four random digits + the volunteer's number: unique within the demo.
    return f"135{rng.randrange(10000):04d}{n:04d}"


def _moment(rng: random.Random, start: date, end: date) -> datetime:
    day = start + timedelta(days=rng.randrange(max((end - start).days, 0) + 1))
    return datetime.combine(day, time(rng.randrange(8, 21), rng.randrange(60)), tzinfo=SHANGHAI)


def _partners(*, community: Area, organiser: Any) -> tuple[dict[str, Partner], list[Partner]]:
    organiser_scope = scope_of(organiser)
    platforms = {
        name: signups.create_partner(actor=organiser, scope=organiser_scope, name=name, kind=Partner.Kind.PLATFORM)
        for name, _g in PLATFORMS
    }
    merchants = list(
        Place.objects.filter(kind=Place.Kind.MERCHANT, grid__path__startswith=community.path).order_by("name")[:4]
    )
    shops = [
        signups.create_partner(
            actor=organiser, scope=organiser_scope, name=place.name, kind=Partner.Kind.MERCHANT, place=place
        )
        for place in merchants
        if not Partner.objects.filter(name__iexact=place.name).exists()
    ]
    reps = User.objects.filter(
        role_grants__role=Role.PARTNER_REP, role_grants__unit__grid__path__startswith=community.path
    ).distinct()
    if shops:
        first = min(shops, key=lambda p: p.name)
        for user in reps:
            signups.add_representative(actor=organiser, scope=organiser_scope, partner=first, user=user)
    return platforms, shops


def build_volunteers_demo(
    *,
    rng: random.Random,
    community: Area,
    organiser: Any,
    riders: Sequence[Any],
    start: date,
    end: date,
    now: datetime | None = None,
) -> dict[str, int]:
    """Partners, about forty volunteers registered between `start` and `end`, activities
    published for the weeks after the present `now` (the real now by default: sign-up needs a
    future start) and one under way on its day, published a week before. Returns what was
    made, counted."""
    grids = list(community.children.filter(level=Area.Level.GRID).defer("boundary").order_by("code"))
    platforms, shops = _partners(community=community, organiser=organiser)
    scope = Scopes()
    volunteers = []
    n = 0
    for i, user in enumerate(riders):
        n += 1
        platform, group = PLATFORMS[i % len(PLATFORMS)]
        name = (getattr(user, "display_name", "") or "").strip()
        try:
            name = signups.clean_real_name(name)
        except DomainError:
            name = _name(rng, n)
        volunteers.append(
            signups.register_volunteer(
                actor=user,
                scope=scope(user),
                user=user,
                name=name,
                phone=_phone(rng, n),
                group=group,
                employer=platform,
                partner=platforms[platform],
                skills=rng.sample(SKILLS, rng.randrange(0, 3)),
                availability=rng.choice(AVAILABILITY),
                home_grid=rng.choice(grids),
                now=_moment(rng, start, end),
            )
        )
    for group, count, employer in OTHERS:
        for _k in range(count):
            n += 1
            user = account_actions.create_user(actor=organiser, username=f"volunteer{n}", password=None)
            name = _name(rng, n)
            partner = shops[_k % len(shops)] if group == ParticipantGroup.MERCHANT and shops else None
            volunteers.append(
                signups.register_volunteer(
                    actor=organiser,
                    scope=scope(organiser),
                    user=user,
                    name=name,
                    phone=_phone(rng, n),
                    group=group,
                    employer=partner.name if partner else employer,
                    partner=partner,
                    skills=rng.sample(SKILLS, rng.randrange(0, 3)),
                    availability=rng.choice(AVAILABILITY),
                    home_grid=rng.choice(grids),
                    now=_moment(rng, start, end),
                )
            )
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    week_before = now - timedelta(days=7)

    def publish(when: datetime, day: date, activity_plan: tuple[Any, ...]) -> Activity:
        kind, title, begins, ends, capacity, roles, resources = activity_plan
        activity = activities.create_activity(
            actor=organiser,
            scope=scope(organiser),
            kind=kind,
            title=title,
            area=community,
            starts_on=day,
            ends_on=day,
            location=str(resources.get("venue") or community.name),
        )
        return signups.publish_activity(
            actor=organiser,
            scope=scope(organiser),
            activity=activity,
            start_time=begins,
            end_time=ends,
            capacity=capacity,
            roles_needed=roles,
            resources=resources,
            now=when,
        )

    published = [
        publish(now, today + timedelta(days=ahead), (kind, title, *times_and_details))
        for kind, title, ahead, *times_and_details in UPCOMING
    ]
    running = publish(week_before, today, RUNNING)
    # Some places are taken already (not by the riders: the journey signs one up itself).
    others = [v for v in volunteers if v.group not in (ParticipantGroup.RIDER, ParticipantGroup.COURIER)]
    signed = 0
    for activity, when in [*((a, now) for a in published), (running, week_before)]:
        for v in rng.sample(others, min(len(others), rng.randrange(3, 9))):
            signups.sign_up(actor=v.user, activity=activity, role=rng.choice([*activity.roles_needed, ""]), now=when)
            signed += 1
    return {
        "partners": len(platforms) + len(shops),
        "volunteers": len(volunteers),
        "activities open for sign-up": len(published),
        "activities under way": 1,
        "sign-ups": signed,
    }


def volunteers_history(builder: "Builder", start: date, end: date) -> dict[str, int]:
    """The demo history's partners, volunteers and activities (nuanxin.core.demo_history):
    volunteers registered from `start` to the build day `end`, activities around its present."""
    return build_volunteers_demo(
        rng=builder.rng,
        community=builder.community,
        organiser=builder.users["community"],
        riders=list(User.objects.filter(username__regex=r"^rider[0-9]+$").order_by("pk")),
        start=start,
        end=end,
        now=builder.present,
    )
