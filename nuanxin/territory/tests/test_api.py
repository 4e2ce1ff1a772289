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


def _patch(client, url, data):
    return client.patch(url, data=json.dumps(data), content_type="application/json")


def test_grid_worker_moves_a_place_within_their_grid(client_for, world):
    response = _patch(
        client_for("grid1_worker"), f"/api/v1/places/{world.compound1.pk}", {"lng": 102.7015, "lat": 24.9815}
    )
    assert response.status_code == 200 and response.json()["grid_id"] == world.grid1.pk


def test_moving_a_place_out_of_the_callers_grids_is_refused(client_for, world):
    response = _patch(
        client_for("grid1_worker"), f"/api/v1/places/{world.compound1.pk}", {"lng": 102.7031, "lat": 24.9811}
    )
    assert response.status_code == 400 and response.json()["field"] == "location"
    world.compound1.refresh_from_db()
    assert world.compound1.grid == world.grid1


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"lng": 102.7015}, None), ({"name": ""}, "name"), ({"lat": 91, "lng": 102.7}, "lat")],
)
def test_bad_place_patch_is_refused(client_for, world, payload, field):
    response = _patch(client_for("grid1_worker"), f"/api/v1/places/{world.compound1.pk}", payload)
    assert response.status_code == 422
    if field:
        assert response.json()["field"] == field
    world.compound1.refresh_from_db()
    assert (world.compound1.name, world.compound1.lng) == ("一号院", 102.701)


def test_place_patch_denied_outside_scope_and_for_public_viewers(client_for, world):
    assert _patch(client_for("grid2_worker"), f"/api/v1/places/{world.compound1.pk}", {"name": "x"}).status_code == 404
    assert _patch(client_for("rider"), f"/api/v1/places/{world.station.pk}", {"name": "x"}).status_code == 404
    world.station.refresh_from_db()
    assert world.station.name == "温新驿站一号"


def test_community_admin_renames_and_redraws_a_grid(client_for, world):
    from nuanxin.testing import rectangle

    client = client_for("community_admin")
    url = f"/api/v1/areas/{world.grid1.pk}"
    overlapping = _patch(client, url, {"name": "东一网格", "boundary": rectangle(102.6995, 24.98, 0.003, 0.002)})
    assert overlapping.status_code == 400 and overlapping.json()["field"] == "boundary"
    world.grid1.refresh_from_db()
    assert world.grid1.name == "一网格"  # nothing half-written
    response = _patch(client, url, {"name": "东一网格", "boundary": rectangle(102.6995, 24.98, 0.0025, 0.002)})
    assert response.status_code == 200 and response.json()["name"] == "东一网格"
    assert response.json()["boundary"]["coordinates"][0][0] == [102.6995, 24.98]


def test_redrawing_a_grid_that_strands_its_places_is_refused(client_for, world):
    from nuanxin.testing import square

    response = _patch(
        client_for("community_admin"),
        f"/api/v1/areas/{world.grid1.pk}",
        {"boundary": square(102.7000, 24.9800, 0.0005)},
    )
    assert response.status_code == 400 and response.json()["field"] == "boundary"
    assert "一号院" in response.json()["error"]


def test_grid_staff_cannot_change_areas(client_for, world):
    assert _patch(client_for("grid1_leader"), f"/api/v1/areas/{world.grid1.pk}", {"name": "x"}).status_code == 404
    assert _patch(client_for("other_admin"), f"/api/v1/areas/{world.grid1.pk}", {"name": "x"}).status_code == 404
    world.grid1.refresh_from_db()
    assert world.grid1.name == "一网格"
