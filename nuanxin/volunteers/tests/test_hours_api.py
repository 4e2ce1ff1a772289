"""The hours API: the caller's own records, corrections naming "minutes", organiser lists
with masked names, approval and decisions with 403/404 as the rest of the API, and the
certificate downloads."""

# ruff: noqa: F811 (the `served` fixture is imported from test_hours)

import json
from typing import Any

import pytest

from nuanxin.core.models import AuditEntry
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.hours import actions as hours
from nuanxin.volunteers.models import HoursCorrection, ServiceRecord
from nuanxin.volunteers.tests.test_hours import Served, served  # noqa: F401

API = "/api/v1/hours"


def post(client: Any, path: str, payload: dict[str, Any] | None = None) -> Any:
    return client.post(path, json.dumps(payload or {}), content_type="application/json")


# The volunteer's own


def test_my_hours(client_for: Any, world: World, served: Served) -> None:
    hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)
    body = client_for("rider").get(f"{API}/mine").json()
    assert body["registered"] is True
    assert body["minutes"] == 150 and body["hours"] == "2.5" and body["stars"] == 0
    assert body["star_hours"] == [100, 300, 600, 1000, 1500] and body["next_star_hours"] == 98
    assert [r["id"] for r in body["records"]] == [served.record.pk]
    assert body["records"][0]["state"] == "approved"


def test_my_hours_without_a_registration(client_for: Any, served: Served) -> None:
    assert client_for("stranger").get(f"{API}/mine").json() == {
        "registered": False,
        "minutes": 0,
        "hours": "0",
        "stars": 0,
        "star_hours": [],
        "next_star_hours": None,
        "records": [],
    }


def test_my_hours_needs_credentials(client: Any, served: Served) -> None:
    assert client.get(f"{API}/mine").status_code == 401


def test_asking_for_a_correction(client_for: Any, served: Served) -> None:
    response = post(
        client_for("resident"), f"{API}/records/{served.other.pk}/corrections", {"minutes": 90, "reason": "提前到场"}
    )
    assert response.status_code == 201
    assert response.json()["minutes"] == 90 and response.json()["state"] == "requested"


def test_a_correction_beyond_the_activity_names_minutes(client_for: Any, served: Served) -> None:
    response = post(
        client_for("resident"), f"{API}/records/{served.other.pk}/corrections", {"minutes": 151, "reason": "一直在"}
    )
    assert response.status_code == 400 and response.json()["field"] == "minutes"
    negative = post(
        client_for("resident"), f"{API}/records/{served.other.pk}/corrections", {"minutes": -5, "reason": "x"}
    )
    assert negative.status_code == 422 and negative.json()["field"] == "minutes"
    no_reason = post(
        client_for("resident"), f"{API}/records/{served.other.pk}/corrections", {"minutes": 5, "reason": " "}
    )
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    assert not HoursCorrection.objects.exists()


@pytest.mark.parametrize("persona", ["rider", "grid1_worker", "community_admin"])
def test_nobody_else_asks_for_a_correction(client_for: Any, served: Served, persona: str) -> None:
    response = post(client_for(persona), f"{API}/records/{served.other.pk}/corrections", {"minutes": 90, "reason": "x"})
    assert response.status_code == 404
    assert not HoursCorrection.objects.exists()


# Organisers


def test_an_activitys_records_for_its_organisers(client_for: Any, served: Served) -> None:
    response = client_for("grid1_worker").get(f"{API}/activities/{served.activity.pk}/records", {"state": "pending"})
    assert response.status_code == 200
    rows = response.json()
    assert {r["id"] for r in rows} == {served.record.pk, served.other.pk}
    assert {r["volunteer_name"] for r in rows} == {"李**", "王*"}


def test_an_activitys_records_by_state_and_a_bad_state_named(client_for: Any, served: Served) -> None:
    client = client_for("grid1_worker")
    url = f"{API}/activities/{served.activity.pk}/records"
    assert client.get(url, {"state": "approved"}).json() == []
    bad = client.get(url, {"state": "lost"})
    assert bad.status_code == 422 and bad.json()["field"] == "state"


