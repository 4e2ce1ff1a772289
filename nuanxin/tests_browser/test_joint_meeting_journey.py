"""Issue 18's joint meeting journey in a real browser:

the community admin plans a joint meeting of the alliance and shows its QR code; three member
units' representatives sign in with it on their phones; the admin records the minutes and a
resolution assigned to the first unit; that unit's representative finds the task on their
console and reports it done with a photo; the community verifies and publishes it; the minutes
download as Word and PDF and open, and the meeting shows the resolution done on time.

The clock is set (time-machine, ticking) to an afternoon some days ahead, ten minutes before
the meeting, so its code is valid, then to a quarter of an hour into it, then twelve days on;
the days are in the future, as the browser keeps its own clock and must not see the server's
cookies as expired.
"""

from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from nuanxin.accounts import actions as account_actions
from nuanxin.accounts.scope import scope_of
from nuanxin.core.audit import SYSTEM
from nuanxin.party import actions as party_actions
from nuanxin.party import alliance
from nuanxin.party.models import JointMeeting, MeetingAttendance, Task
from nuanxin.territory import actions as territory_actions
from nuanxin.testing import PASSWORD, SYSTEM_SCOPE, World, image_bytes
from nuanxin.tests_browser.conftest import DESKTOP, PHONE, screenshot, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
UNITS = (
    ("测试银行", "bank-rep", "银行代表"),
    ("测试小学", "school-rep", "学校代表"),
    ("测试火锅", "hotpot-rep", "火锅店代表"),
)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _submit(page: Page, form: Any) -> None:
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()


