"""Main journeys in a real browser: a grid worker's view of their grid, the console in both
languages, the phone home on a phone-sized screen, and the maps."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from nuanxin.people.actions import register_resident
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.tests_browser.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_grid_worker_sees_own_grid_places_and_residents_but_not_another_grids_resident(world: World, open_page):
    own = register_resident(actor=None, scope=SYSTEM_SCOPE, name="张晓梅", place=world.compound1)
    other = register_resident(actor=None, scope=SYSTEM_SCOPE, name="李建国", place=world.compound2)
    page = open_page()
    sign_in(page, "grid1-worker")

    page.goto(f"/territory/areas/{world.grid1.pk}/")
    expect(page.locator("main")).to_contain_text(world.compound1.name)
    expect(page.locator("main")).not_to_contain_text(world.compound2.name)

    page.goto("/people/")
    expect(page.locator("main")).to_contain_text(own.name)
    expect(page.locator("main")).not_to_contain_text(other.name)

    response = page.goto(f"/people/{other.pk}/")
    assert response is not None and response.status == 404
    response = page.goto(f"/people/{own.pk}/")
    assert response is not None and response.status == 200


def _label(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


def test_console_renders_in_chinese_by_default_and_in_english_from_the_language_selector(world: World, open_page):
    page = open_page()
    sign_in(page, "community-admin")
    page.goto("/console/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("nav.sidenav")).to_contain_text(_label("zh-hans", "My work"))
    expect(page.locator("main h1")).to_have_text(_label("zh-hans", "Console"))
    # The chart of places and residents per grid tells its two series apart by its legend.
    chart = page.locator("[data-chart][data-ready='1'] svg")
    for series in ("Places", "Residents"):
        expect(chart.locator("text", has_text=_label("zh-hans", series))).to_have_count(1)
    screenshot(page, "console-zh-hans")

    with page.expect_navigation():
        page.locator("header form.lang select[name=language]").select_option("en")
    assert page.url.endswith("/console/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav.sidenav")).to_contain_text("My work")
    expect(page.locator("main h1")).to_have_text("Console")
    screenshot(page, "console-en")


def test_field_home_fits_a_phone_screen_without_sideways_scrolling(world: World, open_page):
    page = open_page(viewport=PHONE)
    sign_in(page, "grid1-worker")
    page.goto("/field/")
    expect(page.locator("main")).to_contain_text(world.grid1.name)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "field-phone")


def test_grid_page_map_draws_the_grid_boundary_and_its_places_without_tiles(world: World, open_page):
    page = open_page()
    sign_in(page, "grid1-worker")
    page.goto(f"/territory/areas/{world.grid1.pk}/")
    expect(page.locator("[data-map][data-ready='1']")).to_have_count(1)
    expect(page.locator(".leaflet-overlay-pane path").first).to_be_visible()
    expect(page.locator(".leaflet-tile")).to_have_count(0)  # no tile URL set: nothing fetched from outside
    screenshot(page, "grid-map")


def test_territory_tree_map_draws_the_grids_the_viewer_may_see(world: World, open_page):
    page = open_page()
    sign_in(page, "community-admin")
    page.goto("/territory/")
    expect(page.locator("[data-map][data-ready='1']")).to_have_count(1)
    expect(page.locator(".leaflet-overlay-pane path")).to_have_count(2)  # grid 1 and grid 2
