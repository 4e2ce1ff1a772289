from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions as case_actions
from nuanxin.open311.tests.conftest import IN_GRID2


def accept(world, case):
    return case_actions.accept_case(actor=world.community_admin, scope=scope_of(world.community_admin), case=case)


def get(path, **params):
    return Client().get(path, params)


def test_keyed_list_shows_the_keys_subtree_with_details(world, keys, report):
    mine = report("sanitation", address="一号院3栋", reporter_name="张三", reporter_phone="13812345678")
    other = report("sanitation", where=IN_GRID2)
    listed = get("/open311/v2/requests.json", api_key=keys["grid1"]).json()
    assert [r["service_request_id"] for r in listed] == [mine.number]
    (row,) = listed
    assert row["status"] == "open" and row["status_notes"]
    assert row["description"] == "楼道里堆满了纸箱" and row["address"] == "一号院3栋"
    assert row["lat"] == mine.lat and row["long"] == mine.lng
    assert row["requested_datetime"].endswith("+08:00")
    assert row["expected_datetime"] is not None
    assert row["agency_responsible"] == "一网格"
    # Never the reporter: no field carries the name or the phone.
    assert "张三" not in str(listed) and "13812345678" not in str(listed)
    both = get("/open311/v2/requests.json", api_key=keys["community"]).json()
    assert {r["service_request_id"] for r in both} == {mine.number, other.number}


def test_request_outside_the_keys_reach_is_404(world, keys, report):
    other = report("sanitation", where=IN_GRID2)
    answer = get(f"/open311/v2/requests/{other.number}.json", api_key=keys["grid1"])
    assert answer.status_code == 404
    assert answer.json()[0]["code"] == 404
    allowed = get(f"/open311/v2/requests/{other.number}.xml", api_key=keys["community"])
    root = ElementTree.fromstring(allowed.content)
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == other.number


def test_revoked_or_wrong_key_is_403_for_reads(keys, report):
    report("sanitation")
    for bad in (keys["revoked"], "nope"):
        answer = get("/open311/v2/requests.json", api_key=bad)
        assert answer.status_code == 403
        assert answer.json()[0]["code"] == 403


def test_public_view_hides_unaccepted_private_and_personal_details(world, catalogue, report):
    fresh = report("sanitation")
    taken = accept(world, report("sanitation", address="一号院3栋"))
    private = accept(world, report("vulnerable-person"))
    listed = get("/open311/v2/requests.json").json()
    assert [r["service_request_id"] for r in listed] == [taken.number]
    (row,) = listed
    assert row["description"] is None and row["address"] is None
    assert row["lat"] == round(taken.lat, 3) and row["long"] == round(taken.lng, 3)
    for hidden in (fresh, private):
        assert get(f"/open311/v2/requests/{hidden.number}.json").status_code == 404


def test_public_reads_can_be_switched_off(settings, keys, report):
    settings.OPEN311_PUBLIC_READS = False
    assert get("/open311/v2/requests.json").status_code == 403
    assert get("/open311/v2/requests.json", api_key=keys["community"]).status_code == 200


def test_private_class_description_is_withheld_even_with_a_key(keys, report):
    case = report("vulnerable-person", description="独居老人摔倒")
    (row,) = get(f"/open311/v2/requests/{case.number}.json", api_key=keys["community"]).json()
    assert row["description"] is None and "独居老人" not in str(row)


def test_closed_case_maps_to_closed_with_its_closure(world, keys, report):
    case = report("sanitation")
    case_actions.reject_case(
        actor=world.community_admin,
        scope=scope_of(world.community_admin),
        case=case,
        reason="重复上报",
        closure="duplicate",
    )
    (row,) = get(f"/open311/v2/requests/{case.number}.json", api_key=keys["community"]).json()
    assert row["status"] == "closed" and row["expected_datetime"] is None
    assert row["updated_datetime"] is not None
    closed = get("/open311/v2/requests.json", api_key=keys["community"], status="closed").json()
    assert [r["service_request_id"] for r in closed] == [case.number]
    assert get("/open311/v2/requests.json", api_key=keys["community"], status="open").json() == []


def test_filters_by_service_code_ids_and_window(keys, report):
    now = timezone.now()
    old = report("sanitation", now=now - timedelta(days=120))
    noise = report("noise", answers={"when": "day"})
    rubbish = report("sanitation")
    key = keys["community"]

    def numbers(**params):
        return {r["service_request_id"] for r in get("/open311/v2/requests.json", api_key=key, **params).json()}

    assert numbers() == {noise.number, rubbish.number}  # the last 90 days by default
    assert numbers(service_code="noise") == {noise.number}
    assert numbers(service_code="noise,sanitation") == {noise.number, rubbish.number}
    start = (now - timedelta(days=130)).isoformat()
    assert numbers(start_date=start) == {old.number}
    # service_request_id overrides the window and every other filter.
    assert numbers(service_request_id=f"{old.number},{noise.number}", service_code="sanitation") == {
        old.number,
        noise.number,
    }
    assert numbers(service_request_id="not-a-number") == set()


def test_list_is_capped_at_1000_rows(keys, report, monkeypatch):
    from nuanxin.open311 import queries

    monkeypatch.setattr(queries, "MAX_ROWS", 2)
    for _ in range(3):
        report("sanitation")
    assert len(get("/open311/v2/requests.json", api_key=keys["community"]).json()) == 2


BAD = [
    {"start_date": "yesterday"},
    {"end_date": "2024-13-45T00:00:00Z"},
    {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-06-01T00:00:00Z"},
    {"start_date": "2024-06-01T00:00:00Z", "end_date": "2024-01-01T00:00:00Z"},
    {"end_date": "0001-01-02"},
    {"start_date": "9999-12-31T23:59:59Z"},
    {"status": "pending"},
    {"status": "open,closed,open"},
    {"service_request_id": ",".join(["20240101-0001"] * 1001)},
    {"start_date": "2" * 5000},
]


@pytest.mark.parametrize("params", BAD)
def test_bad_parameters_are_400(keys, catalogue, params):
    for key in ({}, {"api_key": keys["community"]}):
        answer = get("/open311/v2/requests.json", **key, **params)
        assert answer.status_code == 400, (params, answer.content)
        assert answer.json()[0]["code"] == 400


def test_unencoded_plus_in_an_offset_is_forgiven(keys, report):
    case = report("sanitation")
    start = timezone.localtime(case.reported_at - timedelta(hours=1)).isoformat(timespec="seconds").replace("+", " ")
    listed = get("/open311/v2/requests.json", api_key=keys["community"], start_date=start).json()
    assert [r["service_request_id"] for r in listed] == [case.number]


@pytest.mark.parametrize("request_id", ["nope", "x" * 3000, "20240101-0001", "%00"])
def test_unknown_request_is_404(keys, catalogue, request_id):
    for key in ({}, {"api_key": keys["community"]}):
        answer = get(f"/open311/v2/requests/{request_id}.json", **key)
        assert answer.status_code == 404
        assert answer.json()[0]["code"] == 404


def test_tokens_are_never_issued_so_every_token_is_404(catalogue):
    answer = get("/open311/v2/tokens/12345.xml")
    assert answer.status_code == 404
    assert ElementTree.fromstring(answer.content).findtext("error/code") == "404"
