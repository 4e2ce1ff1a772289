"""The volunteers' demo builds through the actions and leaves a clean-up open for sign-up."""

import random
from datetime import date

from nuanxin.demo.volunteers import build_volunteers_demo
from nuanxin.territory import actions as territory_actions
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.models import Activity, Partner, SignUp, Volunteer


def test_demo_registers_volunteers_and_publishes_upcoming_activities(world: World) -> None:
    territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="米线店", lng=102.7008, lat=24.9808
    )
    counts = build_volunteers_demo(
        rng=random.Random(7),
        community=world.community,
        organiser=world.community_admin,
        riders=[world.rider],
        start=date(2023, 7, 1),
        end=date(2024, 12, 31),
    )
    assert counts["volunteers"] == Volunteer.objects.count() == 32
    assert Volunteer.objects.get(user=world.rider).group == "rider"
    cleanup = Activity.objects.get(kind="cleanup", published=True)
    assert cleanup.capacity == 20 and cleanup.checkin_secret
    assert counts["activities open for sign-up"] == 5
    assert SignUp.objects.count() == counts["sign-ups"] > 0
    shop = Partner.objects.get(kind="merchant")
    # The community's partner-representative logins speak for the first merchant partner.
    assert list(shop.representatives.all()) == [world.partner]
