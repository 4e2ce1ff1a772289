"""The case map and the figures page in a real browser: scripts run under the CSP, points and
charts appear, and a case's popup shows its data as text."""

import re

from playwright.sync_api import expect

from nuanxin.cases.actions import report_case
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import CaseClass
from nuanxin.testing import World
from nuanxin.tests_browser.conftest import screenshot, sign_in


def _cases(world: World) -> None:
    install_catalogue(actor=None)
    for code, lng, description in (
        ("stove-left-on", 102.7011, "闻到煤气味"),
        ("sanitation", 102.7005, "垃圾没人清"),
        ("sanitation", 102.7021, "二网格的垃圾"),
    ):
        report_case(
            actor=world.rider,
            case_class=CaseClass.objects.get(code=code),
            description=description,
            lng=lng,
            lat=24.9811,
            channel="phone_page",
        )


def test_case_map_draws_the_cases_in_scope_with_emergencies_marked(world: World, open_page):
    _cases(world)
    page = open_page()
    sign_in(page, "grid1-worker")
    page.goto("/cases/map/")
    expect(page.locator("[data-case-map][data-ready='1']")).to_have_count(1)
    expect(page.locator(".leaflet-overlay-pane path[stroke='#b91c1c']")).to_have_count(1)  # the emergency
    expect(page.locator(".leaflet-overlay-pane path[stroke='#1d4ed8']")).to_have_count(1)  # grid 1's other case
    # Both wait for the worker: counted beside "my work" and beside "cases" in the navigation.
    expect(page.locator(".sidenav a[href='/console/'] .badge")).to_have_text("2")
    expect(page.locator(".sidenav #work-count-cases .badge")).to_have_text("2")
    expect(page.locator(".sidenav #work-count-inspections .badge")).to_have_count(0)
    # A click event on the circle itself (a click at its centre may land on a neighbour drawn above it).
    page.locator(".leaflet-overlay-pane path[stroke='#b91c1c']").dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("忘关火")
    expect(popup.locator("a")).to_have_attribute("href", re.compile(r"^/cases/\d+/$"))
    screenshot(page, "case-map")


def test_figures_page_draws_its_charts(world: World, open_page):
    _cases(world)
    page = open_page()
    sign_in(page, "community-admin")
    page.goto("/cases/figures/")
    expect(page.locator("[data-chart][data-ready='1']")).to_have_count(2)
    screenshot(page, "case-figures")
