"""The activities API: scoped lists and details, masked names, field-named errors that
write nothing, 403/404 as the rest of the API, and key persons never shown."""

import json
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from nuanxin.inspections.models import Visit
from nuanxin.inspections.tests.conftest import Watch
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.activities import actions
from nuanxin.volunteers.models import Activity, Participant
from nuanxin.volunteers.tests.conftest import Campaigns
from nuanxin.volunteers.tests.test_actions import CLEAN

API = "/api/v1/activities"


def post(client: Any, path: str, payload: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(payload), content_type="application/json")


def numbers(response: Any) -> set[str]:
    return {item["number"] for item in response.json()["items"]}


# Lists and details


def test_the_list_is_scoped_and_filtered(client_for: Any, world: World, campaigns: Campaigns) -> None:
    client = client_for("community_admin")
    listed = client.get(API)
    assert listed.status_code == 200
    assert numbers(listed) == {campaigns.sweep.number, campaigns.cleanup.number}
    assert numbers(client.get(API, {"kind": "cleanup"})) == {campaigns.cleanup.number}
    assert numbers(client.get(API, {"since": "2024-11-15"})) == {campaigns.sweep.number}
    assert numbers(client.get(API, {"area_id": world.grid1.pk, "campaigns_only": True})) == {campaigns.cleanup.number}
    assert numbers(client_for("grid1_worker").get(API)) == {campaigns.cleanup.number}
    assert numbers(client_for("other_admin").get(API)) == {campaigns.elsewhere.number}


@pytest.mark.parametrize("persona", ["resident", "rider", "stranger", "auditor"])
def test_the_list_is_a_404_without_activities_view(client_for: Any, campaigns: Campaigns, persona: str) -> None:
    assert client_for(persona).get(API).status_code == 404


def test_the_list_needs_credentials(client: Any) -> None:
    assert client.get(API).status_code == 401


def test_bad_list_filters_name_the_field(client_for: Any, world: World, campaigns: Campaigns) -> None:
    client = client_for("community_admin")
    outside = client.get(API, {"area_id": world.other_community.pk})
    assert (outside.status_code, outside.json()["field"]) == (400, "area_id")
    backwards = client.get(API, {"since": "2024-12-01", "until": "2024-01-01"})
    assert (backwards.status_code, backwards.json()["field"]) == (400, "until")
    kind = client.get(API, {"kind": "party"})
    assert (kind.status_code, kind.json()["field"]) == (422, "kind")


