"""The main pages of every role pass axe-core's WCAG 2 A and AA rules with no serious or
critical violation, and a phone page's buttons and links are thumb-sized (44 px)."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from nuanxin.cases.actions import report_case
from nuanxin.tests_browser.conftest import DESKTOP, PHONE, sign_in

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
BLOCKING = ("serious", "critical")

PAGES = [
    # (persona, viewport, paths)
    ("", PHONE, ["/field/", "/cases/report/", "/stations/near/"]),
    ("rider", PHONE, ["/field/", "/cases/report/", "/cases/mine/", "/stations/"]),
    ("grid1_worker", PHONE, ["/field/", "/inspections/visits/", "{case}"]),
    ("partner", PHONE, ["/field/"]),
    ("community_admin", DESKTOP, ["/console/", "/cases/", "{case}", "/territory/", "/inspections/", "/activities/"]),
]


@pytest.fixture
def axe_page(browser: Browser, live_server: Any) -> Any:
    """A page on the live server that lets axe-core's script in (the site's CSP forbids inline
    scripts, which is how Playwright adds one)."""
    contexts = []

    def make(viewport: Any) -> Any:
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport, bypass_csp=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("(rules) => axe.run(document, rules)", RULES)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def small_targets(page: Any) -> list[str]:
    """Visible links and buttons in the main part of a phone page smaller than 44 px high
    (links inside running text are exempt, as WCAG's target-size rule exempts them)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('main a, main button, main summary, header a, header button'))
            .filter(e => e.offsetParent !== null && !e.closest('p, li small, td, .muted, .leaflet-control-attribution'))
            .map(e => [e, e.getBoundingClientRect()])
            .filter(([e, r]) => r.height > 0 && r.height < 43.5)
            .map(([e, r]) => `${e.tagName} "${e.textContent.trim().slice(0, 20)}" ${Math.round(r.height)}px`)"""
    )


@pytest.mark.django_db(transaction=True)
def test_main_pages_have_no_serious_accessibility_violation(axe_page, world, catalogue):
    case = report_case(
        actor=world.users["rider"],
        case_class=catalogue["sanitation"],
        description="楼道里堆满了纸箱",
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
    )
    found, small = {}, {}
    for persona, viewport, paths in PAGES:
        page = axe_page(viewport)
        if persona:
            sign_in(page, world.users[persona].username)
        for path in paths:
            path = path.format(case=f"/cases/{case.pk}/")
            response = page.goto(path)
            assert response is not None and response.status == 200, (persona, path)
            page.wait_for_load_state("networkidle")
            problems = violations(page)
            if problems:
                found[(persona or "visitor", path)] = problems
            if viewport == PHONE:
                tiny = small_targets(page)
                if tiny:
                    small[(persona or "visitor", path)] = tiny
    assert not found, found
    assert not small, small