def test_a_viewer_who_does_not_certify_gets_a_403(client_for: Any, served: Served) -> None:
    # The street's staff reach the activity (activities.view) but do not manage it.
    assert client_for("street_staff").get(f"{API}/activities/{served.activity.pk}/records").status_code == 403


@pytest.mark.parametrize("persona", ["grid2_worker", "other_admin", "rider", "stranger"])
def test_an_activity_out_of_reach_is_a_404(client_for: Any, served: Served, persona: str) -> None:
    assert client_for(persona).get(f"{API}/activities/{served.activity.pk}/records").status_code == 404


def test_approving_over_the_api(client_for: Any, served: Served) -> None:
    client = client_for("community_admin")
    response = post(client, f"{API}/records/{served.record.pk}/approve")
    assert response.status_code == 200 and response.json()["state"] == "approved"
    assert post(client, f"{API}/records/{served.record.pk}/approve").status_code == 409


def test_approving_is_refused_to_others(client_for: Any, served: Served) -> None:
    assert post(client_for("street_staff"), f"{API}/records/{served.record.pk}/approve").status_code == 403
    assert post(client_for("grid2_worker"), f"{API}/records/{served.record.pk}/approve").status_code == 404
    assert post(client_for("rider"), f"{API}/records/{served.record.pk}/approve").status_code == 404
    served.record.refresh_from_db()
    assert served.record.state == ServiceRecord.State.PENDING


def test_approving_all_over_the_api(client_for: Any, world: World, served: Served) -> None:
    hours.request_correction(actor=world.resident, record=served.other, minutes=90, reason="原因")
    response = post(client_for("grid1_worker"), f"{API}/activities/{served.activity.pk}/approve-all")
    assert response.json() == {"approved": 1, "skipped": 1}
    assert post(client_for("other_admin"), f"{API}/activities/{served.activity.pk}/approve-all").status_code == 404
    assert post(client_for("street_staff"), f"{API}/activities/{served.activity.pk}/approve-all").status_code == 403


def test_deciding_a_correction_over_the_api(client_for: Any, world: World, served: Served) -> None:
    correction = hours.request_correction(actor=world.resident, record=served.other, minutes=90, reason="原因")
    path = f"{API}/corrections/{correction.pk}/decide"
    assert post(client_for("grid2_worker"), path, {"approve": True}).status_code == 404
    assert post(client_for("street_staff"), path, {"approve": True}).status_code == 403
    bad = post(client_for("grid1_worker"), path, {"approve": True, "note": "<b>x</b>"})
    assert bad.status_code == 400 and bad.json()["field"] == "note"
    response = post(client_for("grid1_worker"), path, {"approve": False, "note": "以签到为准"})
    assert response.status_code == 200 and response.json()["state"] == "declined"
    served.other.refresh_from_db()
    assert served.other.minutes == 60
    assert post(client_for("grid1_worker"), path, {"approve": True}).status_code == 409


# Certificates


def test_certificates_over_the_api(client_for: Any, world: World, served: Served) -> None:
    hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)
    own = client_for("rider").get(f"{API}/certificate.pdf")
    assert own.status_code == 200 and own.content.startswith(b"%PDF")
    staff = client_for("grid1_worker").get(f"{API}/volunteers/{served.rider.pk}/certificate.docx")
    assert staff.status_code == 200 and staff["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEntry.objects.filter(action="hours.certificate_downloaded").count() == 2


@pytest.mark.parametrize("persona", ["grid2_worker", "other_admin", "resident", "stranger"])
def test_certificates_are_denied_to_others(client_for: Any, served: Served, persona: str) -> None:
    response = client_for(persona).get(f"{API}/volunteers/{served.rider.pk}/certificate.pdf")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="hours.certificate_downloaded").exists()


def test_no_own_certificate_without_a_registration(client_for: Any, served: Served) -> None:
    assert client_for("stranger").get(f"{API}/certificate.docx").status_code == 404
