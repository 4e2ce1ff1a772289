import json

import pytest


def test_places_api_is_scoped(client_for, world):
    body = client_for("grid1_worker").get("/api/v1/places?limit=100").json()
    names = {p["name"] for p in body["items"]}
    assert "一号院" in names and "二号院" not in names and "外社区院" not in names
    assert body["count"] == len(body["items"])


def test_place_detail_api_allowed_and_denied(client_for, world):
    client = client_for("grid1_worker")
    assert client.get(f"/api/v1/places/{world.compound1.pk}").status_code == 200
    denied = client.get(f"/api/v1/places/{world.compound2.pk}")
    assert denied.status_code == 404 and denied.json()["code"] == "not_found"


def test_areas_api_filters_by_level(client_for, world):
    body = client_for("rider").get("/api/v1/areas?level=grid").json()
    assert {a["name"] for a in body["items"]} == {"一网格", "二网格", "另一网格"}  # boundaries are public


def test_area_detail_includes_boundary(client_for, world):
    body = client_for("grid1_worker").get(f"/api/v1/areas/{world.grid1.pk}").json()
    assert body["boundary"]["type"] == "Polygon"


def test_bad_filter_value_is_a_422_naming_the_field(client_for, world):
    response = client_for("grid1_worker").get("/api/v1/areas?level=planet")
    assert response.status_code == 422
    assert response.json()["field"] == "level"


def test_staffing_api_scoped_and_dated(client_for, world):
    client = client_for("grid1_leader")
    body = client.get("/api/v1/staffing?on=2024-05-01").json()
    assert {a["person_name"] for a in body["items"]} == {"grid1_leader", "grid1_worker"}
    assert client.get("/api/v1/staffing?on=2023-01-01").json()["count"] == 0
    own = client_for("grid2_worker").get("/api/v1/staffing").json()
    assert {a["person_name"] for a in own["items"]} == {"grid2_worker"}
    assert client_for("rider").get("/api/v1/staffing").json()["count"] == 0


def _post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_grid_worker_adds_a_place_in_own_grid(client_for, world):
    from django.test import Client

    client = Client(enforce_csrf_checks=False)
    client.force_login(world.grid1_worker)
    response = _post(client, "/api/v1/places", {"kind": "merchant", "name": "小面馆", "lng": 102.7012, "lat": 24.9812})
    assert response.status_code == 201
    assert response.json()["grid_id"] == world.grid1.pk


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "merchant", "name": "越界店", "lng": 102.7032, "lat": 24.9812}, "location"),  # grid 2
        ({"kind": "merchant", "name": "远方店", "lng": 100.0, "lat": 20.0}, "location"),  # no grid
        ({"kind": "spaceport", "name": "x", "lng": 102.7012, "lat": 24.9812}, "kind"),
        ({"kind": "merchant", "name": "", "lng": 102.7012, "lat": 24.9812}, "name"),
        ({"kind": "merchant", "name": "x", "lng": 999, "lat": 24.9812}, "lng"),
    ],
)
def test_bad_place_is_refused_naming_the_field(client_for, world, payload, field):
    from nuanxin.territory.models import Place

    before = Place.objects.count()
    response = _post(client_for("grid1_worker"), "/api/v1/places", payload)
    assert response.status_code in (400, 422)
    assert response.json()["field"] == field
    assert Place.objects.count() == before


def test_rider_cannot_add_places(client_for, world):
    response = _post(
        client_for("rider"), "/api/v1/places", {"kind": "merchant", "name": "x", "lng": 102.7012, "lat": 24.9812}
    )
    assert response.status_code == 404


def test_api_without_credentials_is_401(client, world):
    response = client.get("/api/v1/places")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_openapi_schema_and_docs_are_served(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/places" in schema["paths"] and "/api/v1/auth/token" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200
