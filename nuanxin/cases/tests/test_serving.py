"""What the key case reads cost, pinned (issue 15: docs/performance.md): a grid worker's page of
cases and a case's detail over the API with a bearer token the worker process remembers, and
that their answers, built from plain rows without ninja's re-validation, are exactly the schema's
fields with what the viewer may read."""

from dataclasses import replace

import pytest
from django.http import Http404
from django.test import Client

from nuanxin.accounts import token_memory
from nuanxin.accounts.scope import scope_of
from nuanxin.accounts.tests.test_tokens import _bearer, _issue
from nuanxin.cases.api import CaseDetailOut, CaseOut, FollowOfferOut, ReportOut
from nuanxin.cases.models import Case, CaseEvent, CaseFollower
from nuanxin.cases.queries import case_row, case_row_or_404


@pytest.fixture
def token(world) -> str:
    token_memory.forget_all()
    return _issue("grid1-worker")


def _warm(client: Client, url: str, token: str) -> None:
    for _ in range(2):  # the first request notes whose the token is, the second remembers it
        assert client.get(url, **_bearer(token)).status_code == 200


def test_a_page_of_cases_costs_four_statements_however_many_cases(token, world, report, django_assert_num_queries):
    client = Client()
    for n in range(3):
        report("sanitation", by=world.rider, description=f"第{n}个")
    _warm(client, "/api/v1/cases?limit=50", token)
    # The account's stamp, the count, the page's ids, its rows.
    with django_assert_num_queries(4):
        small = client.get("/api/v1/cases?limit=50", **_bearer(token)).json()
    for n in range(20):
        report("sanitation", by=world.rider, description=f"又一个{n}")
    with django_assert_num_queries(4):
        large = client.get("/api/v1/cases?limit=50", **_bearer(token)).json()
    assert (small["count"], large["count"]) == (3, 23) and len(large["items"]) == 23


def test_a_case_in_a_page_is_the_schema_exactly_and_masks_the_reporter(token, world, report):
    case = report("sanitation", by=world.rider, reporter_name="李字春", reporter_phone="13800138000")
    [item] = Client().get("/api/v1/cases", **_bearer(token)).json()["items"]
    assert list(item) == list(CaseOut.model_fields)
    CaseOut.model_validate(item)
    assert item["id"] == case.pk and item["view"] == "whole"
    assert item["reporter_name"] == "李字春" and item["reporter_phone_masked"] == "138****8000"


def test_a_follower_s_page_shows_the_public_view_with_no_reporter(client_for, world, report):
    case = report("sanitation", by=world.resident, reporter_name="李字春", reporter_phone="13800138000")
    CaseFollower.objects.create(case=case, user=world.rider, since=case.reported_at, why=CaseFollower.Why.CHOSE)
    [item] = client_for("rider").get("/api/v1/cases").json()["items"]
    assert item["view"] == "public" and item["description"] is None and item["address"] is None
    assert item["reporter_name"] is None and item["reporter_phone_masked"] is None
    assert item["lng"] == round(case.lng, 3)


def test_a_host_unit_sees_its_followed_case_whole_in_a_page(client_for, world, report):
    case = report("sanitation", by=world.resident)
    CaseFollower.objects.create(case=case, user=world.rider, since=case.reported_at, why=CaseFollower.Why.HOST)
    [item] = client_for("rider").get("/api/v1/cases").json()["items"]
    assert item["view"] == "whole" and item["description"] == case.description


def test_a_case_detail_costs_four_statements(token, world, report, django_assert_num_queries):
    case = report("sanitation", by=world.rider)
    client = Client()
    _warm(client, f"/api/v1/cases/{case.pk}", token)
    # The stamp, the case with its class and grid, its timeline, its photos.
    with django_assert_num_queries(4):
        answer = client.get(f"/api/v1/cases/{case.pk}", **_bearer(token)).json()
    assert list(answer) == list(CaseDetailOut.model_fields)
    CaseDetailOut.model_validate(answer)
    assert [event["kind"] for event in answer["timeline"]] == ["reported"]


def test_a_scope_builds_its_filter_once_and_the_filter_still_sees_later_changes(world, report):
    """The scope keeps the filter it built (core.scoping: a third of a millisecond per scoped
    statement), and the kept filter is no snapshot: its subqueries run with each query, so a
    report or a follow made after it was built is seen by the next query."""
    scope = scope_of(world.rider)
    assert not Case.objects.visible_to(scope).exists()
    kept = Case.scoping.q(scope, Case)
    own = report("sanitation", by=world.rider)
    followed = report("sanitation", by=world.resident)
    assert set(Case.objects.visible_to(scope).values_list("pk", flat=True)) == {own.pk}
    CaseFollower.objects.create(case=followed, user=world.rider, since=followed.reported_at, why=CaseFollower.Why.CHOSE)
    assert set(Case.objects.visible_to(scope).values_list("pk", flat=True)) == {own.pk, followed.pk}
    assert Case.scoping.q(scope, Case) is kept
    # Another viewer's scope, and a copy of this one with other reach, build their own.
    worker = scope_of(world.grid1_worker)
    assert Case.scoping.q(worker, Case) is not kept
    assert set(Case.objects.visible_to(worker).values_list("pk", flat=True)) == {own.pk, followed.pk}
    assert not Case.objects.visible_to(replace(scope, user_id=world.resident.pk)).filter(pk=own.pk).exists()


