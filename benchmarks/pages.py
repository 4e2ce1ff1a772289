"""Page weight and load time on a slow phone line, bounded in time, appended to
docs/performance.md.

The demo community (benchmarks' var/bench.sqlite3) is served by gunicorn as `make run` serves
it: static files collected under hashed names and compressed (NUANXIN_STATIC_MANIFEST=1).
Debian's Chromium loads each page cold (a new browser context: nothing cached) through
DevTools' "Fast 3G" conditions (562.5 ms latency, 180 KB/s down, 84 KB/s up), signed in as the
person who uses it. Measured: the bytes that crossed the network for the page and everything it
loaded (compressed, headers included), and the time to the load event. Budgets (issue 17):
a field page ≤ 300 KB and ≤ 2 s, the console home ≤ 500 KB.

    .venv/bin/python benchmarks/pages.py      # part of make bench
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["NUANXIN_STATIC_MANIFEST"] = "1"
from harness import ROOT, publish, setup  # noqa: E402

setup("bench.sqlite3")

from django.core.management import call_command  # noqa: E402

FAST_3G = {"offline": False, "latency": 562.5, "downloadThroughput": 180 * 1024, "uploadThroughput": 84.375 * 1024}
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "nuanxin-demo"
KB = 1024
FIELD = (300 * KB, 2.0)
CONSOLE = (500 * KB, None)


def pages() -> list[tuple[str, str, str, tuple[int, float | None]]]:
    """(what, login, path, budget): the field pages each on a phone, the console home at a desk."""
    from nuanxin.inspections.models import Visit
    from nuanxin.stations.models import Station

    visit = Visit.objects.filter(worker__username="grid1-worker").order_by("-due_on").first()
    station = Station.objects.order_by("pk").first()
    rows = [
        ("phone home", "grid1-worker", "/field/", FIELD),
        ("report a hazard", "rider1", "/cases/report/", FIELD),
        ("report without an account", "", "/cases/report/", FIELD),
        ("my visits", "grid1-worker", "/inspections/visits/", FIELD),
        ("nearest warm station", "rider1", "/stations/near/", FIELD),
        ("console home", "community", "/console/", CONSOLE),
    ]
    if visit is not None:
        rows.insert(4, ("a visit", "grid1-worker", f"/inspections/visits/{visit.pk}/", FIELD))
    if station is not None:
        rows.append(("a station", "rider1", f"/stations/{station.code}/", FIELD))
    return rows


def serve() -> tuple[subprocess.Popen, str]:
    """gunicorn on a free loopback port, serving the benchmark's database as make run serves."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "nuanxin.wsgi"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"]
    env = os.environ | {"ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "0"}
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/accounts/login/", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return server, base
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def load(browser, base: str, login: str, path: str, phone: bool) -> tuple[int, float]:
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 800}
    # A first visit: no service worker yet. (Once the sign-in page had installed it, the worker
    # fetched the measured page and its files itself, out of this page's sight: 0 KB in 0.1 s.)
    context = browser.new_context(base_url=base, locale="zh-CN", viewport=viewport, service_workers="block")
    try:
        page = context.new_page()
        if login:
            page.goto("/accounts/login/")
            page.fill("[name=username]", login)
            page.fill("[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("load")
        # What the sign-in loaded is cached; the measured page starts from an empty cache.
        session = context.new_cdp_session(page)
        session.send("Network.enable")
        session.send("Network.clearBrowserCache")
        session.send("Network.setCacheDisabled", {"cacheDisabled": True})
        session.send("Network.emulateNetworkConditions", FAST_3G)
        received = []
        session.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
        page.goto(path, wait_until="load")
        loaded = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd / 1000")
        page.wait_for_load_state("networkidle")
        return int(sum(received)), float(loaded)
    finally:
        context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    from nuanxin.territory.models import Area

    call_command("migrate", verbosity=0)
    if not Area.objects.exists():
        call_command("load_demo", "--no-history", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--clear", "-v", "0"], cwd=ROOT, check=True
    )
    rows = pages()
    server, base = serve()
    lines = [
        "",
        "| page | signed in as | bytes transferred | load (s) | budget | within |",
        "|---|---|---:|---:|---|---|",
    ]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            for what, login, path, (max_bytes, max_seconds) in rows:
                size, seconds = load(browser, base, login, path, (max_bytes, max_seconds) == FIELD)
                within = size <= max_bytes and (max_seconds is None or seconds <= max_seconds)
                budget = f"≤ {max_bytes // KB} KB" + (f", ≤ {max_seconds:g} s" if max_seconds else "")
                verdict = "yes" if within else "**no**"
                who = login or "(visitor)"
                lines.append(f"| {what} | {who} | {size / KB:,.0f} KB | {seconds:.2f} | {budget} | {verdict} |")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    publish(
        "Page weight on Fast 3G",
        "the demo community without history (var/bench.sqlite3)",
        [],
        tuple(lines),
        how="Debian's Chromium, a cold cache per page, DevTools' Fast 3G (562.5 ms, 180 KB/s down); "
        "gunicorn serving as make run does.",
    )


if __name__ == "__main__":
    main()
