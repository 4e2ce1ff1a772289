"""The alliance over the API: the office and a unit's representative, each in their reach;
bad input is a 400 naming the JSON field and writes nothing."""

from datetime import date
from io import BytesIO

import pytest
import time_machine
from django.test import Client

from nuanxin.accounts.scope import scope_of
from nuanxin.party import alliance
from nuanxin.party.models import Commitment, Delivery, Need, Pact
from nuanxin.testing import photo_upload

TODAY = "2025-06-30 12:00 +08:00"
BASE = "/api/v1/party/alliance"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@time_machine.travel(TODAY, tick=False)
def test_the_office_signs_a_pact_and_reads_what_was_delivered(world, alliance_setting, client_for):
    a = alliance_setting
    office = client_for("community_admin")
    body = {
        "signed_on": "2025-06-01",
        "starts_on": "2025-07-01",
        "ends_on": "2026-06-30",
        "commitments": [{"kind": "service", "what": "家电维修", "quantity": "2", "period": "month"}],
    }
    made = office.post(f"{BASE}/units/{a.unit.pk}/pacts", body, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["commitments"][0] | {"id": 0} == {
        "id": 0,
        "kind": "service",
        "what": "家电维修",
        "quantity": "2",
        "period": "month",
        "counted_in": "次",
        "committed": "0",
        "delivered": "0",
        "in_term": "24",
    }
    kept = office.post(f"{BASE}/pacts/{made.json()['id']}/document", {"document": photo_upload()})
    assert kept.status_code == 200 and kept.json()["has_document"] is True
    alliance.record_delivery(
        actor=a.rep,
        scope=scope_of(a.rep),
        commitment=a.venue,
        delivered_on=date(2025, 4, 2),
        quantity="15",
        what="场地",
    )
    pact = office.get(f"{BASE}/pacts/{a.pact.pk}").json()
    venue = next(c for c in pact["commitments"] if c["id"] == a.venue.pk)
    assert (venue["committed"], venue["delivered"], venue["in_term"]) == ("120", "15", "160")


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_on": "2025-01-01"}, "ends_on"),
        (
            {"commitments": [{"kind": "funds", "what": "经费", "quantity": "abc", "period": "year"}]},
            "commitments.0.quantity",
        ),
        ({"commitments": [{"kind": "land", "what": "经费", "quantity": "1", "period": "year"}]}, "commitments.0.kind"),
        ({"commitments": []}, "commitments"),
    ],
)
def test_a_bad_pact_is_a_400_naming_the_field(world, alliance_setting, client_for, change, field):
    body = {
        "signed_on": "2025-06-01",
        "starts_on": "2025-07-01",
        "ends_on": "2026-06-30",
        "commitments": [{"kind": "service", "what": "家电维修", "quantity": "2", "period": "month"}],
    } | change
    answer = client_for("community_admin").post(
        f"{BASE}/units/{alliance_setting.unit.pk}/pacts", body, content_type="application/json"
    )
    assert (answer.status_code, answer.json()["field"]) == (400, field)
    assert (Pact.objects.count(), Commitment.objects.count()) == (1, 2)


@time_machine.travel(TODAY, tick=False)
def test_a_document_that_is_not_one_is_refused(world, alliance_setting, client_for):
    fake = BytesIO(b"#!/bin/sh\necho hi\n")
    fake.name = "pact.pdf"
    answer = client_for("community_admin").post(f"{BASE}/pacts/{alliance_setting.pact.pk}/document", {"document": fake})
    assert (answer.status_code, answer.json()["field"]) == (400, "document")
    assert not Pact.objects.get(pk=alliance_setting.pact.pk).document_name


