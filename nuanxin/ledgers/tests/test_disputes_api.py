"""Disputes over /api/v1/disputes: allowed and denied, masked, bad input naming the field."""

import json

import pytest

from nuanxin.core.models import AuditEntry
from nuanxin.inspections.models import Visit
from nuanxin.inspections.tests.conftest import shared_watch, watch
from nuanxin.ledgers.disputes import actions
from nuanxin.ledgers.models import Dispute, MediationSession, Mediator
from nuanxin.ledgers.tests.disputes_support import TODAY, _media, pdf_upload, register
from nuanxin.testing import SYSTEM_SCOPE

__all__ = ["_media", "shared_watch", "watch"]

API = "/api/v1/disputes"


def _body(world, **change):
    return {
        "kind": "landlord_tenant",
        "source": "walk_in",
        "grid_id": world.grid1.pk,
        "received_on": "2024-06-03",
        "summary": "押金退还争议",
        "parties": [
            {"kind": "person", "name": "王小二", "phone": "13912345678"},
            {"kind": "person", "name": "赵大", "resident_id": None},
        ],
    } | change


def _post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_list_is_the_territorys_masked_and_paginated(world, client_for):
    own = register(world)
    register(world, grid=world.grid2, by=world.grid2_worker)
    answer = client_for("grid1_worker").get(API).json()
    assert answer["count"] == 1
    item = answer["items"][0]
    assert item["number"] == own.number and item["grid_name"] == world.grid1.name
    assert [p["name"] for p in item["parties"]] == ["张**", "安居物业公司"]
    assert item["parties"][0]["phone"] == "138****5678"
    assert client_for("community_admin").get(f"{API}?limit=1").json()["count"] == 2


def test_list_filters_and_a_bad_date_names_the_field(world, client_for):
    register(world)
    family = register(world, kind="family")
    client = client_for("community_admin")
    assert [i["id"] for i in client.get(f"{API}?kind=family").json()["items"]] == [family.pk]
    assert client.get(f"{API}?since=2024-07-01").json()["count"] == 0
    bad = client.get(f"{API}?since=2024-02-30")
    assert bad.status_code == 400 and bad.json()["field"] == "since"
    unknown = client.get(f"{API}?kind=unicorn")
    assert unknown.status_code == 422 and unknown.json()["field"] == "kind"
    backwards = client.get(f"{API}?since=2024-07-01&until=2024-06-01")
    assert backwards.status_code == 400 and backwards.json()["field"] == "until"
    assert client.get(f"{API}?level=moon").json()["field"] == "level"
    assert client.get(f"{API}?since=&until=").json()["count"] == 2  # empty is no filter, as before


@pytest.mark.parametrize("persona", ["rider", "resident", "stranger", "auditor"])
def test_list_and_detail_are_404_without_disputes_view(world, client_for, persona):
    dispute = register(world)
    client = client_for(persona)
    assert client.get(API).status_code == 404
    assert client.get(f"{API}/{dispute.pk}").status_code == 404


def test_anonymous_is_401(world, client):
    assert client.get(API).status_code == 401


def test_detail_in_scope_and_404_outside(world, client_for):
    dispute = register(world)
    actions.add_mediator(actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, group="volunteer", name="老周")
    actions.record_session(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, held_on=TODAY, summary="谈了一次", today=TODAY
    )
    answer = client_for("grid1_worker").get(f"{API}/{dispute.pk}").json()
    assert answer["mediators"][0]["name"] == "老周" and answer["sessions"][0]["summary"] == "谈了一次"
    assert "张三丰" not in json.dumps(answer, ensure_ascii=False) and "13812345678" not in json.dumps(answer)
    for persona in ("grid2_worker", "other_admin"):
        missing = client_for(persona).get(f"{API}/{dispute.pk}")
        assert missing.status_code == 404 and missing.json() == client_for(persona).get(f"{API}/999999").json()


def test_register_over_the_api(world, client_for):
    response = _post(client_for("grid1_worker"), API, _body(world), HTTP_IDEMPOTENCY_KEY="dispute-key-0001")
    assert response.status_code == 201
    answer = response.json()
    assert answer["number"] == "JF202400001" and [p["name"] for p in answer["parties"]] == ["王**", "赵*"]
    again = _post(client_for("grid1_worker"), API, _body(world), HTTP_IDEMPOTENCY_KEY="dispute-key-0001")
    assert again.status_code == 201 and Dispute.objects.count() == 1


def test_register_with_a_resident_and_a_place(world, client_for, people):
    body = _body(
        world,
        parties=[
            {"kind": "person", "resident_id": people.li.pk},
            {"kind": "unit", "place_id": world.compound1.pk},
        ],
    )
    answer = _post(client_for("grid1_worker"), API, body).json()
    assert [p["name"] for p in answer["parties"]] == ["李*", world.compound1.name]
    assert answer["parties"][0]["resident_id"] == people.li.pk


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"kind": "feud"}, 400, "kind"),
        ({"summary": "<img src=x onerror=alert(1)>"}, 400, "summary"),
        ({"received_on": "2999-01-01"}, 400, "received_on"),
        ({"received_on": "soon"}, 422, "received_on"),
        ({"grid_id": 999999}, 400, "grid_id"),
        ({"parties": []}, 400, "parties"),
        ({"parties": [{"kind": "person", "name": "甲", "phone": "555"}]}, 400, "parties.0.phone"),
        ({"parties": [{"kind": "person", "name": "甲", "place_id": 1}]}, 400, "parties.0.place_id"),
        ({"parties": [{"kind": "person", "resident_id": 999999}]}, 400, "parties.0.resident_id"),
        ({"parties": [{"kind": "alien", "name": "甲"}]}, 422, "parties.0.kind"),
        ({"case_id": 999999, "source": "report"}, 400, "case_id"),
        ({"visit_id": 999999, "source": "visit"}, 400, "visit_id"),
    ],
)
def test_bad_registration_names_the_field_and_writes_nothing(world, client_for, change, status, field):
    response = _post(client_for("grid1_worker"), API, _body(world, **change))
    assert response.status_code == status, response.json()
    assert response.json()["field"] == field
    assert not Dispute.objects.exists()


