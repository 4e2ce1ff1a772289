"""Request hygiene: NUL characters, absurd ids, page caps, CSP, escaped names on maps."""

import json

import pytest

from nuanxin.territory import actions
from nuanxin.territory.models import Place
from nuanxin.testing import SYSTEM_SCOPE


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/audit/", {"actor": "a\x00"}),
        ("get", "/territory/places/", {"q": "a\x00"}),
        ("get", "/api/v1/places", {"q": "a\x00"}),
        ("post", "/people/", {"q": "a\x00"}),
    ],
)
def test_nul_characters_are_a_400_not_a_500(client_for, world, method, url, data):
    client = client_for("community_admin")
    response = getattr(client, method)(url, data)
    assert response.status_code == 400


def test_nul_in_json_body_is_a_400_and_writes_nothing(client_for, world):
    before = Place.objects.count()
    body = json.dumps({"kind": "merchant", "name": "坏\x00名", "lng": 102.7012, "lat": 24.9812})
    response = client_for("grid1_worker").post("/api/v1/places", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert Place.objects.count() == before


@pytest.mark.parametrize("param", ["grid_id", "parent_id"])
def test_absurd_ids_in_filters_are_a_422_naming_the_field(client_for, world, param):
    url = "/api/v1/places" if param == "grid_id" else "/api/v1/areas"
    response = client_for("grid1_worker").get(url, {param: "99999999999999999999"})
    assert response.status_code == 422 and response.json()["field"] == param


def test_absurd_id_in_path_is_not_a_500(client_for, world):
    assert client_for("grid1_worker").get("/api/v1/places/99999999999999999999").status_code in (404, 422)


def test_api_pages_are_capped(client_for, world):
    response = client_for("community_admin").get("/api/v1/areas", {"limit": 100000000})
    assert response.status_code == 422 and response.json()["field"] == "limit"


def test_pages_send_a_content_security_policy_without_inline_scripts(client_for, world):
    response = client_for("community_admin").get("/console/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "onchange=" not in response.content.decode()


def test_a_place_name_with_markup_reaches_the_map_as_data_not_html(client_for, world):
    # The actions refuse markup in a name (core.validators.plain_text); a row written before
    # that rule, or by an import, must still reach the page as text.
    place = actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="小卖部", lng=102.7011, lat=24.9811
    )
    Place.objects.filter(pk=place.pk).update(name="<img src=x onerror=alert(1)>")
    page = client_for("grid1_worker").get(f"/territory/areas/{world.grid1.pk}/").content.decode()
    assert "<img src=x" not in page  # escaped in the table and inside the JSON data block
    assert "\\u003Cimg src=x onerror=alert(1)\\u003E" in page
