"""The people API: scoped, masked, tags by permission, audited reveal, field-named errors."""

import json
import re

import pytest
import time_machine

from nuanxin.core.models import AuditEntry
from nuanxin.people import actions
from nuanxin.people.models import Resident, ResidentTag
from nuanxin.people.tests.sample import LI_ID, LI_PHONE, WANG_ID, ZHANG_ID, ZHANG_PHONE, make_id
from nuanxin.testing import SYSTEM_SCOPE

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
    assert zhang["tags"] == [{"id": people.special_tag.pk, "kind": "special_group"}]  # the kind, no category
    assert zhang["birth_year"] == 1980
    assert "id_number" not in zhang and "phone" not in zhang
    assert_masked(response)


@pytest.mark.parametrize(
    ("persona", "resident", "birth_year"),
    [("grid1_worker", "zhang", 1980), ("grid1_helper", "zhang", None), ("rider", "rider_self", None)],
)
def test_the_birth_year_goes_only_to_callers_who_may_reveal(client_for, people, persona, resident, birth_year):
    actions.change_resident(
        actor=None, scope=SYSTEM_SCOPE, resident=people.rider_self, id_number=make_id("53011219990101001")
    )
    client = client_for(persona)
    assert client.get(f"{API}/residents/{getattr(people, resident).pk}").json()["birth_year"] == birth_year
    listed = client.get(f"{API}/residents").json()["items"]
    assert any(item["birth_year"] for item in listed) == (birth_year is not None)


def test_residents_are_sorted_by_pinyin(client_for, people):
    items = client_for("community_admin").get(f"{API}/residents").json()["items"]
    assert [item["name_pinyin"] for item in items] == sorted(item["name_pinyin"] for item in items)


@pytest.mark.parametrize(
    ("persona", "kinds"), [("grid1_leader", ["key_person", "special_group"]), ("grid1_helper", None)]
)
def test_tags_follow_the_callers_permissions(client_for, people, persona, kinds):
    response = client_for(persona).get(f"{API}/residents/{people.zhang.pk}")
    item = response.json()
    assert (sorted(t["kind"] for t in item["tags"]) if item["tags"] is not None else None) == kinds
    for secret in ("elderly_alone", "community_correction", "每周报到", "category", "note"):
        assert secret not in response.content.decode()


def test_filters_by_grid_household_and_permitted_tag_kind(client_for, people, world):
    client = client_for("community_admin")
    assert names(client.get(f"{API}/residents", {"grid_id": world.grid2.pk})) == ["居民小钱", "王五"]
    assert names(client.get(f"{API}/residents", {"household_id": people.household.pk})) == ["张三", "李四"]
    assert names(client.get(f"{API}/residents", {"kind": "key_person"})) == ["张三"]
    assert names(client_for("grid1_worker").get(f"{API}/residents", {"kind": "key_person"})) == []
    assert client.get(f"{API}/residents", {"kind": "vip"}).status_code == 422
    # No filter by category: it would tell categories without a reveal (the parameter is ignored).
    assert names(client.get(f"{API}/residents", {"kind": "key_person", "category": "disabled"})) == ["张三"]


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
    entries = AuditEntry.objects.filter(action="people.searched").order_by("id")
    assert [e.detail for e in entries] == [{"by": "phone", "matches": 1}, {"by": "id_number", "matches": 0}]


@pytest.mark.parametrize("text", [ZHANG_PHONE, ZHANG_ID])
def test_searching_by_phone_or_id_needs_reveal(client_for, people, text):
    client = client_for("grid1_helper")
    response = post(client, f"{API}/residents/search", {"text": text})
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "text" and body["error"]
    assert "items" not in body
    assert not AuditEntry.objects.filter(action="people.searched").exists()
    assert names(post(client, f"{API}/residents/search", {"text": "zhangsan"})) == ["张三"]


@pytest.mark.parametrize("payload", [{}, {"text": None}, {"text": "1" * 61}])
def test_search_without_usable_text_is_422(client_for, people, payload):
    response = post(client_for("grid1_worker"), f"{API}/residents/search", payload)
    assert response.status_code == 422 and response.json()["field"] == "text"


