"""People test data, registered through the actions: a household of two in grid 1 (one of
them tagged), a resident in grid 2, and the rider's and the resident persona's own records."""

from dataclasses import dataclass

from nuanxin.core.validators import id_check_digit
from nuanxin.people import actions
from nuanxin.people.models import Household, Resident, ResidentTag
from nuanxin.testing import SYSTEM_SCOPE, World


def make_id(first17: str) -> str:
    """A valid 18-character ID number from its first 17 digits."""
    return first17 + id_check_digit(first17)


ZHANG_ID = make_id("53011219800307123")  # male, born 1980-03-07
ZHANG_PHONE = "13812345678"
LI_ID = make_id("53011219921115002")  # female, born 1992-11-15
LI_PHONE = "13987654321"
WANG_ID = make_id("53011219750101551")
WANG_PHONE = "15011112222"


@dataclass
class People:
    household: Household
    zhang: Resident  # grid 1, tagged special group and key person
    li: Resident  # grid 1, same household
    wang: Resident  # grid 2
    rider_self: Resident  # grid 1, the rider's own record
    resident_self: Resident  # grid 2, the resident persona's own record
    special_tag: ResidentTag
    key_tag: ResidentTag


def build_people(world: World) -> People:
    household = actions.register_household(actor=None, scope=SYSTEM_SCOPE, place=world.compound1, number="3-2-501")
    zhang = actions.register_resident(
        actor=None,
        scope=SYSTEM_SCOPE,
        name="张三",
        place=world.compound1,
        household=household,
        id_number=ZHANG_ID,
        phone=ZHANG_PHONE,
    )
    li = actions.register_resident(
        actor=None,
        scope=SYSTEM_SCOPE,
        name="李四",
        place=world.compound1,
        household=household,
        id_number=LI_ID,
        phone=LI_PHONE,
    )
    wang = actions.register_resident(
        actor=None, scope=SYSTEM_SCOPE, name="王五", place=world.compound2, id_number=WANG_ID, phone=WANG_PHONE
    )
    rider_self = actions.register_resident(
        actor=None, scope=SYSTEM_SCOPE, name="骑手小赵", place=world.compound1, user=world.rider
    )
    resident_self = actions.register_resident(
        actor=None, scope=SYSTEM_SCOPE, name="居民小钱", place=world.compound2, user=world.resident
    )
    special = actions.tag_resident(
        actor=None, scope=SYSTEM_SCOPE, resident=zhang, kind="special_group", category="elderly_alone"
    )
    key = actions.tag_resident(
        actor=None,
        scope=SYSTEM_SCOPE,
        resident=zhang,
        kind="key_person",
        category="community_correction",
        note="每周报到",
    )
    return People(household, zhang, li, wang, rider_self, resident_self, special, key)
