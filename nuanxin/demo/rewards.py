"""The demo community's points rules and rewards catalogue, made through the points actions:
the default rules (one point an hour, five for a verified hazard report), the love
supermarket's goods (the community's own, confirmed by its staff), and from the partners
that bring volunteers: merchants' coupons and rider meal vouchers (confirmed by the
partner's representatives). Call it after the volunteers' demo, which creates the partners.
"""

import random
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from nuanxin.accounts.scope import scope_of
from nuanxin.territory.models import Area
from nuanxin.volunteers.models import Partner, Reward
from nuanxin.volunteers.points import actions as points

if TYPE_CHECKING:
    from nuanxin.demo.builder import Builder

# (name, points, stock): everyday goods a community love supermarket (爱心超市) stocks.
LOVE_SUPERMARKET = (
    ("洗衣皂", 10, 60),
    ("抽纸（一提）", 15, 50),
    ("洗洁精", 20, 40),
    ("食用盐", 8, 80),
    ("大米（5 斤）", 60, 20),
    ("食用油（1.8 升）", 80, 15),
    ("保温杯", 120, 10),
    ("雨衣", 90, 12),
)
COUPONS = ("满 30 减 10 优惠券", "理发八折券", "饮品买一送一券")
MEALS = ("骑手爱心午餐", "骑手暖心晚餐")


def build_rewards_demo(
    *,
    rng: random.Random,
    community: Area,
    actor: Any,
    partners: Sequence[Partner] | None = None,
) -> dict[str, int]:
    """Rules, the community's goods and the partners' coupons and meal vouchers; returns
    what was made, counted. `partners` defaults to every merchant partner on record."""
    scope = scope_of(actor)
    counts = {"points rules": len(points.install_default_rules(actor=actor, scope=scope))}
    for name, cost, stock in LOVE_SUPERMARKET:
        points.create_reward(
            actor=actor, scope=scope, name=name, kind=Reward.Kind.GOODS, points=cost, stock=stock, area=community
        )
    counts["love supermarket goods"] = len(LOVE_SUPERMARKET)
    if partners is None:
        partners = list(Partner.objects.filter(kind=Partner.Kind.MERCHANT).order_by("name"))
    coupons = meals = 0
    for i, partner in enumerate(partners):
        if rng.random() < 0.6:
            points.create_reward(
                actor=actor,
                scope=scope,
                name=f"{partner.name} {rng.choice(COUPONS)}",
                kind=Reward.Kind.COUPON,
                points=rng.choice((20, 30, 40)),
                stock=rng.randrange(10, 40),
                area=community,
                provider=partner,
            )
            coupons += 1
        if i == 0 or rng.random() < 0.5:  # the first always: the rider's journey needs one
            points.create_reward(
                actor=actor,
                scope=scope,
                name=f"{partner.name} {rng.choice(MEALS)}",
                kind=Reward.Kind.MEAL_VOUCHER,
                points=rng.choice((15, 20, 25)),
                stock=rng.randrange(20, 60),
                area=community,
                provider=partner,
            )
            meals += 1
    counts["merchant coupons"] = coupons
    counts["rider meal vouchers"] = meals
    return counts


def rewards_history(builder: "Builder", start: date, end: date) -> dict[str, int]:
    """The demo history's points rules and rewards (nuanxin.core.demo_history), after the
    volunteers' step has made the partners."""
    return build_rewards_demo(rng=builder.rng, community=builder.community, actor=builder.users["community"])
