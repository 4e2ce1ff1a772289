from xml.etree import ElementTree

from django.test import Client

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions as case_actions
from nuanxin.open311.tests.conftest import IN_GRID2
from nuanxin.testing import photo_upload


def handle_to_closed(world, case):
    admin, scope = world.community_admin, scope_of(world.community_admin)
    case = case_actions.accept_case(actor=admin, scope=scope, case=case, note="已受理")
    case = case_actions.dispatch_case(
        actor=admin, scope=scope, case=case, handler=world.grid1_worker, note="内部: 派给小王"
    )
    case = case_actions.start_case(actor=world.grid1_worker, case=case)
    case = case_actions.resolve_case(actor=world.grid1_worker, case=case, note="已清理", photos=[photo_upload()])
    case = case_actions.verify_case(actor=admin, scope=scope, case=case)
    return case_actions.close_case(actor=admin, scope=scope, case=case)


def updates(**params):
    return Client().get("/open311/v2/servicerequestupdates.json", params)


def test_updates_follow_the_public_timeline_without_internal_steps(world, keys, report):
    case = handle_to_closed(world, report("sanitation"))
    rows = updates(api_key=keys["community"]).json()
    assert [r["status"] for r in rows] == ["investigating", "in_progress", "in_progress", "fixed", "fixed"]
    assert [r["external_status_code"] for r in rows] == ["accepted", "started", "resolved", "verified", "closed"]
    assert {r["service_request_id"] for r in rows} == {case.number}
    assert rows[0]["description"] == "已受理" and rows[2]["description"] == "已清理"
    assert "小王" not in str(rows)  # the dispatch note is internal
    assert all(r["updated_datetime"].endswith("+08:00") for r in rows)
    assert len({r["update_id"] for r in rows}) == len(rows)
    root = ElementTree.fromstring(
        Client().get("/open311/v2/servicerequestupdates.xml", {"api_key": keys["community"]}).content
    )
    assert root.tag == "service_requests_updates"
    assert len(root.findall("request_update")) == len(rows)


def test_updates_need_a_key_and_stay_in_its_reach(world, keys, report):
    handle_to_closed(world, report("sanitation"))
    other = report("sanitation", where=IN_GRID2)
    case_actions.accept_case(actor=world.community_admin, scope=scope_of(world.community_admin), case=other)
    assert updates().status_code == 403
    assert updates(api_key=keys["revoked"]).status_code == 403
    numbers = {r["service_request_id"] for r in updates(api_key=keys["grid1"]).json()}
    assert other.number not in numbers and numbers


def test_updates_window_needs_both_dates_or_neither(keys, catalogue):
    answer = updates(api_key=keys["community"], start_date="2024-01-01T00:00:00Z")
    assert answer.status_code == 400
    assert answer.json()[0]["code"] == 400
    answer = updates(api_key=keys["community"], start_date="2024-01-01T00:00:00Z", end_date="2024-01-02T00:00:00Z")
    assert answer.status_code == 200 and answer.json() == []


def test_rejection_reports_its_closure(world, keys, report):
    case = report("sanitation")
    case_actions.reject_case(
        actor=world.community_admin,
        scope=scope_of(world.community_admin),
        case=case,
        reason="不归我们管",
        closure="referred",
    )
    (row,) = updates(api_key=keys["community"]).json()
    assert row["status"] == "not_councils_responsibility" and row["description"] == "不归我们管"


def test_private_class_notes_are_withheld(world, keys, report):
    case = report("vulnerable-person")
    case_actions.accept_case(
        actor=world.community_admin, scope=scope_of(world.community_admin), case=case, note="老人独居在3栋"
    )
    (row,) = updates(api_key=keys["community"]).json()
    assert "3栋" not in row["description"]
