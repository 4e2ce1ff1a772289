"""The phone report page in a real browser: once the category and the phone's location are set,
a similar open case nearby is offered, and "this is the same" follows it instead of
reporting it again."""

import pytest
from playwright.sync_api import expect

from nuanxin.cases.actions import report_case
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseClass
from nuanxin.testing import World
from nuanxin.tests_browser.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_rider_is_offered_a_similar_case_and_follows_it_instead_of_reporting(world: World, open_page):
    install_catalogue(actor=None)
    existing = report_case(
        actor=world.resident,
        case_class=CaseClass.objects.get(code="sanitation"),
        description="垃圾桶满了没人清理",
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
    )
    page = open_page(viewport=PHONE)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 24.98112, "longitude": 102.70112})
    sign_in(page, "rider")
    page.goto("/cases/report/")
    page.locator("select[name=case_class]").select_option("sanitation")
    offered = page.locator("[data-similar]")
    expect(offered).to_be_visible()
    expect(offered.locator("li")).to_have_count(1)
    expect(offered).not_to_contain_text("垃圾桶满了没人清理")  # a stranger is not told the description
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "report-similar-phone")
    with page.expect_navigation():
        offered.locator("button[name=token]").click()
    assert page.url.endswith(f"/cases/{existing.pk}/")
    expect(page.locator("main h1")).to_contain_text(existing.number)
    assert Case.objects.count() == 1
    assert existing.followers.filter(user=world.rider).exists()
