"""Issue 17's phone pages that keep working offline, in a real browser (docs/offline.md):

grid1-worker opens the phone home, the visit list, a visit and two cases dispatched to them
while the network is there. The network goes: the pages still open, the visit is recorded
(checklist answers) and handling starts on both cases; all three wait in the outbox. Meanwhile
the community escalates the second case. The network returns: the visit and the first step are
sent once each, the second step is refused on arrival and stays in the outbox with the
server's reason until the worker dismisses it. Signing out forgets the kept pages.
"""

from typing import Any

from django.utils import translation
from playwright.sync_api import BrowserContext, Page, Route, expect

from nuanxin.cases.actions import apply_step, report_case
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseClass, CaseEvent
from nuanxin.inspections import actions
from nuanxin.inspections.checklists import install_demo_templates
from nuanxin.inspections.models import Visit, VisitPhoto
from nuanxin.territory import actions as territory_actions
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.tests_browser.conftest import PHONE, screenshot, sign_in

ALL_CLEAR = {
    "exits_clear": "yes",
    "extinguishers_ok": "yes",
    "extinguisher_count": "4",
    "emergency_lights_ok": "yes",
    "ebike_indoor": "no",
    "wiring": "ok",
}
# What the server says when the escalated case's former handler starts handling it.
ONLY_THE_HANDLER = "Only the case's handler can do this."


# Page scripts run by the test (evaluate, not wait_for_function: the CSP forbids eval).
# Bounded: a worker that never becomes active fails the test with its state, not hangs it.
WORKER_ACTIVE = """async () => {
    const active = await Promise.race([
        navigator.serviceWorker.ready.then(() => true),
        new Promise(resolve => setTimeout(resolve, 10000, false)),
    ]);
    if (active) { return "active"; }
    const registration = await navigator.serviceWorker.getRegistration();
    if (!registration) { return "not registered"; }
    const state = worker => worker ? worker.state : "none";
    return `installing: ${state(registration.installing)}, waiting: ${state(registration.waiting)}`;
}"""
CONTROLLED = "() => navigator.serviceWorker.controller !== null"
PAGES_FORGOTTEN = """async () => {
    for (let tries = 0; tries < 50; tries++) {
        if (!(await caches.has("nuanxin-pages"))) { return true; }
        await new Promise(resolve => setTimeout(resolve, 100));
    }
    return false;
}"""


