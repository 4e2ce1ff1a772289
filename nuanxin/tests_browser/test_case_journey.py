"""The closed loop in a real browser, as the issue tells it:

a rider reports a stove left on from the phone page and is shown 119 at once; the grid worker
and the community see it at the top of their lists; the community takes it on and dispatches
it, the worker handles it and shows an after-photo, the community verifies and closes it.
Then a resident reports rubbish, nobody takes it on in time so the time-limit job escalates it
to the community, it is handled, and the resident says "not fixed", which reopens it.
"""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import Geolocation, Page, expect

from nuanxin.cases.actions import escalate_overdue_cases
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case
from nuanxin.testing import image_bytes
from nuanxin.tests_browser.conftest import DESKTOP, PHONE, screenshot, sign_in

GRID1_POINT = Geolocation(latitude=24.9811, longitude=102.7011)


def _report_from_phone(page: Page, *, code: str, text: str) -> Case:
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation(GRID1_POINT)
    page.goto("/cases/report/")
    form = page.locator("main form[data-report-form]")
    form.locator("select[name=case_class]").select_option(code)
    form.locator("textarea[name=description]").fill(text)
    expect(form.locator("input[name=lat]")).not_to_have_value("")  # the phone's position arrived
    with page.expect_navigation():
        form.locator("button.primary[type=submit]").click()
    return Case.objects.latest("id")


def _step(page: Page, case: Case, step: str, **fields: str) -> None:
    """Take one step through its form on the staff case page."""
    page.goto(f"/cases/{case.pk}/")
    form = page.locator(f"main form:has(input[name=step][value={step}])")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _resolve_with_photo(page: Page, case: Case, note: str) -> None:
    page.goto(f"/cases/{case.pk}/")
    form = page.locator("main form:has(input[name=step][value=resolve])")
    form.locator("input[name=note]").fill(note)
    form.locator("input[name=photos]").set_input_files(
        {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": image_bytes(size=(320, 240))}
    )
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _first_row(page: Page) -> str:
    page.goto("/cases/")
    return page.locator("main table tbody tr").first.inner_text()


def test_stove_left_on_goes_round_the_loop_and_not_fixed_reopens_an_escalated_case(open_page: Any, world: Any) -> None:
    install_catalogue(actor=None)
    # Earlier, ordinary cases in grid 1: the emergency must still come first.
    rider_page, worker_page, community_page = open_page(PHONE), open_page(DESKTOP), open_page(DESKTOP)
    sign_in(rider_page, "rider")
    sign_in(worker_page, "grid1-worker")
    sign_in(community_page, "community-admin")
    earlier = _report_from_phone(rider_page, code="sanitation", text="垃圾桶满了")

    # 1. The rider reports a stove left on and sees the emergency numbers at once.
    rider_page.goto("/cases/report/")
    rider_page.locator("select[name=case_class]").select_option("stove-left-on")
    expect(rider_page.locator("[data-emergency-banner]")).to_be_visible()
    expect(rider_page.locator("[data-emergency-banner]")).to_contain_text("119")
    screenshot(rider_page, "case-report-emergency-phone")
    stove = _report_from_phone(rider_page, code="stove-left-on", text="闻到燃气味，302室家里没人")
    assert stove.emergency and stove.grid == world.grid1 and stove.pk != earlier.pk
    expect(rider_page.locator("main")).to_contain_text(stove.number)
    expect(rider_page.locator("main")).to_contain_text("119")

    # 2. The grid worker and the community see it first.
    assert stove.number in _first_row(worker_page)
    assert stove.number in _first_row(community_page)
    screenshot(community_page, "case-list-emergency-first")

    # 3. The community takes it on and dispatches it; the worker handles it with a photo.
    _step(community_page, stove, "accept")
    _step(community_page, stove, "dispatch", handler=str(world.grid1_worker.pk), note="立即上门")
    _step(worker_page, stove, "start")
    _resolve_with_photo(worker_page, stove, "已联系物业关闭燃气阀门")
    _step(community_page, stove, "verify")
    _step(community_page, stove, "close")
    stove.refresh_from_db()
    assert (stove.state, stove.closure) == ("closed", "fixed")
    assert stove.photos.filter(stage="after").count() == 1
    screenshot(community_page, "case-closed-staff")
    rider_page.goto(f"/cases/{stove.pk}/")
    expect(rider_page.locator("main")).to_contain_text("已结案")

    # 4. A resident reports rubbish; nobody takes it on in time; the job escalates it.
    resident_page = open_page(PHONE)
    sign_in(resident_page, "resident")
    rubbish = _report_from_phone(resident_page, code="sanitation", text="小区门口垃圾堆了三天")
    assert escalate_overdue_cases(now=timezone.now() + timedelta(days=10)) >= 1
    rubbish.refresh_from_db()
    assert rubbish.level == "community"
    community_page.goto(f"/cases/{rubbish.pk}/")
    expect(community_page.locator("main")).to_contain_text("督办")

    # 5. The community dispatches it, the worker resolves it, the resident says "not fixed".
    _step(community_page, rubbish, "dispatch", handler=str(world.grid1_worker.pk))
    _step(worker_page, rubbish, "start")
    _resolve_with_photo(worker_page, rubbish, "已清运")
    resident_page.goto(f"/cases/{rubbish.pk}/")
    resident_page.locator("main form textarea, main form input[name=note]").first.fill("垃圾还在门口")
    with resident_page.expect_navigation():
        resident_page.locator("main form button[type=submit]").first.click()
    rubbish.refresh_from_db()
    assert rubbish.state == "in_progress" and rubbish.handler == world.grid1_worker
    screenshot(resident_page, "case-not-fixed-phone")
