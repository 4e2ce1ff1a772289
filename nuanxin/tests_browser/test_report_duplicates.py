"""The phone report page in a real browser: once the category and the phone's location are set,
a similar open case nearby is shown (class, state, distance, age: nothing to follow yet); the
report is sent, and its page offers "this is the same", which follows the open case (its public
view) and closes the new report as its duplicate."""

import pytest
from playwright.sync_api import expect

from nuanxin.cases.actions import report_case
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseClass
from nuanxin.testing import World
from nuanxin.tests_browser.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_rider_sees_a_similar_case_reports_and_then_follows_it_instead(world: World, open_page):
    install_catalogue(actor=None)
    existing = report_case(
        actor=world.resident,
        case_class=CaseClass.objects.get(code="sanitation"),
        description="垃圾桶满了没人清理",
        address="幸福路3号",
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
    shown = page.locator("[data-similar]")
    expect(shown).to_be_visible()
    expect(shown.locator("li")).to_have_count(1)
    expect(shown).not_to_contain_text("垃圾桶满了没人清理")  # a stranger is not told the description
    expect(page.locator("button[name=token]")).to_have_count(0)  # nothing to follow before reporting
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "report-similar-phone")
    page.locator("[name=description]").fill("垃圾桶满了")
    with page.expect_navigation():
        page.locator("button[type=submit].primary").click()
    mine = Case.objects.exclude(pk=existing.pk).get()
    assert page.url.endswith(f"/cases/{mine.pk}/")
    offers = page.locator("[data-follow-offers]")
    expect(offers.locator("li")).to_have_count(1)
    screenshot(page, "report-follow-offer-phone")
    with page.expect_navigation():
        offers.locator("button[name=token]").click()
    assert page.url.endswith(f"/cases/{existing.pk}/")
    expect(page.locator("main h1")).to_contain_text(existing.number)
    expect(page.locator("main")).not_to_contain_text("垃圾桶满了没人清理")  # the public view
    expect(page.locator("main")).not_to_contain_text("幸福路3号")
    assert existing.followers.filter(user=world.rider).exists()
    mine.refresh_from_db()
    assert (mine.state, mine.merged_into_id) == ("closed", existing.pk)
