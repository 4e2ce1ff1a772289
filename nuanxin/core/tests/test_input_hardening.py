"""Bad input is a 4xx naming the field, never a 500: integers beyond the database's range,
digits that are not ASCII, times with a zone, control and text-direction characters, bodies in
a format the API does not speak, oversized uploads; and answers with personal data are never
cached. Each test here is a finding of the outside probe (issue 14)."""

import json
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _

from nuanxin.accounts import actions as account_actions
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case
from nuanxin.core.errors import DomainError
from nuanxin.inspections.answers import check_answers
from nuanxin.ledgers.disputes import actions as ledger_actions
from nuanxin.open311.actions import issue_api_key
from nuanxin.people import actions as people_actions
from nuanxin.stations import actions as station_actions
from nuanxin.territory import actions as territory_actions
from nuanxin.territory.models import Area
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.activities.actions import create_activity
from nuanxin.volunteers.models import Activity

HUGE = "99999999999999999999"  # above 2**63
CASE = {"class_code": "sanitation", "description": "垃圾桶满了", "lng": 102.7011, "lat": 24.9811}
RLO = "\u202e"


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def catalogue(world: World) -> None:
    install_catalogue(actor=None)


@pytest.fixture
def activity(world: World) -> Activity:
    day = date.today() + timedelta(days=7)
    return create_activity(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        kind="cleanup",
        title="楼道杂物清理",
        area=world.grid1,
        starts_on=day,
        ends_on=day,
    )


# --- moments ------------------------------------------------------------------------------------


def test_a_moment_with_an_offset_the_database_cannot_hold_is_read_in_utc(client_for, world, catalogue):
    """Found by the fuzzer on PostgreSQL, which holds offsets up to ±15:59: the filter's
    bounds are moved to UTC before they reach the database."""
    client = client_for("community_admin")
    client.post(
        "/api/v1/cases",
        {"class_code": "sanitation", "lng": 102.7011, "lat": 24.9811, "description": "楼道里堆满了纸箱"},
        content_type="application/json",
    )
    wide = client.get("/api/v1/cases", {"since": "2000-01-01T00:00:00+19:06", "until": "3873-06-06T09:06:13+19:06"})
    assert wide.status_code == 200 and wide.json()["count"] == 1
    future = client.get("/api/v1/cases", {"since": "3873-06-06T09:06:13+19:06"})
    assert future.status_code == 200 and future.json()["count"] == 0


def test_a_moment_that_leaves_the_calendar_in_utc_is_a_422_naming_it(client_for, world):
    response = client_for("community_admin").get("/api/v1/cases", {"until": "0001-01-01T00:00:00+10:00"})
    assert response.status_code == 422 and response.json()["field"] == "until"


# --- integers -----------------------------------------------------------------------------------


def test_an_offset_beyond_the_database_range_is_a_422_naming_it(client_for, world):
    response = client_for("community_admin").get("/api/v1/cases", {"offset": HUGE})
    assert response.status_code == 422 and response.json()["field"] == "offset"
    assert client_for("community_admin").get("/api/v1/cases", {"offset": 2**63 - 1}).status_code == 200


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/people/residents", "grid_id"),
        ("/api/v1/people/households", "place_id"),
        ("/api/v1/inspections/targets", "worker_id"),
        ("/api/v1/activities", "area_id"),
    ],
)
def test_a_list_filter_beyond_the_database_range_is_a_422_naming_it(client_for, world, url, param):
    response = client_for("community_admin").get(url, {param: HUGE})
    assert response.status_code == 422 and response.json()["field"] == param


def test_an_id_beyond_the_database_range_inside_a_body_list_is_a_422_naming_it(client_for, world, activity):
    url = f"/api/v1/activities/{activity.pk}/places"
    response = post_json(client_for("grid1_worker"), url, {"place_ids": [world.compound1.pk, int(HUGE)]})
    assert response.status_code == 422 and response.json()["field"] == "place_ids.1"


def test_a_huge_negative_worker_id_is_a_422_naming_it(client_for, world):
    body = {"category": "catering", "place_id": world.compound1.pk, "worker_id": -(2**70), "tier": "high"}
    response = post_json(client_for("community_admin"), "/api/v1/inspections/targets", body)
    assert response.status_code == 422 and response.json()["field"] == "worker_id"


def test_an_id_beyond_the_database_range_in_a_path_is_a_422_naming_it(client_for, world):
    response = client_for("community_admin").get(f"/api/v1/people/residents/{HUGE}")
    assert response.status_code == 422 and response.json()["field"] == "resident_id"


