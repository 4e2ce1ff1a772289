"""Issue 5's rider journey in a real browser, on a phone:

the rider finds the nearest warm station, checks in there, reports a blocked fire exit from
it, signs up for a clean-up and checks in and out with the venue's QR code; the community
approves the hours; the rider sees hours and points, redeems a meal voucher, and the
merchant's representative confirms it, once.

The clock is set (time-machine, ticking) to a morning some days ahead, half an hour before
the clean-up starts, so sign-up is open and the venue's code is valid (from an hour before
the start to the end); it moves on to shortly before the end for the check-out. The days are
in the future: the browser keeps its own clock and must not see the server's cookies as
expired.
"""

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone, translation
from playwright.sync_api import Geolocation, Page, expect

from nuanxin.accounts.scope import scope_of
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case
from nuanxin.core.coords import wgs84_to_gcj02
from nuanxin.core.masking import mask_name
from nuanxin.stations import actions as station_actions
from nuanxin.stations.models import StationCheckIn
from nuanxin.territory import actions as territory_actions
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.tests_browser.conftest import DESKTOP, PHONE, screenshot, sign_in
from nuanxin.volunteers.activities.actions import create_activity
from nuanxin.volunteers.models import Attendance, PointsEntry, Redemption, ServiceRecord, SignUp
from nuanxin.volunteers.points import actions as points
from nuanxin.volunteers.points.queries import balance
from nuanxin.volunteers.signups import actions as signups
from nuanxin.volunteers.signups import checkins

SHANGHAI = ZoneInfo("Asia/Shanghai")
RIDER_NAME = "马骁骑"
MEAL = "骑手爱心午餐券"
NEAR_STATION = Geolocation(latitude=24.9817, longitude=102.7037)  # about 30 m from world.station


