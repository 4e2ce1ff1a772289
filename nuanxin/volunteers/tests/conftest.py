"""Campaign fixtures: the demo checklists, a restaurant and a shop in grid 1, and campaigns
in the community, in grid 1 and in the other community, each made through the actions."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from nuanxin.inspections.checklists import install_demo_templates
from nuanxin.inspections.tests.conftest import shared_watch, watch  # noqa: F401 (fixtures)
from nuanxin.territory import actions as territory_actions
from nuanxin.territory.models import Place
from nuanxin.testing import SYSTEM_SCOPE, Shared, World, own_copy
from nuanxin.volunteers.activities.actions import create_activity
from nuanxin.volunteers.models import Activity


@dataclass
class Campaigns:
    sweep: Activity  # fire-safety sweep of the community, by the community admin
    cleanup: Activity  # clean-up of grid 1, by the grid 1 worker
    elsewhere: Activity  # food-safety check in the other community
    shop: Place  # a merchant in grid 1


def _campaigns(world: World) -> Campaigns:
    install_demo_templates(actor=None)
    shop = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="小卖部", lng=102.7008, lat=24.9808
    )
    sweep = create_activity(
        actor=world.community_admin,
        scope=SYSTEM_SCOPE,
        kind="fire_check",
        title="冬季消防安全大排查",
        area=world.community,
        starts_on=date(2024, 11, 1),
        ends_on=date(2024, 11, 30),
    )
    cleanup = create_activity(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        kind="cleanup",
        title="楼道杂物清理",
        area=world.grid1,
        starts_on=date(2024, 6, 8),
        ends_on=date(2024, 6, 8),
    )
    elsewhere = create_activity(
        actor=world.other_admin,
        scope=SYSTEM_SCOPE,
        kind="food_safety_check",
        title="餐饮店食品安全检查",
        area=world.other_community,
        starts_on=date(2024, 5, 1),
        ends_on=date(2024, 5, 3),
    )
    return Campaigns(sweep=sweep, cleanup=cleanup, elsewhere=elsewhere, shop=shop)


@pytest.fixture(scope="module")
def shared_campaigns(shared: Shared, shared_world: World | None) -> Campaigns | None:
    return shared.build("campaigns", lambda: _campaigns(shared_world))  # type: ignore[arg-type]


@pytest.fixture
def campaigns(world: World, shared_campaigns: Campaigns | None, copies: dict[int, Any]) -> Campaigns:
    """Three campaigns and a shop on the world, shared like the world."""
    return _campaigns(world) if shared_campaigns is None else own_copy(shared_campaigns, copies)
