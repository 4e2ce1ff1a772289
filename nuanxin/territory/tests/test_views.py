"""Territory pages: allowed and denied for each persona."""

import pytest


def test_grid_worker_sees_own_grid_page_with_places_and_staff(client_for, world):
    response = client_for("grid1_worker").get(f"/territory/areas/{world.grid1.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "一号院" in page and "二号院" not in page
    assert "grid1_leader" in page  # staff on duty today


def test_grid_worker_gets_404_for_other_grid_page(client_for, world):
    assert client_for("grid1_worker").get(f"/territory/areas/{world.grid2.pk}/").status_code == 404


def test_community_admin_sees_both_grids_but_not_other_community(client_for, world):
    client = client_for("community_admin")
    tree = client.get("/territory/").content.decode()
    assert "一网格" in tree and "二网格" in tree and "另一网格" not in tree
    assert client.get(f"/territory/areas/{world.other_grid.pk}/").status_code == 404


def test_street_staff_reach_every_community_of_the_street(client_for, world):
    client = client_for("street_staff")
    assert client.get(f"/territory/areas/{world.other_grid.pk}/").status_code == 200
    assert client.get(f"/territory/areas/{world.grid2.pk}/").status_code == 200


def test_staff_history_answers_who_was_responsible_on_a_date(client_for, world):
    client = client_for("community_admin")
    before = client.get(f"/territory/areas/{world.grid1.pk}/", {"on": "2023-06-30"}).content.decode()
    after = client.get(f"/territory/areas/{world.grid1.pk}/", {"on": "2024-06-30"}).content.decode()
    assert "grid1_worker" not in before and "grid1_worker" in after


@pytest.mark.parametrize("persona", ["rider", "resident", "partner", "auditor", "stranger"])
def test_people_without_territory_work_get_404_for_tree_and_grid_pages(client_for, world, persona):
    client = client_for(persona)
    assert client.get("/territory/").status_code == 404
    assert client.get(f"/territory/areas/{world.grid1.pk}/").status_code == 404


def test_place_list_is_scoped(client_for, world):
    page = client_for("grid1_worker").get("/territory/places/").content.decode()
    assert "一号院" in page and "二号院" not in page and "外社区院" not in page
    assert "温新驿站一号" in page  # stations are public


def test_place_detail_allowed_and_denied(client_for, world):
    assert client_for("grid1_worker").get(f"/territory/places/{world.compound1.pk}/").status_code == 200
    assert client_for("grid1_worker").get(f"/territory/places/{world.compound2.pk}/").status_code == 404
    assert client_for("rider").get(f"/territory/places/{world.station.pk}/").status_code == 200
    assert client_for("rider").get(f"/territory/places/{world.compound1.pk}/").status_code == 404
    assert client_for("partner").get(f"/territory/places/{world.station.pk}/").status_code == 200


def test_place_list_ignores_unknown_kind_filter(client_for, world):
    response = client_for("community_admin").get("/territory/places/", {"kind": "'; drop table", "page": "x"})
    assert response.status_code == 200


def test_anonymous_is_sent_to_login(client, world):
    for url in ("/territory/", f"/territory/areas/{world.grid1.pk}/", "/territory/places/", "/console/", "/field/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_grid_page_query_count_is_bounded(client_for, world, django_assert_max_num_queries):
    client = client_for("grid1_worker")
    with django_assert_max_num_queries(20):
        client.get(f"/territory/areas/{world.grid1.pk}/")


def test_import_link_only_for_importers(client_for, world):
    assert "/territory/imports/places/" in client_for("community_admin").get("/territory/places/").content.decode()
    assert "/territory/imports/places/" not in client_for("grid1_worker").get("/territory/places/").content.decode()