def test_a_joint_meeting_from_the_qr_sign_in_to_a_verified_resolution(
    open_page: Any, world: World, live_server: Any
) -> None:
    day = timezone.localdate() + timedelta(days=3)
    with time_machine.travel(_at(day, 14, 20), tick=True):
        # 1. Set up through the actions: the community's party committee and three member units,
        # each with its representative's account.
        admin = world.community_admin
        committee = party_actions.create_org(
            actor=admin,
            scope=scope_of(admin),
            name="测试社区党委",
            kind="committee",
            area=world.community,
            founded_on=date(2015, 7, 1),
        )
        for n, (name, username, display) in enumerate(UNITS):
            place = territory_actions.create_place(
                actor=None, scope=SYSTEM_SCOPE, kind="public_unit", name=name, lng=102.7005 + n / 10_000, lat=24.9805
            )
            rep = account_actions.create_user(actor=None, username=username, password=PASSWORD, display_name=display)
            account_actions.grant_role(actor=SYSTEM, user=rep, role="partner_rep", unit=place)
            alliance.join_alliance(
                actor=admin, scope=scope_of(admin), committee=committee, place=place, joined_on=date(2024, 1, 1)
            )

        # 2. The admin plans the meeting on the console and opens its sign-in code.
        office = open_page(DESKTOP)
        sign_in(office, "community-admin")
        office.goto("/party/joint/")
        form = office.locator("main form[action$='/party/joint/new/']")
        form.locator("select[name=committee]").select_option(str(committee.pk))
        form.locator("input[name=title]").fill("本季度大党委联席会议")
        form.locator("input[name=starts_at]").fill(f"{day:%Y-%m-%d}T14:30")
        form.locator("input[name=ends_at]").fill(f"{day:%Y-%m-%d}T16:30")
        form.locator("input[name=location]").fill("党群服务中心三楼会议室")
        form.locator("textarea[name=agenda]").fill("通报共建项目\n研究楼道照明改造")
        _submit(office, form)
        meeting = JointMeeting.objects.get()
        expect(office.locator("h1")).to_have_text("本季度大党委联席会议")
        office.goto(f"/party/joint/{meeting.pk}/qr/")
        expect(office.locator("[data-qr] svg")).to_be_visible()
        sign_in_url = office.locator("main small").inner_text()
        assert "/party/joint/sign-in/" in sign_in_url
        screenshot(office, "joint-meeting-qr")

        # 3. The three representatives scan it on their phones: sign in to the site, one tap.
        for _name, username, _display in UNITS:
            phone = open_page(PHONE)
            phone.goto(sign_in_url)
            form = phone.locator("main form")
            form.locator("input[name=username]").fill(username)
            form.locator("input[name=password]").fill(PASSWORD)
            _submit(phone, form)
            expect(phone.locator("h1")).to_have_text("本季度大党委联席会议")
            _submit(phone, phone.locator("main form"))
            expect(phone.locator("[data-signed-in]")).to_be_visible()
        screenshot(phone, "joint-meeting-signed-in-phone")
        signed = MeetingAttendance.objects.values_list("unit__place__name", flat=True)
        assert sorted(signed) == sorted(name for name, _u, _d in UNITS)

    with time_machine.travel(_at(day, 14, 45), tick=True):
        # 4. Once the meeting has begun, the admin records the minutes and a resolution for
        # the bank.
        office.goto(f"/party/joint/{meeting.pk}/")
        expect(office.locator("[data-attendance] li")).to_have_count(3)
        hold = office.locator("main form[action$='/held/']")
        hold.locator("textarea[name=minutes]").fill("会议通报了共建项目，研究了楼道照明改造。")
        _submit(office, hold)
        resolve = office.locator("main form[action$='/resolutions/']")
        resolve.locator("input[name=title]").fill("完成楼道照明改造")
        bank = meeting.committee.alliance_units.get(place__name="测试银行")
        resolve.locator("select[name=owner]").select_option(f"unit:{bank.pk}")
        resolve.locator("input[name=deadline]").fill(f"{day + timedelta(days=20):%Y-%m-%d}")
        resolve.locator("textarea[name=milestones]").fill(f"{day + timedelta(days=10):%Y-%m-%d} 采购灯具")
        _submit(office, resolve)
        task = Task.objects.get()

    with time_machine.travel(_at(day + timedelta(days=12), 10, 0), tick=True):
        # 5. The bank's representative finds the task on their console and reports it done.
        rep = open_page(DESKTOP)
        sign_in(rep, "bank-rep")
        rep.goto("/console/")
        link = rep.locator(f"main a[href='/party/tasks/{task.pk}/']").first
        expect(link).to_have_text("完成楼道照明改造")
        with rep.expect_navigation():
            link.click()
        report = rep.locator("main form[action$='/report/']")
        report.locator("textarea[name=note]").fill("灯具已全部安装")
        report.locator("input[name=progress]").fill("100")
        report.locator("input[name=milestones]").first.check()
        report.locator("input[name=photo]").set_input_files(
            files=[{"name": "done.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()}]
        )
        _submit(rep, report)
        expect(rep.locator("[data-reports] img.thumb")).to_be_visible()
        screenshot(rep, "joint-meeting-task-reported")

        # 6. The community verifies and publishes it (signed in again: a staff session ends
        # after half an hour idle).
        office = open_page(DESKTOP)
        sign_in(office, "community-admin")
        office.goto(f"/party/tasks/{task.pk}/")
        verify = office.locator("main form[action$='/verify/']")
        verify.locator("select[name=accepted]").select_option("yes")
        _submit(office, verify)
        _submit(office, office.locator("main form[action$='/publish/']"))
        expect(office.locator("[data-state]")).to_contain_text("按期完成")

        # 7. The minutes download as Word and PDF and open; the meeting shows the result.
        from docx import Document

        office.goto(f"/party/joint/{meeting.pk}/")
        with office.expect_download() as word:
            office.locator("[data-papers] a[href$='minutes.docx']").click()
        text = "\n".join(p.text for p in Document(BytesIO(_bytes(word.value))).paragraphs)
        assert "本季度大党委联席会议" in text and "测试银行：银行代表" in text
        with office.expect_download() as pdf:
            office.locator("[data-papers] a[href$='minutes.pdf']").click()
        assert _bytes(pdf.value).startswith(b"%PDF")
        expect(office.locator("[data-resolutions] tbody tr").first).to_contain_text("按期完成")
        screenshot(office, "joint-meeting-done")


def _bytes(download: Any) -> bytes:
    with open(download.path(), "rb") as handle:
        return handle.read()
