"""The field pages as an installable app that works offline (docs/offline.md): the service
worker and what it keeps, the manifest, the offline page, and which pages may be kept."""

import json
import re

from django.templatetags.static import static

from nuanxin.core.offline import OFFLINE_HEADER
from nuanxin.views import OFFLINE_SHELL


def _worker_config(text: str) -> dict:
    found = re.search(r"^var CONFIG = (\{.*\});$", text, re.MULTILINE)
    assert found, text[:300]
    return json.loads(found.group(1))


def test_the_service_worker_is_served_at_the_root_with_the_shell_rendered_by_the_server(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript") and response["Cache-Control"] == "no-cache"
    config = _worker_config(response.content.decode())
    assert config["shell"] == [static(path) for path in OFFLINE_SHELL]
    assert config["offline"] == "/offline/?language=zh-hans" and config["header"] == OFFLINE_HEADER
    assert config["signInOut"] == ["/accounts/login/", "/accounts/logout/", "/volunteers/join/"]
    assert re.fullmatch(r"[0-9a-f]{12}", config["version"])


def test_every_file_of_the_shell_is_served(client):
    for path in OFFLINE_SHELL:
        assert client.get(static(path)).status_code == 200, path


def test_the_manifest_opens_the_phone_home_with_both_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert (manifest["short_name"], manifest["start_url"], manifest["scope"]) == ("暖新", "/field/", "/")
    assert manifest["display"] == "standalone"
    assert [icon["sizes"] for icon in manifest["icons"]] == ["192x192", "512x512"]
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_offline_page_shows_no_one_in_the_language_asked_for(client):
    response = client.get("/offline/")
    assert response.status_code == 200 and "没有网络" in response.content.decode()
    assert OFFLINE_HEADER not in response
    assert "No network" in client.get("/offline/?language=en").content.decode()
    assert "没有网络" in client.get("/offline/?language=xx").content.decode()


def test_the_worker_keeps_the_offline_page_in_the_language_of_the_page_that_registered_it(client):
    assert _worker_config(client.get("/sw.js?language=en").content.decode())["offline"] == "/offline/?language=en"


def test_field_pages_of_a_signed_in_person_may_be_kept(client_for, world):
    worker = client_for("grid1_worker")
    for url in ("/field/", "/inspections/visits/", "/cases/mine/", "/cases/report/"):
        response = worker.get(url)
        assert response.status_code == 200 and response[OFFLINE_HEADER] == "keep", url


def test_nothing_is_kept_for_a_visitor_nor_from_the_console_or_the_api(client, client_for, world):
    assert OFFLINE_HEADER not in client.get("/field/")  # the visitor's phone home
    assert OFFLINE_HEADER not in client.get("/cases/report/")
    admin = client_for("community_admin")
    assert OFFLINE_HEADER not in admin.get("/console/")
    assert OFFLINE_HEADER not in admin.get("/api/v1/cases")


def test_pages_of_a_signed_in_person_offer_the_app_and_the_outbox(client, client_for, world):
    html = client_for("grid1_worker").get("/field/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'data-service-worker="/sw.js?language=zh-hans"' in html and "nuanxin/outbox.js" in html
    assert "data-outbox-list" in html and "data-outbox-badge" in html
    visitor = client.get("/field/").content.decode()
    assert "nuanxin/outbox.js" not in visitor and "data-service-worker" not in visitor