def test_the_detail_counts_groups_and_masks_names(client_for: Any, world: World, campaigns: Campaigns) -> None:
    sweep = campaigns.sweep
    for group, name in (("rider", "欧阳娜娜"), ("rider", "李四"), ("volunteer", "王")):
        actions.add_participant(actor=world.community_admin, scope=SYSTEM_SCOPE, activity=sweep, group=group, name=name)
    response = client_for("community_admin").get(f"{API}/{sweep.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["participant_groups"] == {"rider": 2, "volunteer": 1}
    assert body["participant_count"] == 3
    assert sorted(p["name"] for p in body["participants"]) == sorted(["欧***", "李*", "王*"])
    assert "欧阳娜娜" not in response.content.decode()


def test_the_detail_is_a_404_outside_the_scope(client_for: Any, campaigns: Campaigns) -> None:
    outside = client_for("other_admin").get(f"{API}/{campaigns.cleanup.pk}")
    missing = client_for("other_admin").get(f"{API}/999999")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert client_for("grid2_worker").get(f"{API}/{campaigns.cleanup.pk}").status_code == 404


# Creating


def payload(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "anti_fraud",
        "title": "反电诈宣传进小区",
        "area_id": world.grid1.pk,
        "starts_on": "2024-07-01",
        "ends_on": "2024-07-01",
    } | overrides


def test_creating_an_activity(client_for: Any, world: World) -> None:
    response = post(client_for("grid1_worker"), API, payload(world, location="一号院门口"))
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "HD202400001" and body["organiser_id"] == world.grid1_worker.pk
    assert body["area_name"] == "一网格" and body["participants"] == []


@pytest.mark.parametrize(
    ("persona", "overrides", "status", "field"),
    [
        ("grid1_worker", {"ends_on": "2024-06-30"}, 400, "ends_on"),
        ("grid1_worker", {"area_id": "GRID2"}, 400, "area_id"),
        ("community_admin", {"area_id": "OTHER"}, 400, "area_id"),
        ("community_admin", {"area_id": 999999}, 400, "area_id"),
        ("community_admin", {"title": ""}, 400, "title"),
        ("community_admin", {"kind": "party"}, 400, "kind"),
        ("community_admin", {"organiser_unit_id": 999999, "organiser_kind": "unit"}, 400, "organiser_unit_id"),
        ("community_admin", {"starts_on": "someday"}, 422, "starts_on"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    client_for: Any, world: World, persona: str, overrides: dict[str, Any], status: int, field: str
) -> None:
    areas = {"GRID2": world.grid2.pk, "OTHER": world.other_community.pk}
    overrides = {k: areas.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    response = post(client_for(persona), API, payload(world, **overrides))
    assert (response.status_code, response.json()["field"]) == (status, field)
    assert not Activity.objects.exists()


@pytest.mark.parametrize("persona", ["street_staff", "resident", "grid1_helper"])
def test_creating_is_a_404_without_activities_manage(client_for: Any, world: World, persona: str) -> None:
    assert post(client_for(persona), API, payload(world)).status_code == 404
    assert not Activity.objects.exists()


# Participants, places, findings


def test_participants_over_the_api(client_for: Any, world: World, campaigns: Campaigns) -> None:
    client = client_for("community_admin")
    path = f"{API}/{campaigns.sweep.pk}/participants"
    by_name = post(client, path, {"group": "courier", "name": "司马懿"})
    assert by_name.status_code == 201 and by_name.json()["name"] == "司**"
    by_account = post(client, path, {"group": "staff", "user_id": world.grid1_worker.pk})
    assert by_account.status_code == 201 and by_account.json()["has_account"] is True
    twice = post(client, path, {"group": "staff", "user_id": world.grid1_worker.pk})
    assert (twice.status_code, twice.json()["field"]) == (400, "user_id")
    stranger = post(client, path, {"group": "staff", "user_id": world.other_admin.pk})
    assert (stranger.status_code, stranger.json()["field"]) == (400, "user_id")
    unknown = post(client, path, {"group": "cook", "name": "张飞"})
    assert (unknown.status_code, unknown.json()["field"]) == (400, "group")
    nameless = post(client, path, {"group": "volunteer"})
    assert (nameless.status_code, nameless.json()["field"]) == (400, "name")
    assert Participant.objects.count() == 2
    removed = client.delete(f"{path}/{by_name.json()['id']}")
    assert removed.status_code == 204 and Participant.objects.count() == 1
    assert client.delete(f"{path}/{by_name.json()['id']}").status_code == 404


def test_participants_are_refused_to_those_who_do_not_manage(
    client_for: Any, world: World, campaigns: Campaigns
) -> None:
    participant = actions.add_participant(
        actor=world.community_admin, scope=SYSTEM_SCOPE, activity=campaigns.sweep, group="staff", name="李四"
    )
    path = f"{API}/{campaigns.sweep.pk}/participants"
    street = client_for("street_staff")
    assert post(street, path, {"group": "staff", "name": "赵六"}).status_code == 403
    assert street.delete(f"{path}/{participant.pk}").status_code == 403
    other = client_for("other_admin")
    assert post(other, path, {"group": "staff", "name": "赵六"}).status_code == 404
    assert other.delete(f"{path}/{participant.pk}").status_code == 404
    assert Participant.objects.count() == 1


def test_places_and_findings(client_for: Any, world: World, campaigns: Campaigns) -> None:
    client = client_for("grid1_worker")
    path = f"{API}/{campaigns.cleanup.pk}"
    outside = post(client, f"{path}/places", {"place_ids": [world.compound1.pk, world.compound2.pk]})
    assert (outside.status_code, outside.json()["field"]) == (400, "place_ids")
    unknown = post(client, f"{path}/places", {"place_ids": [world.other_compound.pk]})
    assert (unknown.status_code, unknown.json()["field"]) == (400, "place_ids")
    assert not campaigns.cleanup.places.exists()
    covered = post(client, f"{path}/places", {"place_ids": [world.compound1.pk]})
    assert covered.status_code == 200 and [p["name"] for p in covered.json()["places"]] == ["一号院"]
    findings = post(client, f"{path}/findings", {"findings": "清理杂物 12 处"})
    assert findings.status_code == 200 and findings.json()["findings"] == "清理杂物 12 处"
    bad = post(client, f"{path}/findings", {"findings": "<script>"})
    assert (bad.status_code, bad.json()["field"]) == (400, "findings")
    assert post(client_for("street_staff"), f"{path}/places", {"place_ids": [world.compound1.pk]}).status_code == 403
    assert post(client_for("grid2_worker"), f"{path}/findings", {"findings": "x"}).status_code == 404


# Checks


def test_recording_a_check(client_for: Any, world: World, campaigns: Campaigns) -> None:
    client = client_for("grid1_worker")
    path = f"{API}/{campaigns.cleanup.pk}/checks"
    check = {"place_id": campaigns.shop.pk, "template": "fire-safety", "answers": CLEAN | {"wiring": "aged"}}
    response = post(client, path, check)
    assert response.status_code == 201
    body = response.json()
    assert (body["place_name"], body["template"], body["hazards"], body["worker_id"]) == (
        "小卖部",
        "fire-safety",
        1,
        world.grid1_worker.pk,
    )
    detail = client.get(f"{API}/{campaigns.cleanup.pk}").json()
    assert [c["id"] for c in detail["checks"]] == [body["id"]] and detail["check_count"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answers": CLEAN | {"extinguisher_count": "two"}}, "answers.extinguisher_count"),
        ({"answers": {"exits_clear": True}}, "answers.extinguishers_ok"),
        ({"template": "nope"}, "template"),
        ({"template": "key-person"}, "template"),
        ({"place_id": "COMPOUND2"}, "place_id"),
        ({"place_id": 999999}, "place_id"),
    ],
)
def test_bad_checks_name_the_field_and_write_nothing(
    client_for: Any, world: World, campaigns: Campaigns, change: dict[str, Any], field: str
) -> None:
    change = {k: world.compound2.pk if v == "COMPOUND2" else v for k, v in change.items()}
    check = {"place_id": campaigns.shop.pk, "template": "fire-safety", "answers": CLEAN} | change
    response = post(client_for("grid1_worker"), f"{API}/{campaigns.cleanup.pk}/checks", check)
    assert (response.status_code, response.json()["field"]) == (400, field)
    assert not Visit.objects.exists()


def test_checks_are_refused_outside_the_reach(client_for: Any, campaigns: Campaigns) -> None:
    check = {"place_id": campaigns.shop.pk, "template": "fire-safety", "answers": CLEAN}
    path = f"{API}/{campaigns.cleanup.pk}/checks"
    street = post(client_for("street_staff"), path, check)
    assert (street.status_code, street.json()["field"]) == (400, "place_id")
    assert post(client_for("grid2_worker"), path, check).status_code == 404
    assert post(client_for("resident"), path, check).status_code == 404
    assert not Visit.objects.exists()


def test_a_key_person_check_never_shows_without_the_permission(
    client_for: Any, world: World, campaigns: Campaigns, watch: Watch
) -> None:
    Visit.objects.create(
        kind="campaign",
        target=watch.key_target,
        category="key_person",
        grid=world.grid1,
        worker=world.grid1_leader,
        due_on=date(2024, 6, 8),
        state="done",
        done_at=timezone.now(),
        activity=campaigns.cleanup,
    )
    worker = client_for("grid1_worker")
    detail = worker.get(f"{API}/{campaigns.cleanup.pk}").json()
    assert (detail["checks"], detail["check_count"]) == ([], 0)
    listed = worker.get(API).json()["items"]
    assert [i["check_count"] for i in listed if i["id"] == campaigns.cleanup.pk] == [0]
    leader = client_for("grid1_leader").get(f"{API}/{campaigns.cleanup.pk}").json()
    assert leader["check_count"] == 1
