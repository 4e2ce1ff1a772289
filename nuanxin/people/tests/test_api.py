"""The people API: scoped, masked, tags by permission, audited reveal, field-named errors."""

import json
import re

import pytest

from nuanxin.core.models import AuditEntry
from nuanxin.people.models import Resident
from nuanxin.people.tests.sample import LI_PHONE, WANG_ID, ZHANG_ID, ZHANG_PHONE, make_id

API = "/api/v1/people"


def names(response):
    return sorted(item["name"] for item in response.json()["items"])


def assert_masked(response):
    raw = response.content.decode()
    assert not re.search(r"\d{17}[\dX]", raw)
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", raw)


def post(client, url, payload):
    return client.post(url, json.dumps(payload), content_type="application/json")


def test_worker_lists_grid1_residents_masked_with_special_tags_only(client_for, people):
    response = client_for("grid1_worker").get(f"{API}/residents")
    assert response.status_code == 200
    assert names(response) == ["张三", "李四", "骑手小赵"]
    zhang = next(item for item in response.json()["items"] if item["name"] == "张三")
    assert zhang["phone_masked"] == "138****5678"
    assert zhang["id_number_masked"] == "530112********" + ZHANG_ID[-4:]
    assert [t["kind"] for t in zhang["tags"]] == ["special_group"]
    assert "id_number" not in zhang and "phone" not in zhang
    assert_masked(response)


def test_residents_are_sorted_by_pinyin(client_for, people):
    items = client_for("community_admin").get(f"{API}/residents").json()["items"]
    assert [item["name_pinyin"] for item in items] == sorted(item["name_pinyin"] for item in items)


@pytest.mark.parametrize(
    ("persona", "kinds"), [("grid1_leader", ["key_person", "special_group"]), ("grid1_helper", None)]
)
def test_tags_follow_the_callers_permissions(client_for, people, persona, kinds):
    item = client_for(persona).get(f"{API}/residents/{people.zhang.pk}").json()
    assert (sorted(t["kind"] for t in item["tags"]) if item["tags"] is not None else None) == kinds


def test_filters_by_grid_household_and_permitted_tag_kind(client_for, people, world):
    client = client_for("community_admin")
    assert names(client.get(f"{API}/residents", {"grid_id": world.grid2.pk})) == ["居民小钱", "王五"]
    assert names(client.get(f"{API}/residents", {"household_id": people.household.pk})) == ["张三", "李四"]
    assert names(client.get(f"{API}/residents", {"kind": "key_person"})) == ["张三"]
    assert names(client_for("grid1_worker").get(f"{API}/residents", {"kind": "key_person"})) == []
    assert client.get(f"{API}/residents", {"kind": "vip"}).status_code == 422


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("rider", ["骑手小赵"]), ("resident", ["居民小钱"]), ("stranger", []), ("auditor", []), ("partner", [])],
)
def test_people_without_reach_see_only_their_own_record(client_for, people, persona, expected):
    client = client_for(persona)
    assert names(client.get(f"{API}/residents")) == expected
    assert client.get(f"{API}/residents/{people.zhang.pk}").status_code == 404
    assert client.get(f"{API}/households").json()["items"] == []


