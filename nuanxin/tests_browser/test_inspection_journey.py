"""Issue 4's inspection journey in a real browser:

grid1-worker opens the week's visits on the phone, records a fire-safety visit of a small
hotel with a hazard (the safety exit is blocked), sees the rectification order and prints
its notice; on the deadline day the re-check comes up as today's visit and closes the order
as fixed. Then the community exports the fire-safety ledger, and the period figures page
shows the same numbers as the API and the exported sheet.

The clock is set (time-machine, ticking) to a Wednesday, so the routine visit (weekly, due on
Sunday) is "this week" and the re-check (due three days later, a major hazard) is "today" on
Saturday, whatever day the suite runs. The days are in the future: the browser keeps its own
clock and must not see the server's cookies as expired.
"""

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import time_machine
from django.utils import timezone, translation
from playwright.sync_api import Geolocation, Page, expect

from nuanxin.inspections import actions
from nuanxin.inspections.checklists import install_demo_templates
from nuanxin.inspections.models import Rectification, Visit
from nuanxin.ledgers.registry.queries import LEDGERS
from nuanxin.territory import actions as territory_actions
from nuanxin.testing import SYSTEM_SCOPE, World, image_bytes
from nuanxin.tests_browser.conftest import DESKTOP, PHONE, screenshot, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOTEL_NAME = "平安快捷旅馆"
HOTEL_LNG, HOTEL_LAT = 102.7005, 24.9805  # in grid 1
NEAR_HOTEL = Geolocation(latitude=24.9806, longitude=102.7006)  # about 15 m away

# The fire-safety checklist answered with one hazard: the safety exits are not clear.
WITH_HAZARD = {
    "exits_clear": "no",
    "extinguishers_ok": "yes",
    "extinguisher_count": "4",
    "emergency_lights_ok": "yes",
    "ebike_indoor": "no",
    "wiring": "ok",
}
ALL_CLEAR = WITH_HAZARD | {"exits_clear": "yes"}


def _next_wednesday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=(2 - today.weekday()) % 7 or 7)


def _label(msgid: str) -> str:
    """A label as the Chinese pages show it (the msgid while the catalogue lacks it)."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def _record(page: Page, answers: dict[str, str], *, photo: bool = False) -> None:
    """Answer the checklist on the visit page, with the phone's location, and submit."""
    form = page.locator("main form[data-visit-form]")
    expect(form.locator("input[name=lat]")).not_to_have_value("")  # the phone's position arrived
    for code, value in answers.items():
        field = form.locator(f"[name=a-{code}]")
        if field.first.get_attribute("type") == "radio":
            form.locator(f"input[name=a-{code}][value={value}]").check()
        else:
            field.fill(value)
    if photo:
        form.locator("input[name=p-photo]").set_input_files(
            {"name": "exit.jpg", "mimeType": "image/jpeg", "buffer": image_bytes(size=(320, 240))}
        )
    with page.expect_navigation():
        form.locator("button.primary[type=submit]").click()