def test_the_31st_exact_search_in_ten_minutes_is_429_with_retry_after(client_for, people):
    client = client_for("grid1_worker")
    with time_machine.travel("2026-03-02 09:04:00+08:00", tick=False):
        for _ in range(30):
            assert post(client, f"{API}/residents/search", {"text": LI_PHONE}).status_code == 200
        response = post(client, f"{API}/residents/search", {"text": LI_PHONE})
        assert response.status_code == 429
        assert response["Retry-After"] == "360"  # the window opened at 09:00
        assert response.json()["field"] == "text" and response.json()["code"] == "rate_limited"
        assert post(client, f"{API}/residents/search", {"text": "lisi"}).status_code == 200
    assert AuditEntry.objects.filter(action="people.searched").count() == 30


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
        ({"household_id": -1}, 422, "household_id"),  # not an id (core.schemas.Id)
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
    assert response.json() == {"field": "phone", "value": ZHANG_PHONE, "tags": None}
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
    actions.register_household(actor=None, scope=SYSTEM_SCOPE, place=world.compound2, number="1-1-101")
    items = client_for("grid1_worker").get(f"{API}/households").json()["items"]
    assert [(i["number"], i["place_name"]) for i in items] == [("3-2-501", "一号院")]
    admin = client_for("community_admin")
    assert len(admin.get(f"{API}/households").json()["items"]) == 2
    items = admin.get(f"{API}/households", {"place_id": world.compound2.pk}).json()["items"]
    assert [i["number"] for i in items] == ["1-1-101"]


@pytest.mark.parametrize(
    ("persona", "revealed"),
    [
        ("grid1_leader", [("key_person", "community_correction", "每周报到"), ("special_group", "elderly_alone", "")]),
        ("grid1_worker", [("special_group", "elderly_alone", "")]),
    ],
)
def test_tags_are_revealed_by_kind_with_a_reason(client_for, people, world, persona, revealed):
    url = f"{API}/residents/{people.zhang.pk}/reveal"
    response = post(client_for(persona), url, {"field": "tags", "reason": "核对帮扶对象"})
    assert response.status_code == 200
    body = response.json()
    assert body["value"] is None
    assert sorted((t["kind"], t["category"], t["note"]) for t in body["tags"]) == revealed
    entry = AuditEntry.objects.get(action="people.revealed")
    assert entry.detail == {"field": "tags", "reason": "核对帮扶对象"}


def test_revealing_tags_without_reveal_is_404(client_for, people):
    url = f"{API}/residents/{people.zhang.pk}/reveal"
    assert post(client_for("grid1_helper"), url, {"field": "tags", "reason": "核对帮扶对象"}).status_code == 404
    assert not AuditEntry.objects.filter(action="people.revealed").exists()


def patch(client, url, payload):
    return client.patch(url, json.dumps(payload), content_type="application/json")


