"""The demo community's warm stations and rider services, made through the stations actions.

The territory already holds the 8 warm stations as places of kind "station" with the seed's
amenities (in Chinese), opening hours and host (words.STATIONS); here each gets its station
record (codes YXQ-01…08 in the order they were placed), plus rider meal offers from catering
merchants of the commercial centres, free parking points beside those centres and green
delivery channels into a few compounds.
"""

import random
from datetime import date
from typing import TYPE_CHECKING, Any

from nuanxin.accounts.scope import scope_of
from nuanxin.stations import actions
from nuanxin.stations.models import Amenity, Station
from nuanxin.territory.models import Area, Place

if TYPE_CHECKING:
    from nuanxin.demo.builder import Builder

# The seed's amenity names → codes.
AMENITY_CODES = {
    "热水": Amenity.HOT_WATER,
    "无线网络": Amenity.WIFI,
    "医药箱": Amenity.FIRST_AID,
    "微波炉": Amenity.MICROWAVE,
    "卫生间": Amenity.TOILET,
    "充电": Amenity.CHARGING,
    "冰箱": Amenity.FRIDGE,
    "座椅": Amenity.SEATS,
}
OFFERS = (
    ("骑手爱心套餐（米线+饮料）", "12.00", ""),
    ("骑手工作餐", "15.00", ""),
    ("骑手专享折扣", None, "凭骑手工牌8折"),
    ("午市骑手套餐", "13.50", ""),
    ("骑手免费加饭加汤", None, "免费加饭加汤"),
    ("夜宵骑手优惠", None, "满30减8"),
)
OFFER_HOURS = ("10:30-14:00,17:00-21:00", "11:00-22:00", "10:00-14:00，17:00-20:30")
CHANNELS = (
    ("东门", "东门登记后直行，沿主干道可到各栋单元门口", "07:00-23:00"),
    ("北门", "北门刷骑手通行卡进入，外卖可送至楼下", "00:00-24:00"),
    ("西侧门", "西侧门进入后右转，电动车停放在楼前临时车位", "07:00-22:00"),
    ("南门", "南门岗亭登记，步行送至单元门", "06:30-23:30"),
)
CHANNEL_RULES = "凭工牌登记进入；小区内限速5公里/小时；不得在消防通道停车；夜间轻声。"


def _landline(rng: random.Random) -> str:
    return f"0871-6{rng.randint(1000000, 9999999)}"


def build_stations_demo(
    *, rng: random.Random, community: Area, actor: Any, today: date | None = None
) -> dict[str, int]:
    """Station records for the community's station places, and the rider services. Returns
    counts by kind. Only actions write; the same seed gives the same result."""
    scope = scope_of(actor)
    today = today or date(2024, 1, 1)
    in_community = {"grid__path__startswith": community.path}
    places = Place.objects.filter(**in_community)
    counts = {"stations": 0, "meal offers": 0, "parking points": 0, "green channels": 0}
    for number, place in enumerate(places.filter(kind=Place.Kind.STATION).order_by("id"), start=1):
        if Station.objects.filter(place=place).exists():
            continue
        attributes = place.attributes or {}
        host_name = attributes.get("host", "")
        host = places.exclude(kind=Place.Kind.STATION).filter(name=host_name).first() if host_name else None
        amenities = [AMENITY_CODES[a] for a in attributes.get("amenities", []) if a in AMENITY_CODES]
        amenities.append(Amenity.SEATS)
        actions.create_station(
            actor=actor,
            scope=scope,
            place=place,
            code=f"YXQ-{number:02d}",
            host=host,
            opening_hours_text=attributes.get("opening_hours") or "09:00-21:00",
            amenities=amenities,
            capacity=rng.choice((6, 8, 10, 12, 15)),
            contact_name="驿站值班员",
            contact_phone=_landline(rng),
        )
        counts["stations"] += 1

    centres = list(places.filter(kind=Place.Kind.COMMERCIAL_CENTRE).order_by("id"))
    caterers = list(
        places.filter(kind=Place.Kind.MERCHANT, parent__in=centres, attributes__category="餐饮").order_by("id")
    )
    for (title, price, discount), merchant in zip(
        OFFERS, rng.sample(caterers, min(len(OFFERS), len(caterers))), strict=False
    ):
        actions.create_meal_offer(
            actor=actor,
            scope=scope,
            merchant=merchant,
            title=title,
            price=price,
            discount=discount,
            hours_text=rng.choice(OFFER_HOURS),
            valid_from=today,
        )
        counts["meal offers"] += 1

    for centre in centres:
        for side, (dlng, dlat) in enumerate(((0.0003, 0.0), (-0.0003, 0.0002))):
            actions.create_parking_point(
                actor=actor,
                scope=scope,
                name=f"{centre.name}骑手临时停靠点{side + 1}",
                lng=round(centre.lng + dlng, 6),
                lat=round(centre.lat + dlat, 6),
                capacity=rng.choice((10, 15, 20, 30)),
                note="免费停放30分钟，请勿占用消防通道",
            )
            counts["parking points"] += 1

    compounds = list(places.filter(kind=Place.Kind.COMPOUND).order_by("id"))
    for (gate, route, hours), compound in zip(CHANNELS, rng.sample(compounds, min(4, len(compounds))), strict=False):
        actions.create_green_channel(
            actor=actor,
            scope=scope,
            compound=compound,
            gate=gate,
            route=route,
            hours_text=hours,
            rules=CHANNEL_RULES,
            contact=f"物业值班室 {_landline(rng)}",
        )
        counts["green channels"] += 1
    return counts


def stations_history(builder: "Builder", start: date, end: date) -> dict[str, int]:
    """The demo history's stations and rider services (nuanxin.core.demo_history): records
    with no past of their own, made on any build."""
    return build_stations_demo(rng=builder.rng, community=builder.community, actor=builder.admin)