def test_detail_outside_the_grid_is_404_json(client_for, people):
    response = client_for("grid1_worker").get(f"{API}/residents/{people.wang.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client_for("grid2_worker").get(f"{API}/residents/{people.wang.pk}").status_code == 200


def test_anonymous_gets_401(client, people):
    assert client.get(f"{API}/residents").status_code == 401
    assert post(client, f"{API}/residents", {"name": "赵六", "place_id": 1}).status_code == 401


def test_search_by_phone_is_a_post(client_for, people):
    client = client_for("community_admin")
    response = post(client, f"{API}/residents/search", {"text": LI_PHONE})
    assert response.status_code == 200 and names(response) == ["李四"]
    assert_masked(response)
    assert names(post(client, f"{API}/residents/search", {"text": "zs"})) == ["张三"]
    assert names(post(client_for("grid1_worker"), f"{API}/residents/search", {"text": WANG_ID})) == []


def test_worker_registers_a_resident_in_their_grid(client_for, people, world):
    new_id = make_id("53011219880808666")
    response = post(
        client_for("grid1_worker"),
        f"{API}/residents",
        {
            "name": "赵六",
            "place_id": world.compound1.pk,
            "household_id": people.household.pk,
            "id_number": new_id,
            "phone": "13700001111",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "赵六" and body["household_number"] == "3-2-501" and body["birth_year"] == 1988
    assert_masked(response)
    assert Resident.objects.get(pk=body["id"]).id_number == new_id
    assert AuditEntry.objects.filter(action="people.resident_registered", object_id=str(body["id"])).exists()


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"name": ""}, 400, "name"),
        ({"id_number": "530112198808086660"}, 400, "id_number"),
        ({"id_number": ZHANG_ID}, 400, "id_number"),
        ({"phone": "12345678901"}, 400, "phone"),
        ({"gender": "x"}, 422, "gender"),
        ({"place_id": "compound2"}, 400, "place_id"),
        ({"household_id": -1}, 400, "household_id"),
        ({"name": None}, 422, "name"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(client_for, people, world, change, status, field):
    payload = {"name": "赵六", "place_id": world.compound1.pk, **change}
    if payload["place_id"] == "compound2":
        payload["place_id"] = world.compound2.pk  # grid 2: outside this worker's grid
    count = Resident.objects.count()
    response = post(client_for("grid1_worker"), f"{API}/residents", payload)
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert Resident.objects.count() == count


@pytest.mark.parametrize("persona", ["grid1_helper", "rider", "stranger", "auditor"])
def test_registering_needs_people_manage(client_for, world, persona):
    response = post(client_for(persona), f"{API}/residents", {"name": "赵六", "place_id": world.compound1.pk})
    assert response.status_code == 404
    assert not Resident.objects.filter(name="赵六").exists()


def test_reveal_returns_the_value_and_is_audited(client_for, people, world):
    response = post(
        client_for("grid1_leader"),
        f"{API}/residents/{people.zhang.pk}/reveal",
        {"field": "phone", "reason": "联系家属"},
    )
    assert response.status_code == 200
    assert response.json() == {"field": "phone", "value": ZHANG_PHONE}
    entry = AuditEntry.objects.get(action="people.revealed")
    assert entry.detail == {"field": "phone", "reason": "联系家属"} and entry.actor_id == world.grid1_leader.pk


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"field": "phone", "reason": "看"}, 400, "reason"),
        ({"field": "phone"}, 422, "reason"),
        ({"field": "name", "reason": "联系家属"}, 422, "field"),
    ],
)
def test_reveal_needs_a_reason_and_a_known_field(client_for, people, payload, status, field):
    response = post(client_for("grid1_worker"), f"{API}/residents/{people.zhang.pk}/reveal", payload)
    assert response.status_code == status and response.json()["field"] == field
    assert ZHANG_PHONE not in response.content.decode()
    assert not AuditEntry.objects.filter(action="people.revealed").exists()


@pytest.mark.parametrize(
    ("persona", "resident"),
    [("grid1_helper", "zhang"), ("grid1_worker", "wang"), ("rider", "rider_self"), ("stranger", "zhang")],
)
def test_reveal_is_404_without_the_permission_there(client_for, people, persona, resident):
    url = f"{API}/residents/{getattr(people, resident).pk}/reveal"
    response = post(client_for(persona), url, {"field": "phone", "reason": "联系家属"})
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="people.revealed").exists()


def test_households_are_scoped_and_filtered(client_for, people, world):
    from nuanxin.people import actions

    actions.register_household(actor=None, place=world.compound2, number="1-1-101")
    items = client_for("grid1_worker").get(f"{API}/households").json()["items"]
    assert [(i["number"], i["place_name"]) for i in items] == [("3-2-501", "一号院")]
    admin = client_for("community_admin")
    assert len(admin.get(f"{API}/households").json()["items"]) == 2
    items = admin.get(f"{API}/households", {"place_id": world.compound2.pk}).json()["items"]
    assert [i["number"] for i in items] == ["1-1-101"]
