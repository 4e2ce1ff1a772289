"""The demo community's volunteers, partners and upcoming activities, made through the
volunteer actions so `make run` has a working journey: delivery platforms and merchants as
partners (the first merchant by name is spoken for by the demo's partner-representative
logins, so its meal vouchers have someone to confirm them), about forty volunteers (the
riders with their own accounts, then residents, merchants, unit staff, party members and
students), and a few activities published for sign-up in the coming weeks, among them a
clean-up next week for 20 people, with some places already taken.
"""

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
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
from nuanxin.volunteers.models import ActivityKind, ParticipantGroup, Partner
from nuanxin.volunteers.signups import actions as signups

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
    today: date | None = None,
) -> dict[str, int]:
    """Partners, about forty volunteers registered between `start` and `end`, and activities
    published for the weeks after `today` (the real today by default: sign-up needs a future
    start). Returns what was made, counted."""
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
    today = today or timezone.localdate()
    now = timezone.now()
    published = []
    for kind, title, ahead, begins, ends, capacity, roles, resources in UPCOMING:
        day = today + timedelta(days=ahead)
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
        published.append(
            signups.publish_activity(
                actor=organiser,
                scope=scope(organiser),
                activity=activity,
                start_time=begins,
                end_time=ends,
                capacity=capacity,
                roles_needed=roles,
                resources=resources,
                now=now,
            )
        )
    # Some places are taken already (not by the riders: the journey signs one up itself).
    others = [v for v in volunteers if v.group not in (ParticipantGroup.RIDER, ParticipantGroup.COURIER)]
    signed = 0
    for activity in published:
        for v in rng.sample(others, min(len(others), rng.randrange(3, 9))):
            signups.sign_up(actor=v.user, activity=activity, role=rng.choice([*activity.roles_needed, ""]), now=now)
            signed += 1
    return {
        "partners": len(platforms) + len(shops),
        "volunteers": len(volunteers),
        "activities open for sign-up": len(published),
        "sign-ups": signed,
    }