def test_register_outside_the_record_scope(world, client_for):
    grid2 = _post(client_for("grid2_worker"), API, _body(world))
    assert grid2.status_code == 400 and grid2.json()["field"] == "grid_id"
    assert _post(client_for("street_staff"), API, _body(world)).status_code == 404
    assert _post(client_for("rider"), API, _body(world)).status_code == 404
    assert not Dispute.objects.exists()


def test_mediators_and_sessions_over_the_api(world, client_for):
    dispute = register(world)
    client = client_for("grid1_worker")
    staff = _post(client, f"{API}/{dispute.pk}/mediators", {"group": "staff", "user_id": world.grid1_leader.pk})
    assert staff.status_code == 201 and staff.json()["mediators"][0]["user_id"] == world.grid1_leader.pk
    twice = _post(client, f"{API}/{dispute.pk}/mediators", {"group": "staff", "user_id": world.grid1_leader.pk})
    assert twice.status_code == 400 and twice.json()["field"] == "user_id"
    session = _post(client, f"{API}/{dispute.pk}/sessions", {"held_on": "2024-06-05", "summary": "第一次调解"})
    assert session.status_code == 201 and session.json()["sessions"][0]["held_on"] == "2024-06-05"
    early = _post(client, f"{API}/{dispute.pk}/sessions", {"held_on": "2024-05-01", "summary": "x"})
    assert early.status_code == 400 and early.json()["field"] == "held_on"
    assert Mediator.objects.count() == 1 and MediationSession.objects.count() == 1


def test_acting_is_403_for_street_staff_and_404_out_of_scope(world, client_for):
    dispute = register(world)
    for persona, status in (("street_staff", 403), ("grid2_worker", 404), ("rider", 404)):
        client = client_for(persona)
        assert _post(client, f"{API}/{dispute.pk}/mediators", {"group": "volunteer", "name": "x"}).status_code == status
        assert (
            _post(client, f"{API}/{dispute.pk}/sessions", {"held_on": "2024-06-05", "summary": "x"}).status_code
            == status
        )
        closing = client.post(f"{API}/{dispute.pk}/close", {"outcome": "failed", "closed_on": "2024-06-05"})
        assert closing.status_code == status
    assert not Mediator.objects.exists() and not MediationSession.objects.exists()
    assert Dispute.objects.get().state == "open"


def test_close_with_the_agreement_as_multipart(world, client_for):
    dispute = register(world)
    client = client_for("grid1_worker")
    response = client.post(
        f"{API}/{dispute.pk}/close",
        {"outcome": "agreement", "settled_level": "community", "closed_on": "2024-06-10", "agreement": pdf_upload()},
    )
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert (answer["state"], answer["outcome"], answer["settled_level"]) == ("closed", "agreement", "community")
    assert answer["agreement_url"] == f"/disputes/{dispute.pk}/agreement/"
    download = client.get(answer["agreement_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert AuditEntry.objects.filter(action="disputes.agreement_viewed").count() == 1
    again = client.post(f"{API}/{dispute.pk}/close", {"outcome": "failed", "closed_on": "2024-06-10"})
    assert again.status_code == 400 and again.json()["code"] == "closed"


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({"outcome": "agreement", "closed_on": "2024-06-10"}, 400, "settled_level"),
        ({"outcome": "nope", "closed_on": "2024-06-10"}, 400, "outcome"),
        ({"outcome": "failed", "closed_on": "2024-06-01"}, 400, "closed_on"),
        ({"outcome": "failed"}, 400, "closed_on"),
    ],
)
def test_bad_closing_names_the_field(world, client_for, data, status, field):
    dispute = register(world)
    response = client_for("grid1_worker").post(f"{API}/{dispute.pk}/close", data)
    assert response.status_code == status and response.json()["field"] == field
    assert Dispute.objects.get().state == "open"


def test_a_key_person_visit_stays_unknown_over_the_api(world, client_for, watch):
    from nuanxin.accounts.scope import scope_of

    visit = Visit.objects.filter(target=watch.key_target).first()
    dispute = register(world, by=world.grid1_leader, source="visit", visit=visit, scope=scope_of(world.grid1_leader))
    assert client_for("grid1_worker").get(f"{API}/{dispute.pk}").json()["visit_id"] is None
    assert client_for("grid1_leader").get(f"{API}/{dispute.pk}").json()["visit_id"] == visit.pk
    refused = _post(client_for("grid1_worker"), API, _body(world, source="visit", visit_id=visit.pk))
    assert refused.status_code == 400 and refused.json()["field"] == "visit_id"
    unknown = _post(client_for("grid1_worker"), API, _body(world, source="visit", visit_id=999999))
    assert refused.json() == unknown.json()
    assert Dispute.objects.count() == 1