def test_every_integer_a_caller_sends_is_bounded_in_the_openapi_document():
    from nuanxin.api import api

    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]

    def unbounded(node: Any, where: str, seen: frozenset[str]) -> list[str]:
        found: list[str] = []
        if isinstance(node, list):
            for item in node:
                found += unbounded(item, where, seen)
        elif isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref:
                name = ref.rsplit("/", 1)[1]
                return [] if name in seen else unbounded(components[name], f"{where}->{name}", seen | {name})
            low, high = node.get("minimum", -(2**64)), node.get("maximum", 2**64)
            if node.get("type") == "integer" and not (low >= -(2**63) and high <= 2**63 - 1):
                found.append(where)
            for key, value in node.items():
                if key == "properties":
                    for name, field in value.items():
                        found += unbounded(field, f"{where}.{name}", seen)
                elif isinstance(value, dict | list):
                    found += unbounded(value, where, seen)
        return found

    found: list[str] = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                found += unbounded(parameter["schema"], f"{method} {path} {parameter['name']}", frozenset())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                found += unbounded(content["schema"], f"{method} {path} body", frozenset())
    assert found == []


# --- enums in the OpenAPI document --------------------------------------------------------------


def test_no_two_enums_share_an_openapi_component_name(monkeypatch):
    """ninja merges each schema's components into one document, the last one winning: record
    every definition it is given and check that one name never stands for two enums."""
    from ninja.openapi.schema import OpenAPISchema

    from nuanxin.api import api

    given: dict[str, set[str]] = {}
    merge = OpenAPISchema.add_schema_definitions

    def recording(self: Any, definitions: dict) -> None:
        for name, definition in definitions.items():
            if "enum" in definition:
                given.setdefault(name, set()).add(json.dumps(sorted(definition["enum"])))
        merge(self, definitions)

    monkeypatch.setattr(OpenAPISchema, "add_schema_definitions", recording)
    components = api.get_openapi_schema()["components"]["schemas"]
    assert {name: values for name, values in given.items() if len(values) > 1} == {}
    assert {"CaseState", "PlaceKind", "RewardKind", "VisitKind"} <= set(components)
    assert "Kind" not in components and "State" not in components


# --- digits -------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["²:x", "١:x", "-1:x", f"{HUGE}:x"])
def test_a_check_in_code_with_other_digits_is_refused_on_the_api_naming_the_token(client_for, world, token):
    response = post_json(client_for("rider"), "/api/v1/volunteers/checkin", {"token": token, "step": "in"})
    assert response.status_code == 400 and response.json()["field"] == "token"


def test_a_check_in_code_with_a_superscript_digit_is_refused_on_the_page(client_for, world):
    with translation.override("zh-hans"):
        message = _("This check-in code is not genuine.")
    response = client_for("rider").get("/volunteers/checkin/²:x/")
    assert response.status_code == 400 and message in response.content.decode()


# --- times --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sent", "stored"), [("09:18:12Z", time(17, 18, 12)), ("09:00:00+08:00", time(9))])
def test_a_time_with_a_zone_is_read_as_local_time_when_publishing(client_for, world, activity, sent, stored):
    url = f"/api/v1/volunteers/activities/{activity.pk}/publish"
    response = post_json(client_for("grid1_worker"), url, {"start_time": sent, "end_time": "23:00:00"})
    assert response.status_code == 200, response.content
    activity.refresh_from_db()
    assert activity.start_time == stored


def test_a_time_that_is_no_time_is_a_422_naming_it(client_for, world, activity):
    url = f"/api/v1/volunteers/activities/{activity.pk}/publish"
    response = post_json(client_for("grid1_worker"), url, {"start_time": "25:99", "end_time": "11:00"})
    assert response.status_code == 422 and response.json()["field"] == "start_time"
    assert not Activity.objects.get(pk=activity.pk).published


# --- control and text-direction characters, one rule in every app --------------------------------


@pytest.mark.parametrize("bad", ["\x07", RLO])
def test_an_area_renamed_with_a_hidden_character_is_refused_naming_the_name(client_for, world, bad):
    url = f"/api/v1/areas/{world.grid1.pk}"
    response = client_for("community_admin").patch(url, json.dumps({"name": f"一{bad}网格"}), "application/json")
    assert response.status_code == 400 and response.json()["field"] == "name"
    assert Area.objects.get(pk=world.grid1.pk).name == "一网格"


@pytest.mark.parametrize("bad", ["\x1b", RLO, "\u2067"])
def test_case_text_with_a_hidden_character_is_refused_and_nothing_is_written(client_for, catalogue, bad):
    for field in ("description", "address"):
        response = post_json(client_for("rider"), "/api/v1/cases", CASE | {field: f"门口{bad}有垃圾"})
        assert response.status_code == 400 and response.json()["field"] == field
    assert not Case.objects.exists()