def _label(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def _dispatched_case(world: World, text: str) -> Case:
    case = report_case(
        actor=world.rider,
        case_class=CaseClass.objects.get(code="sanitation"),
        lng=102.7011,
        lat=24.9811,
        description=text,
        channel="phone_page",
    )
    apply_step(actor=world.community_admin, scope=SYSTEM_SCOPE, case=case, step="accept")
    return apply_step(
        actor=world.community_admin, scope=SYSTEM_SCOPE, case=case, step="dispatch", handler=world.grid1_worker
    )


def _no_network(route: Route) -> None:
    route.abort("internetdisconnected")


def _network(context: BrowserContext, *, on: bool) -> None:
    """Cut or restore the network, for the pages and for the service worker (conftest.py)."""
    if on:
        context.unroute("**", _no_network)
        context.set_offline(False)
    else:
        context.set_offline(True)
        context.route("**", _no_network)


def _kept_pages(page: Page) -> list[str]:
    return page.evaluate(
        """async () => {
            if (!(await caches.has("nuanxin-pages"))) { return []; }
            const kept = await (await caches.open("nuanxin-pages")).keys();
            return kept.map(request => new URL(request.url).pathname);
        }"""
    )


def _start_handling(page: Page, case: Case) -> None:
    page.goto(f"/cases/{case.pk}/")
    form = page.locator("main form:has(input[name=step][value=start])")
    form.locator("button[type=submit]").click()
    expect(page.locator("main [data-outbox-kept]")).to_be_visible()


def test_a_worker_records_a_visit_and_case_steps_offline_and_they_are_sent_once(
    open_page: Any, world: World, live_server: Any
) -> None:
    install_demo_templates(actor=None)
    install_catalogue(actor=None)
    hotel = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="平安快捷旅馆", lng=102.7005, lat=24.9805
    )
    target = actions.add_target(
        actor=world.community_admin,
        scope=SYSTEM_SCOPE,
        category="small_hotel",
        tier="high",
        worker=world.grid1_worker,
        place=hotel,
    )
    visit = Visit.objects.get(target=target, kind=Visit.Kind.ROUTINE)
    handled = _dispatched_case(world, "楼道里堆满了纸箱")
    moved_on = _dispatched_case(world, "垃圾桶满了")

    # Online: the phone home registers the service worker; the pages opened next are kept.
    phone = open_page(PHONE, service_workers="allow")
    sign_in(phone, "grid1-worker")
    phone.goto("/field/")
    assert phone.evaluate(WORKER_ACTIVE) == "active"
    # A page opened before the worker was active may stay uncontrolled (clients.claim() can
    # run before it exists); one opened now is controlled.
    phone.goto("/field/")
    assert phone.evaluate(CONTROLLED)
    for url in ("/field/", "/inspections/visits/", f"/inspections/visits/{visit.pk}/"):
        phone.goto(url)
    expect(phone.locator("main")).to_contain_text("平安快捷旅馆")
    for case in (handled, moved_on):
        phone.goto(f"/cases/{case.pk}/")
    kept = _kept_pages(phone)
    assert {"/field/", "/inspections/visits/", f"/inspections/visits/{visit.pk}/"} <= set(kept)

    # Offline: the kept pages open; the visit and two steps wait in the outbox.
    _network(phone.context, on=False)
    phone.goto("/inspections/visits/")
    expect(phone.locator("main")).to_contain_text("平安快捷旅馆")
    phone.goto(f"/inspections/visits/{visit.pk}/")
    form = phone.locator("main form[data-visit-form]")
    for code, value in ALL_CLEAR.items():
        field = form.locator(f"[name=a-{code}]")
        if field.first.get_attribute("type") == "radio":
            form.locator(f"input[name=a-{code}][value={value}]").check()
        else:
            field.fill(value)
    form.locator("button.primary[type=submit]").click()
    expect(form.locator("[data-outbox-kept]")).to_be_visible()
    _start_handling(phone, handled)
    _start_handling(phone, moved_on)
    phone.goto("/no-such-page-was-kept/")
    expect(phone.locator("main h1")).to_have_text(_label("No network"))
    phone.goto("/field/")
    outbox = phone.locator("[data-outbox-list]")
    expect(outbox.locator("li.waiting")).to_have_count(3)
    expect(outbox).to_contain_text("平安快捷旅馆")
    expect(outbox).to_contain_text(handled.number)
    expect(phone.locator("[data-outbox-badge] [data-outbox-count]")).to_have_text("3")
    screenshot(phone, "offline-outbox-phone")
    assert Visit.objects.get(pk=visit.pk).state != Visit.State.DONE  # nothing reached the server

    # Meanwhile the community escalates the second case: starting to handle it no longer fits.
    apply_step(actor=world.community_admin, scope=SYSTEM_SCOPE, case=moved_on, step="escalate", note="社区处理")

    # The network returns: each is sent once; the refused step stays, with the server's reason.
    _network(phone.context, on=True)
    refused = outbox.locator("li.refused")
    expect(refused).to_have_count(1)
    expect(outbox.locator("li.waiting")).to_have_count(0)
    expect(refused).to_contain_text(moved_on.number)
    expect(refused).to_contain_text(_label("Refused: %(reason)s") % {"reason": _label(ONLY_THE_HANDLER)})
    expect(phone.locator("[data-outbox-badge] [data-outbox-count]")).to_have_text("1")
    screenshot(phone, "offline-outbox-refused-phone")
    visit.refresh_from_db()
    assert visit.state == Visit.State.DONE and visit.answers["exits_clear"] is True
    assert Visit.objects.filter(target=target, state=Visit.State.DONE).count() == 1
    assert not VisitPhoto.objects.filter(visit=visit).exists()
    assert CaseEvent.objects.filter(case=handled, kind=CaseEvent.Kind.STARTED).count() == 1
    assert Case.objects.get(pk=handled.pk).state == "in_progress"
    assert not CaseEvent.objects.filter(case=moved_on, kind=CaseEvent.Kind.STARTED).exists()

    # A reload sends nothing again and still shows the refusal, until it is dismissed.
    phone.reload()
    expect(outbox.locator("li.refused")).to_have_count(1)
    assert CaseEvent.objects.filter(case=handled, kind=CaseEvent.Kind.STARTED).count() == 1
    outbox.locator("li.refused button").click()
    expect(outbox).to_be_hidden()
    expect(phone.locator("[data-outbox-badge]")).to_be_hidden()

    # Signing out forgets the kept pages.
    with phone.expect_navigation():
        phone.locator("header form[action='/accounts/logout/'] button").click()
    assert phone.evaluate(PAGES_FORGOTTEN)