def _label(msgid: str) -> str:
    """A label as the Chinese pages show it (the msgid while the catalogue lacks it)."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _click_to(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def _report_here(page: Page, code: str, text: str, answers: dict[str, str] | None = None) -> None:
    """The station's two-tap report: what it is, a few words, the class's questions, send."""
    form = page.locator("main form")
    form.locator("select[name=case_class]").select_option(code)
    form.locator("textarea[name=description]").fill(text)
    for question, value in (answers or {}).items():
        form.locator(f"fieldset[data-class='{code}'] select[name='attribute[{question}]']").select_option(value)
    with page.expect_navigation():
        form.locator("button.primary[type=submit]").click()


def test_rider_station_report_cleanup_hours_points_and_a_confirmed_meal_voucher(
    open_page: Any, world: World, live_server: Any
) -> None:
    day = timezone.localdate() + timedelta(days=3)
    with time_machine.travel(_at(day, 8, 30), tick=True) as clock:
        # 1. Set up through the actions: the case catalogue, two stations (the world's, near the
        # rider, and a farther one), the rider as a volunteer, a clean-up from 09:00 to 12:00,
        # the points rules, and a noodle shop whose representative is world.partner, with a
        # meal voucher the clean-up's hours pay for.
        install_catalogue(actor=None)
        station = station_actions.create_station(
            actor=world.community_admin,
            scope=SYSTEM_SCOPE,
            place=world.station,
            code="YXQ-01",
            opening_hours_text="24小时",
            amenities=["hot_water", "wifi", "charging", "microwave"],
            capacity=8,
            contact_name="王师傅",
            contact_phone="0871-65123456",
        )
        farther = territory_actions.create_place(
            actor=None,
            scope=SYSTEM_SCOPE,
            kind="station",
            name="温新驿站二号",
            lng=102.7005,
            lat=24.9805,
            address="测试路1号",
        )
        station_actions.create_station(
            actor=world.community_admin,
            scope=SYSTEM_SCOPE,
            place=farther,
            code="YXQ-02",
            opening_hours_text="08:00-20:00",
            amenities=[],
        )
        volunteer = signups.register_volunteer(
            actor=world.rider,
            scope=scope_of(world.rider),
            user=world.rider,
            name=RIDER_NAME,
            phone="13912345678",
            group="rider",
            employer="美团外卖",
            home_grid=world.grid2,
        )
        activity = create_activity(
            actor=world.community_admin,
            scope=SYSTEM_SCOPE,
            kind="cleanup",
            title="二网格环境卫生清扫",
            area=world.grid2,
            starts_on=day,
            ends_on=day,
            location="二号院门口",
        )
        activity = signups.publish_activity(
            actor=world.community_admin,
            scope=SYSTEM_SCOPE,
            activity=activity,
            start_time=time(9),
            end_time=time(12),
            capacity=20,
        )
        points.install_default_rules(actor=None, scope=SYSTEM_SCOPE)
        shop = territory_actions.create_place(
            actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="好味面馆", lng=102.7032, lat=24.9812
        )
        partner = signups.create_partner(
            actor=world.community_admin,
            scope=scope_of(world.community_admin),
            name="好味面馆",
            kind="merchant",
            place=shop,
        )
        signups.add_representative(
            actor=world.community_admin, scope=scope_of(world.community_admin), partner=partner, user=world.partner
        )
        points.create_reward(
            actor=None,
            scope=SYSTEM_SCOPE,
            name=MEAL,
            kind="meal_voucher",
            points=2,
            stock=10,
            area=world.community,
            provider=partner,
        )
        points.create_reward(
            actor=None,
            scope=SYSTEM_SCOPE,
            name="爱心超市大米一袋",
            kind="goods",
            points=50,
            stock=5,
            area=world.community,
        )

        # 2. The rider's phone, near the station: the field home, then the nearest station.
        phone = open_page(PHONE)
        phone.context.grant_permissions(["geolocation"])
        phone.context.set_geolocation(NEAR_STATION)
        sign_in(phone, "rider")
        phone.goto("/field/")
        screenshot(phone, "rider-01-field-home")
        phone.locator("main a[href='/stations/near/']").click()
        phone.wait_for_url("**/stations/near/?*lat=*")  # the page asked for the location and reloaded
        rows = phone.locator("main article.station-row")
        expect(rows).to_have_count(2)
        first = rows.first
        expect(first).to_have_attribute("data-station", "YXQ-01")
        distance = int(first.locator("[data-distance]").get_attribute("data-distance") or "-1")
        assert 0 < distance < 60
        expect(rows.nth(1)).to_have_attribute("data-station", "YXQ-02")
        assert int(rows.nth(1).locator("[data-distance]").get_attribute("data-distance") or "0") > distance
        links = [first.locator(".routes a").nth(i).get_attribute("href") or "" for i in range(3)]
        assert links[0].startswith("https://uri.amap.com/navigation?")
        assert links[1].startswith("https://api.map.baidu.com/direction?")
        assert links[2].startswith("https://apis.map.qq.com/uri/v1/routeplan?")
        glng, glat = wgs84_to_gcj02(world.station.lng, world.station.lat)
        assert parse_qs(urlsplit(links[0]).query)["to"][0].startswith(f"{glng:.6f},{glat:.6f},")  # GCJ-02
        screenshot(phone, "rider-02-nearest-stations")

        # The station: check in there.
        _click_to(phone, "main article.station-row >> nth=0 >> h2 a")
        assert phone.url.endswith("/stations/YXQ-01/")
        screenshot(phone, "rider-03-station")
        _click_to(phone, f"main form[action='/stations/{station.code}/checkin/'] button[type=submit]")
        assert StationCheckIn.objects.filter(station=station, user=world.rider).count() == 1
        expect(phone.locator("ul.messages")).to_contain_text(world.station.name)
        screenshot(phone, "rider-04-station-checked-in")

        # Report a blocked fire exit from the station: the place is the station's. The class asks
        # what blocks it (堵塞物); once it is chosen only its question shows. Sent without the
        # answer, the refusal is shown at that question and nothing is written.
        _click_to(phone, f"main a[href='/stations/{station.code}/report/']")
        words = "驿站旁边楼道的安全出口被电动车堵住了"
        question = phone.locator("main form fieldset[data-class='blocked-fire-exit']")
        expect(question).to_be_hidden()  # no class chosen yet
        _report_here(phone, "blocked-fire-exit", words)
        expect(question.locator(".field-error")).to_contain_text("堵塞物")
        expect(phone.locator("main form fieldset[data-class='noise']")).to_be_hidden()
        assert not Case.objects.exists()
        screenshot(phone, "rider-05-station-report-asks-what-blocks-it")
        _report_here(phone, "blocked-fire-exit", words, answers={"what": "vehicle"})
        case = Case.objects.select_related("case_class").get()
        assert (case.case_class.code, case.answers, case.place_id, case.grid_id, case.reporter_id) == (
            "blocked-fire-exit",
            {"what": "vehicle"},
            world.station.pk,
            world.grid2.pk,
            world.rider.pk,
        )
        assert (case.lng, case.lat) == (world.station.lng, world.station.lat)
        expect(phone.locator("main")).to_contain_text(case.number)
        screenshot(phone, "rider-06-report-sent")

        # Sign up for the clean-up from the field home.
        phone.goto("/field/")
        _click_to(phone, "main a[href='/volunteers/activities/']")
        screenshot(phone, "rider-07-activities")
        _click_to(phone, f"main a[data-activity='{activity.pk}']")
        _click_to(phone, f"main form[action='/volunteers/activities/{activity.pk}/signup/'] button[type=submit]")
        expect(phone.locator("[data-my-signup]")).to_have_attribute("data-my-signup", "confirmed")
        assert SignUp.objects.get(activity=activity, volunteer=volunteer).state == SignUp.State.CONFIRMED
        screenshot(phone, "rider-08-signed-up")

        # The organiser's QR page (community-admin, desktop) gives the venue's check-in link.
        desk = open_page(DESKTOP)
        sign_in(desk, "community-admin")
        desk.goto(f"/volunteers/activities/{activity.pk}/qr/")
        expect(desk.locator("[data-qr] svg")).to_have_count(1)
        checkin_url = desk.locator("[data-url]").inner_text().strip()
        assert checkin_url == f"{live_server.url}/volunteers/checkin/{checkins.checkin_token(activity)}/"
        screenshot(desk, "rider-09-venue-qr")

        # At the venue the rider scans it: check in, and at 11:45 check out.
        phone.goto(checkin_url)
        _click_to(phone, "main button[data-step=in]")
        expect(phone.locator("[data-checked-in]")).to_be_visible()
        screenshot(phone, "rider-10-activity-checked-in")
        clock.move_to(_at(day, 11, 45))
        phone.goto(checkin_url)
        _click_to(phone, "main button[data-step=out]")
        expect(phone.locator("[data-checked-out]")).to_be_visible()
        screenshot(phone, "rider-11-activity-checked-out")
        attendance = Attendance.objects.get(activity=activity, volunteer=volunteer)
        assert attendance.checked_out_at is not None
        record = ServiceRecord.objects.get(attendance=attendance)
        assert record.state == ServiceRecord.State.PENDING
        assert record.minutes == 165  # 09:00 (the start, not the 08:3x arrival) to 11:45

        # 3. The community approves the hours on the organiser's page (its session idled out).
        sign_in(desk, "community-admin")
        desk.goto(f"/volunteers/hours/activity/{activity.pk}/")
        row = desk.locator(f"#pending #record-{record.pk}")
        expect(row).to_contain_text(mask_name(RIDER_NAME))
        expect(row).not_to_contain_text(RIDER_NAME)
        screenshot(desk, "rider-12-hours-to-approve")
        with desk.expect_navigation():
            row.locator("button[type=submit]").click()
        record.refresh_from_db()
        assert record.state == ServiceRecord.State.APPROVED
        expect(desk.locator("#approved")).to_contain_text(mask_name(RIDER_NAME))
        assert balance(volunteer) == 2  # one point an hour, 165 minutes rounded down
        assert PointsEntry.objects.filter(volunteer=volunteer, record=record, delta=2).count() == 1

        # 4. The rider sees the hours and the points, and redeems the meal voucher.
        phone.goto("/volunteers/hours/")
        expect(phone.locator("#total-hours")).to_have_text("2.7")
        expect(phone.locator(f"#record-{record.pk}")).to_contain_text(activity.title)
        expect(phone.locator(f"#record-{record.pk}")).to_contain_text("165")
        screenshot(phone, "rider-13-hours")
        phone.goto("/volunteers/points/")
        expect(phone.locator("#balance strong")).to_have_text("2")
        expect(phone.locator("#ledger")).to_contain_text("+2")
        screenshot(phone, "rider-14-points")
        with phone.expect_navigation():
            phone.locator("#rewards button.big-button", has_text=MEAL).click()
        voucher = Redemption.objects.select_related("reward").get(volunteer=volunteer)
        assert (voucher.reward.name, voucher.state, voucher.points) == (MEAL, Redemption.State.ISSUED, 2)
        assert balance(volunteer) == 0
        card = phone.locator("#vouchers .voucher", has_text=MEAL)
        expect(card).to_contain_text(voucher.code)
        expect(card.locator(".qr svg")).to_have_count(1)
        expect(phone.locator("#balance strong")).to_have_text("0")
        screenshot(phone, "rider-15-voucher")

        # The noodle shop's representative confirms it; a second phone that looked it up too
        # is refused when it tries to confirm again.
        shop_phone = open_page(PHONE)
        sign_in(shop_phone, "partner")
        shop_phone.goto("/field/")
        _click_to(shop_phone, "main a[href='/volunteers/points/confirm/']")
        lookup = shop_phone.locator("main form[method=get]")
        lookup.locator("input[name=code]").fill(voucher.code.lower())  # typed as it comes
        with shop_phone.expect_navigation():
            lookup.locator("button[type=submit]").click()
        found = shop_phone.locator("#voucher")
        expect(found).to_contain_text(MEAL)
        expect(found.locator(".masked")).to_have_text(mask_name(RIDER_NAME))
        expect(found).not_to_contain_text(RIDER_NAME)
        screenshot(shop_phone, "rider-16-confirm-lookup")
        second = open_page(PHONE)
        sign_in(second, "partner")
        second.goto(f"/volunteers/points/confirm/?code={voucher.code}")
        expect(second.locator("#voucher button[type=submit]")).to_be_visible()

        with shop_phone.expect_navigation():
            found.locator("button[type=submit]").click()
        expect(shop_phone.locator("ul.messages")).to_contain_text(voucher.code)
        voucher.refresh_from_db()
        assert voucher.state == Redemption.State.CONFIRMED and voucher.confirmed_by_id == world.partner.pk
        screenshot(shop_phone, "rider-17-confirmed")

        with second.expect_navigation():
            second.locator("#voucher button[type=submit]").click()
        refusal = second.locator("main form[method=get] .field-error")
        expect(refusal).to_have_text(_label("This voucher has been redeemed already."))
        screenshot(second, "rider-18-confirm-again-refused")
        second.goto(f"/volunteers/points/confirm/?code={voucher.code}")
        expect(second.locator("#voucher")).to_contain_text(_label("redeemed"))
        expect(second.locator("#voucher button[type=submit]")).to_have_count(0)
        voucher.refresh_from_db()
        assert voucher.state == Redemption.State.CONFIRMED
        assert Redemption.objects.filter(volunteer=volunteer).count() == 1

        # The rider's voucher shows redeemed, without its code to show any more.
        phone.goto("/volunteers/points/")
        card = phone.locator("#vouchers .voucher", has_text=MEAL)
        expect(card).to_contain_text(_label("redeemed"))
        expect(card.locator(".qr")).to_have_count(0)
        expect(phone.locator("#balance strong")).to_have_text("0")
        screenshot(phone, "rider-19-voucher-redeemed")


def test_a_rider_joins_on_the_phone_with_the_code_from_the_demo_sink(
    open_page: Any, world: World, live_server: Any, settings: Any
) -> None:
    """A rider without an account joins: the number first, then the code that the demo
    mode's development sink shows in place of a text message, with name, password, group and
    grid; the account is made and signed in, and later signs in with phone and password."""
    from nuanxin.core import notifications
    from nuanxin.volunteers.models import Volunteer

    settings.NUANXIN_DEMO = True
    settings.NUANXIN_SMS_WEBHOOK_URL = ""
    page = open_page(PHONE)
    page.goto("/accounts/login/")
    _click_to(page, "a[data-join]")
    form = page.locator("form[data-join-phone]")
    form.locator("input[name=phone]").fill("137 0000 5678")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("[data-code-sent]")).to_contain_text("137****5678")
    shown = page.locator("[data-dev-text]").inner_text()
    found = re.search(r"\d{6}", shown)
    assert found is not None and notifications.dev_texts[-1] == ("13700005678", shown.strip())
    code = found.group(0)
    screenshot(page, "join-1-code-from-the-demo-sink")

    form = page.locator("form[data-join-form]")
    form.locator("input[name=code]").fill(code)
    form.locator("input[name=name]").fill(RIDER_NAME)
    form.locator("input[name=password]").fill("warm-tea-4-riders")
    form.locator("input[name=password2]").fill("warm-tea-4-riders")
    form.locator("select[name=group]").select_option("rider")
    form.locator("input[name=employer]").fill("美团")
    form.locator("select[name=home_grid]").select_option(str(world.grid1.pk))
    with page.expect_navigation():
        form.locator("button.primary[type=submit]").click()
    assert urlsplit(page.url).path == "/field/"
    volunteer = Volunteer.objects.get(phone_index=signups.phone_index("13700005678"))
    assert volunteer.name == RIDER_NAME and volunteer.home_grid_id == world.grid1.pk
    screenshot(page, "join-2-signed-in")

    # Later, on another phone: the number and the password sign in.
    other = open_page(PHONE)
    other.goto("/accounts/login/")
    login = other.locator("main form")
    login.locator("input[name=username]").fill("13700005678")
    login.locator("input[name=password]").fill("warm-tea-4-riders")
    with other.expect_navigation():
        login.locator("button[type=submit]").click()
    assert "/accounts/login/" not in other.url