def test_a_cases_list_is_compiled_once_per_scope_and_filters_and_replayed(token, world, report):
    """The cases API keeps a page's count and ids statements per scope and filters
    (Scope.replayed): a replay counts rows made after it was kept; other filters and another
    window are statements of their own; a filter on the clock is never kept."""
    client = Client()

    def page(query: str) -> dict:
        return client.get(f"/api/v1/cases?{query}", **_bearer(token)).json()

    report("sanitation", by=world.rider)
    _warm(client, "/api/v1/cases?limit=50", token)
    scope = scope_of(token_memory.user_for_token(token))
    assert {key[:2] for key in scope.built if key[0] in ("count", "ids")} == {("count", "cases"), ("ids", 0)}
    report("sanitation", by=world.rider)
    first = page("limit=50")
    assert first["count"] == 2 and len(first["items"]) == 2
    assert page("limit=50&state=closed")["count"] == 0
    second = page("limit=1&offset=1")
    assert second["count"] == 2 and [c["id"] for c in second["items"]] == [first["items"][1]["id"]]
    kept = set(scope.built)
    assert page("limit=50&overdue=true")["count"] == 0
    assert set(scope.built) == kept


def test_a_case_row_is_compiled_once_per_scope_and_read_as_django_reads_it(world, report):
    """case_row_or_404 runs one statement per scope with each case's id in it (Scope.prepared):
    the values are those the ORM reads (the phone decrypted, the moments as moments), another
    case is another row, and a case out of scope is the same 404 as ever."""
    scope = scope_of(world.grid1_worker)
    first = report("sanitation", by=world.rider, reporter_name="张三", reporter_phone="13812345678")
    second = report("sanitation", by=world.rider)
    elsewhere = report("sanitation", by=world.rider, lng=102.7035, lat=24.9811)
    assert elsewhere.grid_id == world.grid2.pk
    rows = {case.pk: case_row_or_404(scope, case.pk) for case in (first, second)}
    assert [key for key in scope.built if key == ("case row",)] == [("case row",)]
    for case in (first, second):
        assert rows[case.pk] == case_row(Case.objects.get(pk=case.pk))
    assert rows[first.pk]["reporter_phone"] == "13812345678"
    assert rows[first.pk]["reported_at"] == Case.objects.get(pk=first.pk).reported_at
    with pytest.raises(Http404):
        case_row_or_404(scope, elsewhere.pk)
    with pytest.raises(Http404):
        case_row_or_404(scope, 10**12)


def test_a_case_timeline_is_prepared_per_scope_and_staff_view(world, report):
    """The detail's timeline statement is kept per scope and per whether the viewer is staff
    where the case is: one viewer sees a dispatch note of their grid's case, and not the
    internal events of a case elsewhere they only follow."""
    token_memory.forget_all()
    token, client = _issue("grid1-worker"), Client()
    mine = report("sanitation", by=world.rider)
    elsewhere = report("sanitation", by=world.rider, lng=102.7035, lat=24.9811)
    for case in (mine, elsewhere):
        CaseEvent.objects.create(
            case=case, kind=CaseEvent.Kind.DISPATCHED, note="内部", internal=True, at=case.reported_at
        )
    CaseFollower.objects.create(
        case=elsewhere, user=world.grid1_worker, since=elsewhere.reported_at, why=CaseFollower.Why.CHOSE
    )

    def timeline(case: Case) -> list[str]:
        answer = client.get(f"/api/v1/cases/{case.pk}", **_bearer(token))
        assert answer.status_code == 200
        return [event["kind"] for event in answer.json()["timeline"]]

    for _ in range(2):
        assert CaseEvent.Kind.DISPATCHED in timeline(mine)
        assert CaseEvent.Kind.DISPATCHED not in timeline(elsewhere)
    scope = scope_of(token_memory.user_for_token(token))
    assert {key for key in scope.built if key[0] == "case timeline"} == {
        ("case timeline", True),
        ("case timeline", False),
    }


def test_a_report_s_answer_is_its_schema_exactly_with_the_offers_in_theirs(client_for, world, report):
    # The answer is built field by field and rendered without ninja validating it again
    # (core.schemas.built_answer): its keys are ReportOut's, in order, and so are each offer's.
    import json
    import uuid

    earlier = report("sanitation", by=world.resident, description="垃圾桶满了")
    response = client_for("rider").post(
        "/api/v1/cases",
        data=json.dumps({"class_code": "sanitation", "description": "垃圾桶满了", "lng": 102.7011, "lat": 24.9811}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.content
    answer = response.json()
    assert list(answer) == list(ReportOut.model_fields)
    ReportOut.model_validate(answer)
    assert answer["id"] == Case.objects.latest("pk").pk and answer["reported_at"].endswith("Z")
    [offer] = answer["similar"]
    assert list(offer) == list(FollowOfferOut.model_fields)
    assert offer["class_code"] == earlier.case_class.code and offer["state"] == "reported"
