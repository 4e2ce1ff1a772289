"""The inspections API: scoped lists and details, key persons hidden, field-named errors."""

import json
from typing import Any

import pytest

from nuanxin.inspections.models import Visit, WatchChange, WatchTarget
from nuanxin.inspections.tests.conftest import Watch
from nuanxin.testing import World

API = "/api/v1/inspections"


def post(client: Any, url: str, payload: dict) -> Any:
    return client.post(url, json.dumps(payload), content_type="application/json")


def ids(response: Any) -> set[int]:
    return {item["id"] for item in response.json()["items"]}


def test_a_grid_worker_lists_the_targets_of_their_grid(client_for: Any, watch: Watch) -> None:
    response = client_for("grid1_worker").get(f"{API}/targets")
    assert response.status_code == 200
    assert ids(response) == {watch.restaurant_target.pk, watch.special_target.pk}
    assert response.json()["count"] == 2
    restaurant = next(i for i in response.json()["items"] if i["id"] == watch.restaurant_target.pk)
    assert (restaurant["category"], restaurant["frequency"], restaurant["place_name"]) == (
        "catering",
        "weekly",
        "小面馆",
    )


def test_a_bad_target_filter_is_a_422_naming_it(client_for: Any, watch: Watch) -> None:
    client = client_for("grid1_worker")
    for query, field in (({"tier": "bogus"}, "tier"), ({"grid_id": "abc"}, "grid_id"), ({"category": "x"}, "category")):
        bad = client.get(f"{API}/targets", query)
        assert bad.status_code == 422 and bad.json()["field"] == field


def test_a_worker_without_the_key_person_permission_learns_nothing_of_key_persons(
    client_for: Any, watch: Watch
) -> None:
    client = client_for("grid1_worker")
    listed = client.get(f"{API}/targets", {"category": "key_person"})
    assert listed.status_code == 200 and listed.json() == {"items": [], "count": 0}
    by_person = client.get(f"{API}/targets")
    assert watch.key_target.pk not in ids(by_person)
    detail = client.get(f"{API}/targets/{watch.key_target.pk}")
    missing = client.get(f"{API}/targets/999999")
    assert detail.status_code == missing.status_code == 404
    assert detail.json() == missing.json()
    visits = client.get(f"{API}/visits")
    assert watch.key_target.pk not in {v["target_id"] for v in visits.json()["items"]}
    tier = post(client, f"{API}/targets/{watch.key_target.pk}/tier", {"tier": "low", "reason": "稳定"})
    assert tier.status_code == 404


def test_the_grid_leader_sees_the_key_person_target(client_for: Any, watch: Watch) -> None:
    client = client_for("grid1_leader")
    response = client.get(f"{API}/targets", {"category": "key_person"})
    assert ids(response) == {watch.key_target.pk}
    detail = client.get(f"{API}/targets/{watch.key_target.pk}")
    assert detail.status_code == 200 and detail.json()["resident_name"] == "张*"  # masked, as on every page


@pytest.mark.parametrize("persona", ["grid1_helper", "rider", "resident", "stranger"])
def test_people_without_inspections_view_get_404(client_for: Any, watch: Watch, persona: str) -> None:
    client = client_for(persona)
    assert client.get(f"{API}/targets").status_code == 404
    assert client.get(f"{API}/visits").status_code == 404
    assert client.get(f"{API}/targets/{watch.restaurant_target.pk}").status_code == 404


def test_anonymous_gets_401(client: Any, watch: Watch) -> None:
    assert client.get(f"{API}/targets").status_code == 401


def test_a_target_of_another_grid_is_404(client_for: Any, watch: Watch) -> None:
    assert client_for("grid2_worker").get(f"{API}/targets/{watch.restaurant_target.pk}").status_code == 404
    assert client_for("grid1_worker").get(f"{API}/targets/{watch.restaurant_target.pk}").status_code == 200


