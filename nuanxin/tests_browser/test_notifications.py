"""Notifications in a real browser: an emergency reaches the grid worker's phone, the badge
counts it, and opening it marks it read and shows the case."""

import pytest
from playwright.sync_api import expect

from nuanxin.cases.actions import report_case
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import CaseClass
from nuanxin.testing import World
from nuanxin.tests_browser.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_emergency_reaches_the_grid_workers_phone_and_opens_the_case(world: World, open_page):
    install_catalogue(actor=None)
    case = report_case(
        actor=world.rider,
        case_class=CaseClass.objects.get(code="stove-left-on"),
        description="楼道里有很浓的燃气味",
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
        anonymous=True,
    )
    page = open_page(viewport=PHONE)
    sign_in(page, "grid1-worker")
    page.goto("/notifications/")
    expect(page.locator(".topbar .badge")).to_have_text("1")
    expect(page.locator(".notification.unread")).to_contain_text(case.number)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "notifications-phone")
    with page.expect_navigation():
        page.locator(".notification button[name=open]").click()
    assert page.url.endswith(f"/cases/{case.pk}/")
    expect(page.locator(".topbar .badge")).to_have_count(0)
