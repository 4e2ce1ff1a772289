"""Console and field homes, and deny-by-default across every URL (reference AC-1)."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from nuanxin.testing import SYSTEM_SCOPE

# URLs that anyone may open without signing in: joining as a volunteer (it makes the
# account), the warm stations and rider services a rider looks up before having one, and
# the phone home and report page (anyone reports; docs/cases.md), and what makes the phone
# pages an app that works offline (the service worker, the manifest, the offline page).
PUBLIC = {
    "/accounts/login/",
    "/field/",
    "/sw.js",
    "/manifest.webmanifest",
    "/offline/",
    "/cases/report/",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/volunteers/join/",
    "/stations/",
    "/stations/near/",
    "/stations/meals/",
    "/stations/parking/",
    "/stations/channels/",
    "/api/v1/stations/",
    "/api/v1/stations/meal-offers",
    "/api/v1/stations/parking-points",
    "/api/v1/stations/green-channels",
}
# Public too, but asking for query parameters: without them a 422 naming the field.
# Public answers to a query, refused without it (the API's 422, the basemap's 400 naming the box).
PUBLIC_WITH_QUERY = {
    "/api/v1/stations/nearest": 422,
    "/territory/basemap.geojson": 400,
    "/territory/basemap/places.json": 400,
}
# Where the front door sends a visitor: the phone home, which offers reporting.
PUBLIC_REDIRECTS = {"/": "/field/"}


def _plain_urls(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    """Every URL pattern without parameters, as a path."""
    urls = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = str(entry.pattern)
        if "<" in route or "(?P" in route or "^" in route:
            continue
        if isinstance(entry, URLResolver):
            urls += _plain_urls(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            urls.append("/" + prefix + route)
    return urls


def test_every_url_denies_anonymous_visitors_by_default(db):
    urls = [u for u in _plain_urls() if not u.startswith("/admin/")]
    assert len(urls) > 8
    client = Client()
    for url in urls:
        response = client.get(url)
        if url in PUBLIC:
            assert response.status_code == 200, url
        elif url in PUBLIC_WITH_QUERY:
            assert response.status_code == PUBLIC_WITH_QUERY[url], url
        elif url in PUBLIC_REDIRECTS:
            assert (response.status_code, response["Location"]) == (302, PUBLIC_REDIRECTS[url]), url
        elif url.startswith("/api/"):
            assert response.status_code in (401, 404, 405), url
        else:
            assert response.status_code in (302, 405), url
            if response.status_code == 302:
                assert "/accounts/login/" in response["Location"] or url == "/i18n/setlang/", url


def test_console_home_lists_every_capability_honestly(client_for, world):
    page = client_for("community_admin").get("/console/").content.decode()
    assert page.count('class="card') >= 12
    assert "/console/servicedesk/" in page  # not built yet: an honest empty page
    assert "/voice/" in page and "/console/voice/" not in page  # built: its own page
    assert "/party/" in page  # built: its own page


def test_capability_not_built_yet_is_an_honest_empty_page(client_for, world):
    response = client_for("community_admin").get("/console/servicedesk/")
    assert response.status_code == 200
    assert 'class="empty"' in response.content.decode()


def test_unknown_or_built_capability_slug_is_404(client_for, world):
    client = client_for("community_admin")
    assert client.get("/console/spaceships/").status_code == 404
    assert client.get("/console/territory/").status_code == 404  # built: has its own page


@pytest.mark.parametrize("persona", ["rider", "resident"])
def test_field_users_are_sent_from_console_to_field_home(client_for, world, persona):
    client = client_for(persona)
    assert client.get("/").url == "/field/"
    assert client.get("/console/").url == "/field/"
    assert client.get("/console/party/").status_code == 404
    assert client.get("/field/").status_code == 200


def test_grid_worker_field_home_shows_own_grid_only(client_for, world):
    page = client_for("grid1_worker").get("/field/").content.decode()
    assert "一网格" in page and "二网格" not in page


def test_staff_land_on_the_console(client_for, world):
    assert client_for("grid1_worker").get("/").url == "/console/"


def test_auditor_console_shows_the_audit_log_but_not_residents(client_for, world):
    page = client_for("auditor").get("/console/").content.decode()
    assert "/audit/" in page and "/people/" not in page


def test_console_renders_in_english_when_chosen(client_for, world):
    client = client_for("community_admin")
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/"})
    page = client.get("/console/").content.decode()
    assert '<html lang="en">' in page and "Territory" in page


def test_resident_field_home_links_to_their_own_record_only(client_for, world):
    from nuanxin.people.actions import register_resident

    own = register_resident(actor=None, scope=SYSTEM_SCOPE, name="居民本人", place=world.compound1, user=world.resident)
    other = register_resident(actor=None, scope=SYSTEM_SCOPE, name="邻居", place=world.compound1)
    page = client_for("resident").get("/field/").content.decode()
    assert f"/people/{own.pk}/" in page and f"/people/{other.pk}/" not in page
    assert client_for("rider").get("/field/").content.decode().count("/people/") == 0


def test_console_chart_counts_places_and_residents_per_grid_in_scope(client_for, world):
    from nuanxin.people.actions import register_resident

    register_resident(actor=None, scope=SYSTEM_SCOPE, name="甲", place=world.compound1)
    register_resident(actor=None, scope=SYSTEM_SCOPE, name="乙", place=world.compound2)
    register_resident(actor=None, scope=SYSTEM_SCOPE, name="丙", place=world.compound2)
    chart = client_for("community_admin").get("/console/").context["grid_chart"]
    assert chart["categories"] == ["一网格", "二网格"]
    assert [s["data"] for s in chart["series"]] == [[1, 2], [1, 2]]  # places (compound; compound+station), residents
    worker_chart = client_for("grid1_worker").get("/console/").context["grid_chart"]
    assert worker_chart["categories"] == ["一网格"] and worker_chart["series"][1]["data"] == [1]


def test_console_chart_is_not_shown_without_territory_work(client_for, world):
    assert client_for("auditor").get("/console/").context["grid_chart"] is None