def _stores_text(world: World, app: str, text: str) -> None:
    """Store `text` through the action of `app` that keeps a name or a text."""
    if app == "territory":
        territory_actions.create_place(
            actor=None, scope=SYSTEM_SCOPE, kind="merchant", name=text, lng=102.7011, lat=24.9811
        )
    elif app == "people":
        people_actions.register_household(actor=None, scope=SYSTEM_SCOPE, place=world.compound1, number=text)
    elif app == "volunteers":
        day = date(2024, 6, 8)
        create_activity(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            kind="cleanup",
            title=text,
            area=world.grid1,
            starts_on=day,
            ends_on=day,
        )
    elif app == "ledgers":
        ledger_actions.register_dispute(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            kind="neighbour",
            summary=text,
            source="walk_in",
            grid=world.grid1,
            received_on=date(2024, 6, 3),
            parties=[{"kind": "person", "name": "张三丰", "phone": "13812345678"}],
            today=date(2024, 6, 14),
        )
    elif app == "stations":
        station_actions.create_parking_point(
            actor=None, scope=SYSTEM_SCOPE, name=text, lng=102.7011, lat=24.9811, capacity=5
        )
    elif app == "accounts":
        account_actions.create_user(actor=None, username=f"u{len(text)}", password=None, display_name=text)
    elif app == "open311":
        issue_api_key(actor=None, scope=SYSTEM_SCOPE, name=text, area=world.community)
    elif app == "inspections":
        _clean, errors = check_answers([{"code": "note", "kind": "text", "label": "备注"}], {"note": text}, {})
        if errors:
            raise DomainError(next(iter(errors.values())), field="note")


FIELDS = {
    "territory": "name",
    "people": "number",
    "volunteers": "title",
    "ledgers": "summary",
    "stations": "name",
    "accounts": "display_name",
    "open311": "name",
    "inspections": "note",
}


@pytest.mark.parametrize("app", sorted(FIELDS))
@pytest.mark.parametrize("bad", ["\x07", RLO])
def test_every_app_refuses_control_and_override_characters_naming_the_field(world, app, bad):
    _stores_text(world, app, "正常的文字")  # the same call with clean text is accepted
    with pytest.raises(DomainError) as refused:
        _stores_text(world, app, f"另一{bad}段文字")
    assert refused.value.field == FIELDS[app]


# --- content types ------------------------------------------------------------------------------


def test_a_json_body_sent_as_text_plain_is_a_415_and_creates_nothing(client_for, catalogue):
    response = client_for("rider").post("/api/v1/cases", data=json.dumps(CASE), content_type="text/plain")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    assert not Case.objects.exists()


@pytest.mark.parametrize(("persona", "url"), [(None, "/api/v1/auth/token"), ("rider", "/api/v1/cases")])
def test_a_multipart_body_to_a_json_operation_is_a_415(client_for, catalogue, persona, url):
    client = client_for(persona) if persona else Client()
    response = client.post(url, {"username": "rider", "password": "x", "description": "垃圾"})
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


def test_a_multipart_body_to_an_operation_that_takes_files_is_read(client_for, world, report_case_in_grid1):
    response = client_for("grid1_worker").post(f"/api/v1/cases/{report_case_in_grid1.pk}/photos", {"photos": []})
    assert response.status_code != 415


@pytest.fixture
def report_case_in_grid1(world: World, catalogue: None) -> Case:
    from nuanxin.cases.actions import report_case
    from nuanxin.cases.models import CaseClass

    return report_case(
        actor=world.rider,
        case_class=CaseClass.objects.get(code="sanitation"),
        description="楼道里堆满了纸箱",
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
    )


# --- caching --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/people/residents", "/api/v1/cases", "/people/", "/cases/export.xlsx"])
def test_answers_with_personal_data_are_never_stored_by_a_cache(client_for, world, catalogue, url):
    response = client_for("community_admin").get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_an_api_refusal_is_not_cached_either(client):
    response = client.get("/api/v1/people/residents")
    assert response.status_code == 401 and "no-store" in response["Cache-Control"]


# --- upload size --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/cases/1/photos", "/cases/report/"])
def test_a_body_declared_larger_than_the_limit_is_a_413_before_it_is_read(client_for, world, settings, url):
    settings.NUANXIN_REQUEST_MAX_BYTES = 1024 * 1024
    body = b"--x--\r\n"  # far shorter than declared: reading the declared length would fail
    response = client_for("rider").generic(
        "POST", url, body, content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(50 * 1024 * 1024)
    )
    assert response.status_code == 413
    if url.startswith("/api/"):
        assert response.json()["code"] == "too_large"


def test_a_body_within_the_limit_is_read(client_for, world, settings):
    settings.NUANXIN_REQUEST_MAX_BYTES = 1024 * 1024
    response = post_json(client_for("rider"), "/api/v1/cases", CASE)
    assert response.status_code != 413
