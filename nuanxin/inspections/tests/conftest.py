from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from nuanxin.inspections import actions
from nuanxin.inspections.checklists import install_demo_templates
from nuanxin.inspections.models import WatchTarget
from nuanxin.people.tests.sample import People
from nuanxin.territory import actions as territory_actions
from nuanxin.territory.models import Place
from nuanxin.testing import SYSTEM_SCOPE, Shared, World, own_copy

# A Monday: its week runs to Sunday 10 March, its month to 31 March, its quarter to 31 March.
MONDAY = date(2024, 3, 4)


@dataclass
class Watch:
    people: People
    restaurant: Place  # grid 1
    hotel: Place  # grid 2
    restaurant_target: WatchTarget  # catering, high (weekly), grid 1
    hotel_target: WatchTarget  # small hotel, low (quarterly), grid 2
    special_target: WatchTarget  # zhang as a special group, medium (monthly), grid 1
    key_target: WatchTarget  # zhang as a key person, high (weekly), grid 1


@pytest.fixture(scope="module")
def shared_watch(shared: Shared, shared_world: World | None, shared_people: People | None) -> Watch | None:
    return shared.build("watch", lambda: _watch(shared_world, shared_people))  # type: ignore[arg-type]


@pytest.fixture
def watch(world: World, people: People, shared_watch: Watch | None, copies: dict[int, Any]) -> Watch:
    """The demo checklists and four watch targets in grids 1 and 2, shared like the world."""
    return _watch(world, people) if shared_watch is None else own_copy(shared_watch, copies)


def _watch(world: World, people: People) -> Watch:
    install_demo_templates(actor=None)
    restaurant = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="小面馆", lng=102.7005, lat=24.9805
    )
    hotel = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="快捷旅馆", lng=102.7025, lat=24.9805
    )
    admin = world.community_admin

    def add(category: str, tier: str, worker: object, **subject: object) -> WatchTarget:
        return actions.add_target(
            actor=admin, scope=SYSTEM_SCOPE, category=category, tier=tier, worker=worker, today=MONDAY, **subject
        )  # type: ignore[arg-type]

    return Watch(
        people=people,
        restaurant=restaurant,
        hotel=hotel,
        restaurant_target=add("catering", "high", world.grid1_worker, place=restaurant),
        hotel_target=add("small_hotel", "low", world.grid2_worker, place=hotel),
        special_target=add("special_group", "medium", world.grid1_worker, resident=people.zhang),
        key_target=add("key_person", "high", world.grid1_leader, resident=people.zhang),
    )