def test_a_worker_changes_a_resident_in_their_grid(client_for, people, world):
    other = actions.register_household(actor=None, scope=SYSTEM_SCOPE, place=world.compound1, number="1-1-101")
    response = patch(
        client_for("grid1_worker"),
        f"{API}/residents/{people.li.pk}",
        {"name": "李小四", "phone": "13700001111", "household_id": other.pk},
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "李小四" and response.json()["household_number"] == "1-1-101"
    assert_masked(response)
    li = Resident.objects.get(pk=people.li.pk)
    assert (li.name, li.phone, li.household_id, li.id_number) == ("李小四", "13700001111", other.pk, LI_ID)
    entry = AuditEntry.objects.get(action="people.resident_changed")
    assert entry.detail == {"fields": ["name", "phone", "household"]} and entry.actor_id == world.grid1_worker.pk


def test_patch_clears_a_phone_and_leaves_a_household(client_for, people):
    response = patch(client_for("grid1_worker"), f"{API}/residents/{people.li.pk}", {"phone": "", "household_id": None})
    assert response.status_code == 200
    li = Resident.objects.get(pk=people.li.pk)
    assert (li.phone, li.phone_index, li.household_id, li.name) == ("", "", None, "李四")


@pytest.mark.parametrize(
    ("persona", "resident"),
    [("grid1_helper", "li"), ("grid1_worker", "wang"), ("rider", "rider_self"), ("stranger", "li")],
)
def test_changing_needs_people_manage_at_the_residents_grid(client_for, people, persona, resident):
    target = getattr(people, resident)
    response = patch(client_for(persona), f"{API}/residents/{target.pk}", {"name": "改名"})
    assert response.status_code == 404
    assert Resident.objects.get(pk=target.pk).name == target.name
    assert not AuditEntry.objects.filter(action="people.resident_changed").exists()


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"name": ""}, 400, "name"),
        ({"name": "李4"}, 400, "name"),
        ({"name": None}, 422, "name"),
        ({"phone": "12345"}, 400, "phone"),
        ({"phone": None}, 422, "phone"),
        ({"id_number": WANG_ID}, 400, "id_number"),  # someone else's
        ({"id_number": LI_ID[:17] + ("0" if LI_ID[17] != "0" else "1")}, 400, "id_number"),
        ({"gender": "male"}, 400, "gender"),  # contradicts the ID number
        ({"gender": "x"}, 422, "gender"),
        ({"household_id": -1}, 422, "household_id"),  # not an id (core.schemas.Id)
        ({"household_id": "compound2"}, 400, "household_id"),  # a household at another place
        ({"name": "李小四", "household_id": -1}, 422, "household_id"),  # one bad key: nothing changes
    ],
)
def test_bad_changes_name_the_field_and_write_nothing(client_for, people, world, change, status, field):
    if change.get("household_id") == "compound2":
        change = {
            "household_id": actions.register_household(
                actor=None, scope=SYSTEM_SCOPE, place=world.compound1, number="9"
            ).pk
        }
        actions.change_resident(
            actor=None, scope=SYSTEM_SCOPE, resident=people.li, place=world.compound2, household=None
        )
    client = client_for("community_admin")  # signing in is audited: before counting
    before = Resident.objects.filter(pk=people.li.pk).values().get()
    audit_count = AuditEntry.objects.count()
    response = patch(client, f"{API}/residents/{people.li.pk}", change)
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert Resident.objects.filter(pk=people.li.pk).values().get() == before
    assert AuditEntry.objects.count() == audit_count


def test_patch_of_a_missing_resident_is_404(client_for, people):
    assert patch(client_for("community_admin"), f"{API}/residents/999999", {"name": "某某"}).status_code == 404


def test_a_leader_removes_a_tag(client_for, people, world):
    tag_id = people.key_tag.pk
    response = client_for("grid1_leader").delete(f"{API}/residents/{people.zhang.pk}/tags/{tag_id}")
    assert response.status_code == 204
    assert not ResidentTag.objects.filter(pk=tag_id).exists()
    entry = AuditEntry.objects.get(action="people.resident_untagged")
    assert entry.detail == {"tag_id": tag_id} and entry.actor_id == world.grid1_leader.pk


@pytest.mark.parametrize(
    ("persona", "tag", "resident"),
    [
        ("grid1_worker", "key_tag", "zhang"),  # a kind the worker may not see
        ("grid1_helper", "special_tag", "zhang"),
        ("grid2_worker", "special_tag", "zhang"),
        ("grid1_leader", "special_tag", "li"),  # not this resident's tag
        ("rider", "special_tag", "zhang"),
    ],
)
def test_removing_a_tag_one_may_not_see_is_404(client_for, people, persona, tag, resident):
    tag_id = getattr(people, tag).pk
    response = client_for(persona).delete(f"{API}/residents/{getattr(people, resident).pk}/tags/{tag_id}")
    assert response.status_code == 404
    assert ResidentTag.objects.filter(pk=tag_id).exists()
    assert not AuditEntry.objects.filter(action="people.resident_untagged").exists()


def test_removing_a_missing_tag_is_404(client_for, people):
    response = client_for("grid1_leader").delete(f"{API}/residents/{people.zhang.pk}/tags/999999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
