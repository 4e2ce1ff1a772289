"""A party member's phone in a real browser (issue 18 §6): from the field home to 我的支部, they
ask for leave from their branch's coming meeting with the reason, then on the day sign in
after all; the community admin's form to record the meeting starts from that sign-in.

The clock is set (time-machine, ticking) to days ahead, as the browser keeps its own clock and
must not see the server's cookies as expired.
"""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from nuanxin.accounts.scope import scope_of
from nuanxin.party import actions as party_actions
from nuanxin.party import life
from nuanxin.party.models import Attendance, MeetingReply
from nuanxin.testing import World
from nuanxin.tests_browser.conftest import DESKTOP, PHONE, screenshot, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def test_a_member_asks_for_leave_then_signs_in_on_the_day(open_page: Any, world: World, live_server: Any) -> None:
    day = timezone.localdate() + timedelta(days=3)
    admin = world.community_admin
    with time_machine.travel(_at(day - timedelta(days=1), 18), tick=True):
        office = {"actor": admin, "scope": scope_of(admin)}
        committee = party_actions.create_org(
            **office, name="测试社区党委", kind="committee", area=world.community, founded_on=date(2015, 7, 1)
        )
        branch = party_actions.create_org(
            **office,
            name="骑手流动党员支部",
            kind="branch",
            area=world.community,
            founded_on=date(2020, 1, 1),
            parent=committee,
        )
        party_actions.register_member(
            **office,
            org=branch,
            name="马骁骑",
            standing="full",
            status="mobile_in",
            origin="曲靖市麒麟区越州镇党委",
            since=date(2024, 1, 1),
            user=world.rider,
        )
        meeting = life.plan_meeting(
            **office, org=branch, kind="members", planned_on=day, topics="学习党章，交流岗位建功"
        )

        phone = open_page(PHONE)
        sign_in(phone, "rider")
        phone.goto("/field/")
        phone.get_by_role("link", name="我的支部").click()
        expect(phone.locator("h1")).to_have_text("骑手流动党员支部")
        card = phone.locator(f"[data-meeting='{meeting.pk}']")
        expect(card).to_contain_text("学习党章")
        expect(card.get_by_role("button", name="我已到场：签到")).to_have_count(0)  # not before the day
        card.locator("summary").click()
        card.get_by_label("请假原因").fill("当晚跑单高峰")
        with phone.expect_navigation():
            card.locator("details form button[type=submit]").click()
        expect(phone.locator(".messages")).to_contain_text("请假已登记")
        expect(phone.locator(f"[data-meeting='{meeting.pk}'] [data-reply='leave']")).to_contain_text("当晚跑单高峰")
        screenshot(phone, "party-member-leave")

    with time_machine.travel(_at(day, 19), tick=True):
        phone.reload()
        card = phone.locator(f"[data-meeting='{meeting.pk}']")
        with phone.expect_navigation():
            card.get_by_role("button", name="我已到场：签到").click()
        card = phone.locator(f"[data-meeting='{meeting.pk}']")
        expect(card.locator("[data-reply='present']")).to_be_visible()
        expect(card.get_by_role("button", name="我已到场：签到")).to_have_count(0)  # signed in once
        assert MeetingReply.objects.get().presence == "present"
        screenshot(phone, "party-member-signed-in")

        console = open_page(DESKTOP)
        sign_in(console, "community-admin")
        console.goto(f"/party/meetings/{meeting.pk}/")
        expect(
            console.locator(f"input[name='p-{MeetingReply.objects.get().member_id}'][value='present']")
        ).to_be_checked()
        console.locator("input[name=held_on]").fill(f"{day:%Y-%m-%d}")
        with console.expect_navigation():
            console.get_by_role("button", name="登记会议").click()
        expect(console.locator("[data-held]")).to_have_text(f"{day:%Y-%m-%d}")
        assert list(Attendance.objects.values_list("member__name", "presence")) == [("马骁骑", "present")]
