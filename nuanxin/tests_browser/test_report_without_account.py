"""Reporting without an account in a real browser, on a phone: a visitor opens the site, taps
"随手拍 / 我要反映", reports a blocked fire exit with the phone's location, lands on the report's
follow link and, after the grid has taken it on, opens the link again and sees its state."""

import pytest
from playwright.sync_api import Geolocation, expect

from nuanxin.accounts.scope import scope_of
from nuanxin.cases.actions import accept_case
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case
from nuanxin.testing import World
from nuanxin.tests_browser.conftest import PHONE, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

GRID1_POINT = Geolocation(latitude=24.9811, longitude=102.7011)


def test_a_visitor_reports_a_blocked_fire_exit_and_follows_it_by_its_link(world: World, open_page):
    install_catalogue(actor=None)
    page = open_page(viewport=PHONE)
    # The location as the form takes it today: the phone's position fills the hidden lat/lng.
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation(GRID1_POINT)
    page.goto("/")
    with page.expect_navigation():
        page.locator("a[data-report-without-account]").click()
    form = page.locator("main form[data-report-form]")
    expect(page.locator("[data-visitor-note]")).to_be_visible()
    form.locator("select[name=case_class]").select_option("blocked-fire-exit")
    form.locator("fieldset[data-class='blocked-fire-exit'] select[name='attribute[what]']").select_option("goods")
    form.locator("textarea[name=description]").fill("3栋一楼消防通道堆满纸箱")
    expect(form.locator("input[name=lat]")).not_to_have_value("")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with page.expect_navigation():
        form.locator("button.primary[type=submit]").click()

    case = Case.objects.get()
    assert (case.reporter, case.case_class.code, case.anonymous) == (None, "blocked-fire-exit", True)
    assert "/cases/follow/" in page.url and f"/cases/{case.pk}/" not in page.url
    link = page.url
    expect(page.locator("h1")).to_contain_text(case.number)
    expect(page.locator("[data-state]")).to_have_text("已上报")
    expect(page.locator("[data-keep-link] input")).to_have_value(link)
    expect(page.locator("main")).not_to_contain_text("纸箱")  # the public view: not what was said
    screenshot(page, "report-without-account-sent")

    admin = world.community_admin
    accept_case(actor=admin, scope=scope_of(admin), case=case, note="已通知物业清理")
    later = open_page(viewport=PHONE)  # another day, the link from the phone's notes
    later.goto(link)
    expect(later.locator("[data-state]")).to_have_text("已受理")
    expect(later.locator(".timeline li")).to_have_count(2)
    expect(later.locator("main")).not_to_contain_text("物业")  # no notes in the public view
    screenshot(later, "report-without-account-followed")
