"""An emergency, on the phone of the grid worker it is routed to: the notice leads to the case,
and one tap on "handle now" accepts it and starts handling it."""

import pytest
from playwright.sync_api import expect

from nuanxin.cases.actions import report_case
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseClass
from nuanxin.testing import World
from nuanxin.tests_browser.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_grid_worker_taps_through_an_emergency_notice_and_handles_it_in_one_tap(world: World, open_page):
    install_catalogue(actor=None)
    case = report_case(
        actor=world.resident,
        case_class=CaseClass.objects.get(code="stove-left-on"),
        description="邻居家燃气灶一直开着没人",
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
    )
    assert case.handler == world.grid1_worker
    page = open_page(viewport=PHONE)
    sign_in(page, "grid1-worker")
    page.goto("/notifications/")
    expect(page.locator(".topbar .badge")).to_have_text("1")
    notice = page.locator(".notification.unread")
    expect(notice).to_contain_text(case.number)
    expect(notice).to_contain_text("立即处置")
    with page.expect_navigation():
        notice.locator("button[name=open]").click()
    assert page.url.endswith(f"/cases/{case.pk}/")
    tap = page.get_by_role("button", name="立即处置")
    expect(tap).to_have_count(1)
    expect(tap).to_be_in_viewport()  # on the first screen of the phone, no scrolling
    screenshot(page, "handle-now-phone")
    with page.expect_navigation():
        tap.click()
    expect(page.locator(".messages .success")).to_be_visible()
    expect(page.get_by_role("button", name="立即处置")).to_have_count(0)
    expect(page.locator("input[name=step][value=resolve]")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    case.refresh_from_db()
    assert (case.state, case.handler_id) == (Case.State.IN_PROGRESS, world.grid1_worker.pk)
    steps = list(case.events.order_by("id").values_list("kind", "actor_id"))
    assert steps[1:] == [("accepted", world.grid1_worker.pk), ("started", world.grid1_worker.pk)]
