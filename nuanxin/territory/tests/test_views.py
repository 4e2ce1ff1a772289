"""Territory pages: allowed and denied for each persona."""

import pytest

from nuanxin.testing import SYSTEM_SCOPE


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
    # Not /field/: a visitor's phone home offers reporting (cases/tests/test_report_without_account.py).
    for url in ("/territory/", f"/territory/areas/{world.grid1.pk}/", "/territory/places/", "/console/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_grid_page_query_count_is_bounded(client_for, world, django_assert_max_num_queries):
    client = client_for("grid1_worker")
    with django_assert_max_num_queries(20):
        client.get(f"/territory/areas/{world.grid1.pk}/")


def test_import_link_only_for_importers(client_for, world):
    assert "/territory/imports/places/" in client_for("community_admin").get("/territory/places/").content.decode()
    assert "/territory/imports/places/" not in client_for("grid1_worker").get("/territory/places/").content.decode()


def test_community_admin_assigns_staff_from_the_grid_page(client_for, world):
    client = client_for("community_admin")
    response = client.post(
        f"/territory/areas/{world.grid2.pk}/staff/",
        {"username": "grid1-helper", "duty": "grid_helper", "starts_on": "2024-05-01"},
    )
    assert response.status_code == 302
    page = client.get(f"/territory/areas/{world.grid2.pk}/", {"on": "2024-05-02"}).content.decode()
    assert "grid1_helper" in page


@pytest.mark.parametrize(
    ("data", "field_text"),
    [
        ({"username": "nobody", "duty": "grid_helper", "starts_on": "2024-05-01"}, "username"),
        ({"username": "grid1-helper", "duty": "emperor", "starts_on": "2024-05-01"}, "duty"),
        ({"username": "grid1-helper", "duty": "grid_helper", "starts_on": "not a date"}, "starts_on"),
        (
            {"username": "grid1-helper", "duty": "grid_helper", "starts_on": "2024-05-01", "ends_on": "2024-04-01"},
            "ends_on",
        ),
        ({"username": "grid1-worker", "duty": "grid_worker", "starts_on": "2024-06-01"}, "starts_on"),  # overlaps
    ],
)
def test_bad_staff_assignment_shows_the_error_at_its_field(client_for, world, data, field_text):
    from nuanxin.territory.models import StaffAssignment

    before = StaffAssignment.objects.count()
    grid = world.grid1
    response = client_for("community_admin").post(f"/territory/areas/{grid.pk}/staff/", data)
    assert response.status_code == 400
    form = response.context["staff_form"]
    assert field_text in form.errors
    assert StaffAssignment.objects.count() == before


def test_grid_worker_cannot_assign_or_end_staff(client_for, world):
    from nuanxin.territory.models import StaffAssignment

    client = client_for("grid1_worker")
    response = client.post(
        f"/territory/areas/{world.grid1.pk}/staff/",
        {"username": "grid1-helper", "duty": "grid_helper", "starts_on": "2024-05-01"},
    )
    assert response.status_code == 404
    assignment = StaffAssignment.objects.get(person=world.grid1_worker)
    assert client.post(f"/territory/assignments/{assignment.pk}/end/", {"ends_on": "2024-12-31"}).status_code == 404
    assignment.refresh_from_db()
    assert assignment.ends_on is None


def test_admin_ends_a_duty_and_history_keeps_it(client_for, world):
    from nuanxin.territory.models import StaffAssignment

    assignment = StaffAssignment.objects.get(person=world.grid1_worker)
    client = client_for("community_admin")
    assert client.post(f"/territory/assignments/{assignment.pk}/end/", {"ends_on": "2024-12-31"}).status_code == 302
    assert "grid1_worker" in client.get(f"/territory/areas/{world.grid1.pk}/", {"on": "2024-12-31"}).content.decode()
    assert (
        "grid1_worker" not in client.get(f"/territory/areas/{world.grid1.pk}/", {"on": "2025-01-01"}).content.decode()
    )
    client.post(f"/territory/assignments/{assignment.pk}/end/", {"ends_on": "garbage"})
    assignment.refresh_from_db()
    assert str(assignment.ends_on) == "2024-12-31"


def test_other_community_admin_gets_404_for_assignments_here(client_for, world):
    from nuanxin.territory.models import StaffAssignment

    assignment = StaffAssignment.objects.get(person=world.grid1_worker)
    assert (
        client_for("other_admin")
        .post(f"/territory/assignments/{assignment.pk}/end/", {"ends_on": "2024-12-31"})
        .status_code
        == 404
    )


def test_grid_worker_adds_a_place_from_the_grid_page(client_for, world):
    client = client_for("grid1_worker")
    response = client.post(
        f"/territory/areas/{world.grid1.pk}/places/",
        {"kind": "merchant", "name": "新开面馆", "address": "一号路1号", "lat": "24.9812", "lng": "102.7012"},
    )
    assert response.status_code == 302
    assert "新开面馆" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "merchant", "name": "越界店", "lat": "24.9812", "lng": "102.7032"}, "lat"),  # grid 2
        ({"kind": "merchant", "name": "", "lat": "24.9812", "lng": "102.7012"}, "name"),
        ({"kind": "castle", "name": "x", "lat": "24.9812", "lng": "102.7012"}, "kind"),
        ({"kind": "merchant", "name": "x", "lat": "north", "lng": "102.7012"}, "lat"),
    ],
)
def test_bad_place_on_grid_page_shows_the_error_at_its_field(client_for, world, data, field):
    from nuanxin.territory.models import Place

    before = Place.objects.count()
    response = client_for("grid1_worker").post(f"/territory/areas/{world.grid1.pk}/places/", data)
    assert response.status_code == 400
    assert field in response.context["place_form"].errors
    assert Place.objects.count() == before


def test_helper_and_rider_cannot_add_places(client_for, world):
    data = {"kind": "merchant", "name": "x", "lat": "24.9812", "lng": "102.7012"}
    assert client_for("grid1_helper").post(f"/territory/areas/{world.grid1.pk}/places/", data).status_code == 404
    assert client_for("rider").post(f"/territory/areas/{world.grid1.pk}/places/", data).status_code == 404


def test_staffing_and_place_routes_refuse_get(client_for, world):
    client = client_for("community_admin")
    assert client.get(f"/territory/areas/{world.grid1.pk}/staff/").status_code == 405
    assert client.get(f"/territory/areas/{world.grid1.pk}/places/").status_code == 405


def test_place_attributes_show_translated_labels_and_joined_lists(client_for, world):
    from nuanxin.territory.actions import change_place

    change_place(
        actor=None,
        scope=SYSTEM_SCOPE,
        place=world.station,
        attributes={"amenities": ["热水", "充电"], "联系人": "王女士"},
    )
    page = client_for("rider").get(f"/territory/places/{world.station.pk}/").content.decode()
    assert "热水、充电" in page and "联系人" in page and "amenities" not in page


def test_assign_form_dates_are_iso_for_the_date_picker(client_for, world):
    page = client_for("community_admin").get(f"/territory/areas/{world.grid1.pk}/").content.decode()
    import re

    assert re.search(r'name="starts_on" value="\d{4}-\d{2}-\d{2}"', page)
