"""Reporting without an account in a real browser, on a phone: a visitor opens the site, taps
"随手拍 / 我要反映", and with no location from the phone picks the compound on the basemap's
search (the map shows the grids by name), reports a blocked fire exit, lands on the report's
follow link and, after the grid has taken it on, opens the link again and sees its state."""

import re

import pytest
from playwright.sync_api import expect

from nuanxin.accounts.scope import scope_of
from nuanxin.cases.actions import accept_case
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case
from nuanxin.testing import World
from nuanxin.tests_browser.conftest import PHONE, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_visitor_reports_a_blocked_fire_exit_and_follows_it_by_its_link(world: World, open_page):
    install_catalogue(actor=None)
    page = open_page(viewport=PHONE)
    # No permission to read the phone's position: the form says so instead of waiting.
    page.goto("/")
    with page.expect_navigation():
        page.locator("a[data-report-without-account]").click()
    form = page.locator("main form[data-report-form]")
    expect(page.locator("[data-visitor-note]")).to_be_visible()
    form.locator("select[name=case_class]").select_option("blocked-fire-exit")
    form.locator("fieldset[data-class='blocked-fire-exit'] select[name='attribute[what]']").select_option("goods")
    form.locator("textarea[name=description]").fill("3栋一楼消防通道堆满纸箱")
    expect(form.locator("[data-location-status]")).to_contain_text("还没有定位到您的位置", timeout=10_000)
    # The map is the community's own basemap: the grids by name, no tile server.
    expect(form.locator(".basemap-grid").filter(has_text=re.compile("^一网格$"))).to_have_count(1)
    screenshot(page, "report-basemap-without-gps")
    form.locator("input[data-place-search]").fill("一号院")
    form.locator("button.place-choice").filter(has_text="一号院").click()
    expect(form.locator("input[name=lat]")).to_have_value("24.981000")
    expect(form.locator("input[name=address]")).to_have_value("一号院")
    expect(form.locator("[data-location-status]")).to_contain_text("一号院")
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