@time_machine.travel(TODAY, tick=False)
def test_the_representative_works_their_own_pact_over_the_api(world, alliance_setting, client_for):
    a = alliance_setting
    rep = signed_in(a.rep)
    units = rep.get(f"{BASE}/units").json()["items"]
    assert [u["name"] for u in units] == ["测试银行"]
    form = {"commitment_id": a.venue.pk, "delivered_on": "2025-05-02", "quantity": "8", "what": "党课场地"}
    logged = rep.post(f"{BASE}/pacts/{a.pact.pk}/deliveries", form | {"photo": photo_upload()})
    assert logged.status_code == 201 and logged.json()["has_photo"] is True
    refused = rep.post(f"{BASE}/pacts/{a.pact.pk}/deliveries", form | {"delivered_on": "2024-01-02", "quantity": "30"})
    assert (refused.status_code, refused.json()["field"]) == (400, "beyond_reason")
    assert Delivery.objects.count() == 1
    assert rep.get(f"{BASE}/pacts/{a.pact.pk}/deliveries").json()["count"] == 1
    rated = rep.post(
        f"{BASE}/pacts/{a.pact.pk}/evaluations", {"year": 2024, "score": 90}, content_type="application/json"
    )
    assert rated.status_code == 200 and rated.json()["direction"] == "of_community"
    # The office's writes stay the office's.
    joined = rep.post(
        f"{BASE}/units",
        {"committee_id": a.committee.pk, "place_id": a.bank.pk, "joined_on": "2025-01-01"},
        content_type="application/json",
    )
    assert joined.status_code == 400 and joined.json()["field"] == "committee_id"


@time_machine.travel(TODAY, tick=False)
def test_a_need_is_claimed_and_taken_up_over_the_api(world, alliance_setting, client_for):
    a = alliance_setting
    office = client_for("community_admin")
    raised = office.post(
        f"{BASE}/needs",
        {
            "committee_id": a.committee.pk,
            "area_id": world.grid1.pk,
            "title": "助老餐",
            "source": "residents",
            "raised_on": "2025-06-01",
        },
        content_type="application/json",
    )
    assert raised.status_code == 201
    need_id = raised.json()["id"]
    rep = signed_in(a.rep)
    assert [n["title"] for n in rep.get(f"{BASE}/needs").json()["items"]] == ["助老餐"]
    claimed = rep.post(
        f"{BASE}/needs/{need_id}/claim", {"unit_id": a.unit.pk, "on": "2025-06-02"}, content_type="application/json"
    )
    assert claimed.status_code == 200 and claimed.json()["state"] == "claimed"
    again = rep.post(
        f"{BASE}/needs/{need_id}/claim", {"unit_id": a.unit.pk, "on": "2025-06-02"}, content_type="application/json"
    )
    assert again.status_code == 409
    project = {"title": "助老餐", "owner_id": a.unit.pk, "started_on": "2025-06-03", "deadline": "2025-06-01"}
    late = office.post(f"{BASE}/needs/{need_id}/project", project, content_type="application/json")
    assert (late.status_code, late.json()["field"]) == (400, "deadline")
    started = office.post(
        f"{BASE}/needs/{need_id}/project",
        project | {"deadline": "2025-08-01", "commitment_ids": [a.funds.pk]},
        content_type="application/json",
    )
    assert started.status_code == 201 and started.json()["on_time"] is None
    done = office.post(
        f"{BASE}/projects/{started.json()['id']}/done", {"done_on": "2025-06-20"}, content_type="application/json"
    )
    assert done.json()["on_time"] is True
    assert Need.objects.get(pk=need_id).state == "met"
    assert [p["title"] for p in rep.get(f"{BASE}/projects").json()["items"]] == ["助老餐"]


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("persona", ["grid1_worker", "other_admin", "street_staff"])
def test_others_reach_nothing_of_the_alliance(world, alliance_setting, client_for, persona):
    client = client_for(persona)
    assert client.get(f"{BASE}/pacts/{alliance_setting.pact.pk}").status_code == 404
    assert client.get(f"{BASE}/units/{alliance_setting.unit.pk}").status_code == 404