def test_the_community_admin_adds_a_target(client_for: Any, world: World, watch: Watch) -> None:
    response = post(
        client_for("community_admin"),
        f"{API}/targets",
        {
            "category": "crowded_venue",
            "tier": "medium",
            "worker_id": world.grid1_worker.pk,
            "place_id": watch.restaurant.pk,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["grid_id"], body["frequency"]) == (world.grid1.pk, "monthly")
    assert [c["new_tier"] for c in body["changes"]] == ["medium"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"category": "bakery", "tier": "high"}, "category"),
        ({"category": "catering", "tier": "high", "place_id": 999999}, "place_id"),
        ({"category": "crowded_venue", "tier": "high", "worker_id": 999999}, "worker_id"),
        ({"category": "crowded_venue", "tier": "sky"}, "tier"),
    ],
)
def test_bad_input_is_400_naming_the_field(
    client_for: Any, world: World, watch: Watch, payload: dict, field: str
) -> None:
    body = {"worker_id": world.grid1_worker.pk, "place_id": watch.restaurant.pk, **payload}
    before = WatchTarget.objects.count()
    response = post(client_for("community_admin"), f"{API}/targets", body)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert WatchTarget.objects.count() == before


def test_a_place_outside_the_callers_scope_is_unknown(client_for: Any, world: World, watch: Watch) -> None:
    response = post(
        client_for("other_admin"),
        f"{API}/targets",
        {
            "category": "crowded_venue",
            "tier": "high",
            "worker_id": world.grid1_worker.pk,
            "place_id": watch.restaurant.pk,
        },
    )
    assert response.status_code == 400 and response.json()["field"] == "place_id"


def test_a_grid_worker_may_not_add_targets(client_for: Any, world: World, watch: Watch) -> None:
    response = post(
        client_for("grid1_worker"),
        f"{API}/targets",
        {
            "category": "crowded_venue",
            "tier": "high",
            "worker_id": world.grid1_worker.pk,
            "place_id": watch.restaurant.pk,
        },
    )
    assert response.status_code == 404
    assert not WatchTarget.objects.filter(category="crowded_venue").exists()


def test_changing_the_tier_needs_a_reason(client_for: Any, watch: Watch) -> None:
    client = client_for("community_admin")
    url = f"{API}/targets/{watch.hotel_target.pk}/tier"
    refused = post(client, url, {"tier": "high", "reason": " "})
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    done = post(client, url, {"tier": "high", "reason": "发现重大隐患"})
    assert done.status_code == 200
    assert (done.json()["tier"], done.json()["frequency"]) == ("high", "weekly")
    assert [c["reason"] for c in done.json()["changes"]] == ["added", "发现重大隐患"]


def test_a_worker_who_sees_a_target_may_not_change_or_end_it(client_for: Any, watch: Watch) -> None:
    client = client_for("grid1_worker")
    url = f"{API}/targets/{watch.restaurant_target.pk}"
    assert post(client, f"{url}/tier", {"tier": "low", "reason": "原因"}).status_code == 403
    assert post(client, f"{url}/end", {"reason": "原因"}).status_code == 403
    assert WatchChange.objects.filter(target=watch.restaurant_target).count() == 1


def test_the_community_admin_ends_a_target(client_for: Any, watch: Watch) -> None:
    response = post(
        client_for("community_admin"), f"{API}/targets/{watch.restaurant_target.pk}/end", {"reason": "已停业"}
    )
    assert response.status_code == 200 and response.json()["ended_on"] is not None
    assert not Visit.objects.filter(target=watch.restaurant_target).exists()


def test_a_worker_lists_their_own_visits(client_for: Any, world: World, watch: Watch) -> None:
    response = client_for("grid1_worker").get(f"{API}/visits", {"mine": "true"})
    assert response.status_code == 200
    assert {v["target_id"] for v in response.json()["items"]} == {watch.restaurant_target.pk, watch.special_target.pk}
    assert all(v["worker_id"] == world.grid1_worker.pk for v in response.json()["items"])
    assert client_for("grid2_worker").get(f"{API}/visits").json()["count"] == 1