def _sheet_rows(path: Path) -> list[tuple[Any, ...]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def test_fire_safety_visit_with_a_hazard_notice_recheck_ledger_and_figures(
    open_page: Any, world: World, live_server: Any, tmp_path: Path
) -> None:
    wednesday = _next_wednesday()
    saturday = wednesday + timedelta(days=3)
    monday = wednesday - timedelta(days=2)
    with time_machine.travel(datetime.combine(wednesday, time(9, 30), tzinfo=SHANGHAI), tick=True) as clock:
        # Set up through the actions: the checklists, a small hotel in grid 1 on the watchlist.
        install_demo_templates(actor=None)
        hotel = territory_actions.create_place(
            actor=None,
            scope=SYSTEM_SCOPE,
            kind="merchant",
            name=HOTEL_NAME,
            lng=HOTEL_LNG,
            lat=HOTEL_LAT,
            address="测试路8号",
        )
        target = actions.add_target(
            actor=world.community_admin,
            scope=SYSTEM_SCOPE,
            category="small_hotel",
            tier="high",
            worker=world.grid1_worker,
            place=hotel,
        )
        visit = Visit.objects.get(target=target, kind=Visit.Kind.ROUTINE)
        assert visit.due_on == wednesday + timedelta(days=4)  # weekly: the ISO week's Sunday

        # 1. The worker's phone: the visit is due this week.
        phone = open_page(PHONE)
        phone.context.grant_permissions(["geolocation"])
        phone.context.set_geolocation(NEAR_HOTEL)
        sign_in(phone, "grid1-worker")
        phone.goto("/inspections/visits/")
        expect(phone.locator("#this-week")).to_contain_text(HOTEL_NAME)
        expect(phone.locator("#today")).not_to_contain_text(HOTEL_NAME)
        screenshot(phone, "inspection-visits-phone")

        # 2. Record it with a blocked safety exit and a photo.
        with phone.expect_navigation():
            phone.locator("#this-week a", has_text=HOTEL_NAME).click()
        assert phone.url.endswith(f"/inspections/visits/{visit.pk}/")
        screenshot(phone, "inspection-visit-form-phone")
        _record(phone, WITH_HAZARD, photo=True)
        visit.refresh_from_db()
        assert visit.state == Visit.State.DONE and visit.checked_in_distance is not None
        assert visit.checked_in_distance < 50
        order = Rectification.objects.get(visit=visit)
        assert (order.state, order.severity, order.deadline) == ("open", "major", saturday)
        result = phone.locator("#result")
        expect(result.locator("[data-hazards]")).to_contain_text("安全出口、疏散通道畅通")
        expect(result.locator("[data-hazards]")).to_contain_text(order.number)
        expect(result.locator("[data-far]")).to_have_count(0)
        expect(result.locator(".photos img")).to_have_count(1)
        screenshot(phone, "inspection-visit-hazard-phone")

        # The printable notice: its number, the hotel, the hazard and the deadline.
        with phone.expect_navigation():
            result.locator(f"a[href$='/rectifications/{order.pk}/notice/']").click()
        notice = phone.locator("[data-notice]")
        expect(notice.locator("h1")).to_have_text(_label("Rectification notice"))
        expect(notice.locator("[data-number]")).to_have_text(order.number)
        expect(notice.locator("[data-party]")).to_have_text(HOTEL_NAME)
        expect(notice).to_contain_text("安全出口、疏散通道畅通")
        expect(notice).to_contain_text(saturday.isoformat())
        expect(notice).to_contain_text(world.community.name)
        screenshot(phone, "inspection-notice-phone")

        # 3. Saturday, the deadline: the re-check is today's visit; the exit is clear again.
        recheck = Visit.objects.get(recheck_of=order)
        assert (recheck.kind, recheck.due_on, recheck.worker_id) == ("recheck", saturday, world.grid1_worker.pk)
        phone.goto("/inspections/visits/")
        expect(phone.locator("#this-week")).to_contain_text(HOTEL_NAME)  # the re-check, due Saturday
        clock.move_to(datetime.combine(saturday, time(10, 0), tzinfo=SHANGHAI))
        sign_in(phone, "grid1-worker")  # days later: the staff session has idled out
        phone.goto("/inspections/visits/")
        expect(phone.locator("#today a")).to_have_count(1)
        expect(phone.locator("#today")).to_contain_text(HOTEL_NAME)
        with phone.expect_navigation():
            phone.locator("#today a", has_text=HOTEL_NAME).click()
        assert phone.url.endswith(f"/inspections/visits/{recheck.pk}/")
        _record(phone, ALL_CLEAR)
        order.refresh_from_db()
        assert order.state == Rectification.State.FIXED and order.closed_at is not None and order.case is None
        assert all(hazard.fixed for hazard in order.hazards.all())
        expect(phone.locator("[data-rechecked]")).to_contain_text(order.number)
        expect(phone.locator("[data-rechecked]")).to_contain_text(_label("fixed"))
        screenshot(phone, "inspection-recheck-phone")
        phone.goto(f"/inspections/rectifications/{order.pk}/")
        expect(phone.locator("main")).to_contain_text(order.number)
        expect(phone.locator("main")).to_contain_text(_label("fixed"))
        screenshot(phone, "inspection-order-fixed-phone")

        # 4. The community: the fire-safety ledger for the week, exported.
        desk = open_page(DESKTOP)
        sign_in(desk, "community-admin")
        desk.goto("/ledgers/fire-safety/")
        filters = desk.locator("main form.filters")
        filters.locator("input[name=from]").fill(monday.isoformat())
        filters.locator("input[name=to]").fill(saturday.isoformat())
        with desk.expect_navigation():
            filters.locator("button[type=submit]").click()
        table = desk.locator("main table.ledger")
        expect(table.locator("tbody tr", has_text=HOTEL_NAME)).to_have_count(2)  # the visit and its re-check
        expect(table.locator("tbody tr", has_text=order.number)).to_have_count(1)
        screenshot(desk, "ledger-fire-safety")
        with desk.expect_download() as download_info:
            desk.locator("main a[data-export]").click()
        download = download_info.value
        assert download.suggested_filename.endswith(".xlsx")
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        rows = _sheet_rows(saved)

        with translation.override("zh-hans"):
            ledger = next(ledger for ledger in LEDGERS if ledger.code == "fire-safety")
            keys = [column.key for column in ledger.columns()]
            header = tuple(str(column.title) for column in ledger.columns())
            totals_label = translation.gettext("Total: %(n)d") % {"n": 2}
        at = {key: keys.index(key) for key in keys}
        assert header in rows
        data = rows[rows.index(header) + 1 :]
        hotel_rows = [row for row in data if row[at["subject"]] == HOTEL_NAME]
        assert len(hotel_rows) == 2
        hazard_row = next(row for row in hotel_rows if row[at["rectification"]] == order.number)
        assert hazard_row[at["hazards"]] == 1 and hazard_row[at["grid"]] == world.grid1.name
        totals = data[-1]
        assert totals[0] == totals_label
        sheet = {"rows": 2, "hazards": totals[at["hazards"]], "fixed": totals[at["rectification_state"]]}
        assert sheet == {"rows": 2, "hazards": 1, "fixed": 1}

        # 5. The period figures for the community and the same week: page = API = sheet.
        desk.goto("/insights/period/")
        form = desk.locator("main form.filters")
        form.locator("select[name=node]").select_option(str(world.community.pk))
        form.locator("input[name=from]").fill(monday.isoformat())
        form.locator("input[name=to]").fill(saturday.isoformat())
        with desk.expect_navigation():
            form.locator("button[type=submit]").click()
        shown = {
            name: int(desk.locator(f"[data-figure={name}]").inner_text())
            for name in (
                "visits-done",
                "visits-on-time",
                "visits-missed",
                "hazards-found",
                "hazards-fixed",
                "fire-hazards-found",
                "fire-hazards-fixed",
            )
        }
        screenshot(desk, "insights-period")
        response = desk.request.get(
            f"{live_server.url}/api/v1/insights/period",
            params={"node": str(world.community.pk), "from": monday.isoformat(), "to": saturday.isoformat()},
        )
        assert response.status == 200, response.text()
        api = response.json()
        assert api["node"]["id"] == world.community.pk
        assert shown == {
            "visits-done": api["visits"]["done"],
            "visits-on-time": api["visits"]["on_time"],
            "visits-missed": api["visits"]["missed"],
            "hazards-found": api["hazards"]["found"],
            "hazards-fixed": api["hazards"]["fixed"],
            "fire-hazards-found": api["fire_safety"]["hazards_found"],
            "fire-hazards-fixed": api["fire_safety"]["hazards_fixed"],
        }
        assert shown["visits-done"] == sheet["rows"] == 2
        assert shown["visits-on-time"] == totals[at["on_time"]] == 2 and shown["visits-missed"] == 0
        assert shown["fire-hazards-found"] == shown["hazards-found"] == sheet["hazards"] == 1
        assert shown["fire-hazards-fixed"] == shown["hazards-fixed"] == sheet["fixed"] == 1
