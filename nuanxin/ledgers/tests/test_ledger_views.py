"""The ledger pages: the list, one ledger with filters and totals, export and import links."""

import pytest

from nuanxin.inspections.tests.conftest import shared_watch, watch
from nuanxin.ledgers.tests.ledger_support import records

__all__ = ["records", "shared_watch", "watch"]


def test_index_lists_the_ledgers_the_viewer_may_open(client_for, records):
    page = client_for("community_admin").get("/ledgers/").content.decode()
    assert "/ledgers/fire-safety/" in page
    assert "/ledgers/key-person/" in page
    assert "/ledgers/disputes/" in page
    assert "/ledgers/campaign-fire-check/" in page
    assert "/ledgers/fire-safety/import/" in page


def test_worker_index_never_mentions_the_key_person_ledger(client_for, records):
    response = client_for("grid1_worker").get("/ledgers/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/ledgers/food-safety/" in page
    assert "key-person" not in page
    assert "/import/" not in page  # grid workers do not hold ledgers.import


@pytest.mark.parametrize("persona", ["stranger", "rider", "resident", "grid1_helper", "auditor"])
def test_index_is_404_for_someone_without_a_ledger(client_for, records, persona):
    assert client_for(persona).get("/ledgers/").status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client, records):
    response = client.get("/ledgers/fire-safety/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_ledger_page_shows_rows_and_totals_of_the_viewers_grid(client_for, records):
    response = client_for("grid1_worker").get("/ledgers/food-safety/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("小面馆") == 2
    assert "ZG2024-0001" in page
    rows = response.context["rows"]
    assert len(rows) == 2
    assert response.context["totals"][0].endswith("2")  # "Total: 2" in any language
    assert response.context["totals"][7] == 2  # hazards, under the hazards column


def test_worker_of_another_grid_sees_none_of_grid_1(client_for, records):
    response = client_for("grid2_worker").get("/ledgers/food-safety/")
    assert response.status_code == 200
    assert "小面馆" not in response.content.decode()
    assert response.context["rows"] == []
    hotel = client_for("grid2_worker").get("/ledgers/fire-safety/").content.decode()
    assert "快捷旅馆" in hotel
    assert "一号院" not in hotel  # the campaign check in grid 1


def test_key_person_ledger_is_404_for_a_worker_and_open_to_the_leader(client_for, records):
    assert client_for("grid1_worker").get("/ledgers/key-person/").status_code == 404
    assert client_for("grid1_worker").get("/ledgers/key-person/export/").status_code == 404
    response = client_for("grid1_leader").get("/ledgers/key-person/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "张*" in page
    assert "张三" not in page


def test_unknown_ledger_is_404(client_for, records):
    assert client_for("community_admin").get("/ledgers/spaceships/").status_code == 404


def test_filters_stay_in_the_address_and_narrow_the_rows(client_for, records, world):
    client = client_for("community_admin")
    response = client.get("/ledgers/food-safety/?result=hazards&from=2024-03-01&to=2024-03-31")
    assert [row[6] for row in response.context["rows"]] == [response.context["rows"][0][6]]
    assert len(response.context["rows"]) == 1
    assert "ZG2024-0001" in response.content.decode()
    assert "export/?from=2024-03-01&amp;to=2024-03-31&amp;result=hazards" in response.content.decode()
    late = client.get("/ledgers/food-safety/?from=2024-03-10")
    assert len(late.context["rows"]) == 1
    by_grid = client.get(f"/ledgers/fire-safety/?grid={world.grid2.pk}")
    assert [row[2] for row in by_grid.context["rows"]] == ["快捷旅馆"]
    by_worker = client.get(f"/ledgers/fire-safety/?worker={world.grid1_worker.pk}")
    assert [row[2] for row in by_worker.context["rows"]] == ["一号院"]


def test_bad_filter_is_shown_at_its_field(client_for, records):
    response = client_for("community_admin").get("/ledgers/disputes/?from=2024-13-01&result=nonsense")
    assert response.status_code == 400
    assert set(response.context["filter_errors"]) == {"from", "result"}
    assert 'class="field-error"' in response.content.decode()


def test_dispute_ledger_masks_people_and_counts_sessions(client_for, records):
    response = client_for("community_admin").get("/ledgers/disputes/")
    page = response.content.decode()
    assert "张**" in page and "张三丰" not in page
    assert "安居物业公司" in page  # a unit keeps its name
    assert "王*" in page and "王志愿" not in page  # a volunteer mediator is masked
    assert "一网格员" in page  # staff are named
    first = response.context["rows"][0]
    assert first[1] == "JF202400001" and first[7] == "2"


def test_campaign_ledger_counts_participants_checks_and_hazards(client_for, records):
    response = client_for("community_admin").get("/ledgers/campaign-fire-check/")
    assert response.status_code == 200
    columns = [c.key for c in response.context["columns"]]
    row = dict(zip(columns, response.context["rows"][0], strict=True))
    assert row["participants"] == "5"
    assert row["group_rider"] == "2"
    assert row["new_employment"] == "3"
    assert row["places"] == "2"
    assert row["checks"] == "1"
    assert row["hazards"] == "1"


def test_export_needs_ledgers_export(client_for, records):
    assert client_for("street_staff").get("/ledgers/fire-safety/").status_code == 200
    assert client_for("street_staff").get("/ledgers/fire-safety/export/").status_code == 404
    response = client_for("community_admin").get("/ledgers/fire-safety/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_export_with_a_bad_filter_is_400(client_for, records):
    response = client_for("community_admin").get("/ledgers/fire-safety/export/?to=yesterday")
    assert response.status_code == 400
    assert response.content.decode().startswith("to:")


def test_import_page_needs_ledgers_import_and_an_importable_ledger(client_for, records):
    assert client_for("community_admin").get("/ledgers/fire-safety/import/").status_code == 200
    assert client_for("community_admin").get("/ledgers/disputes/import/").status_code == 200
    assert client_for("community_admin").get("/ledgers/disputes/import/template/").status_code == 200
    assert client_for("grid1_worker").get("/ledgers/fire-safety/import/").status_code == 404
    assert client_for("community_admin").get("/ledgers/key-person/import/").status_code == 404
    assert client_for("community_admin").get("/ledgers/campaign-cleanup/import/").status_code == 404


def test_ledger_page_query_count_is_pinned(client_for, records, django_assert_max_num_queries):
    client = client_for("community_admin")
    client.get("/ledgers/campaign-fire-check/")  # warm the session and the scope
    for code in ("fire-safety", "disputes", "campaign-fire-check"):
        with django_assert_max_num_queries(22):  # constant: per page, never per row
            assert client.get(f"/ledgers/{code}/").status_code == 200
