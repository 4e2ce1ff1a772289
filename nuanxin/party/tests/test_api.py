"""The party API: scoped reads with masked phones, writes through the actions (400 naming the
JSON field), out of scope 404."""

import pytest

from nuanxin.party.models import PartyMember, PartyOrg
from nuanxin.people.actions import register_resident
from nuanxin.testing import SYSTEM_SCOPE

API = "/api/v1/party"


@pytest.fixture
def tree(committee, far_committee):
    return committee, far_committee


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_the_office_founds_registers_and_reads_with_phones_masked(world, tree, client_for):
    committee, far = tree
    client = client_for("community_admin")
    found = post(
        client,
        f"{API}/orgs",
        {
            "name": "第一网格党支部",
            "kind": "branch",
            "area_id": world.grid1.pk,
            "founded_on": "2016-03-01",
            "parent_id": committee.pk,
        },
    )
    assert found.status_code == 201 and found.json()["member_count"] == 0
    branch = found.json()["id"]
    resident = register_resident(actor=None, scope=SYSTEM_SCOPE, name="赵红", place=world.compound1)
    registered = post(
        client,
        f"{API}/orgs/{branch}/members",
        {
            "name": "赵红",
            "standing": "full",
            "status": "registered",
            "since": "2023-07-01",
            "phone": "13912345678",
            "resident_id": resident.pk,
        },
    )
    assert registered.status_code == 201 and registered.json()["phone"] == "139****5678"
    listed = client.get(f"{API}/orgs").json()
    assert {o["name"]: o["member_count"] for o in listed["items"]} == {"测试社区党委": 0, "第一网格党支部": 1}
    members = client.get(f"{API}/orgs/{branch}/members").json()["items"]
    assert [m["name"] for m in members] == ["赵红"] and "13912345678" not in str(members)
    # A second current membership of the same resident: 400 naming the JSON field.
    again = post(
        client,
        f"{API}/orgs/{branch}/members",
        {
            "name": "赵红",
            "standing": "full",
            "status": "registered",
            "since": "2023-07-01",
            "resident_id": resident.pk,
        },
    )
    assert again.status_code == 400 and again.json()["field"] == "resident_id"
    left = post(client, f"{API}/members/{registered.json()['id']}/leave", {"left_on": "2024-01-01"})
    assert left.status_code == 200 and left.json()["left_on"] == "2024-01-01"
    assert client.get(f"{API}/orgs/{branch}/members").json()["items"] == []


def test_bad_input_names_the_field_and_writes_nothing(world, tree, client_for):
    committee, _far = tree
    client = client_for("community_admin")
    cases = [
        ({"kind": "committee"}, "kind"),
        ({"area_id": world.other_grid.pk}, "area_id"),
        ({"founded_on": "2001-01-01"}, "founded_on"),
        ({"parent_id": 999_999}, "parent_id"),
    ]
    for change, field in cases:
        body = {
            "name": "二支部",
            "kind": "branch",
            "area_id": world.grid2.pk,
            "founded_on": "2020-01-01",
            "parent_id": committee.pk,
        } | change
        answer = post(client, f"{API}/orgs", body)
        assert answer.status_code == 400 and answer.json()["field"] == field, (change, answer.json())
    assert PartyOrg.objects.count() == 2
    mobile = post(
        client,
        f"{API}/orgs/{committee.pk}/members",
        {
            "name": "钱进",
            "standing": "full",
            "status": "mobile_in",
            "since": "2024-01-01",
        },
    )
    assert mobile.status_code == 400 and mobile.json()["field"] == "origin"
    assert not PartyMember.objects.exists()


def test_out_of_scope_is_404_and_the_field_holds_no_party_permission(world, tree, client_for):
    committee, far = tree
    client = client_for("community_admin")
    assert client.get(f"{API}/orgs/{far.pk}").status_code == 404
    assert client.get(f"{API}/orgs/{far.pk}/members").status_code == 404
    body = {"name": "外人", "standing": "full", "status": "registered", "since": "2024-01-01"}
    assert post(client, f"{API}/orgs/{far.pk}/members", body).status_code == 404
    for persona in ("grid1_worker", "street_staff", "partner", "resident"):
        assert client_for(persona).get(f"{API}/orgs").status_code == 404, persona
        assert client_for(persona).get(f"{API}/orgs/{committee.pk}").status_code == 404, persona
    other = client_for("other_admin").get(f"{API}/orgs").json()["items"]
    assert [o["name"] for o in other] == ["另一社区党委"]
