import json
from xml.etree import ElementTree

import pytest
from django.test import Client


def xml(response):
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(response.content)


def test_discovery_names_the_endpoint_and_both_formats(db):
    answer = Client().get("/open311/discovery.json")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json; charset=utf-8"
    data = answer.json()
    (endpoint,) = data["endpoints"]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = xml(Client().get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


def test_services_list_every_active_class_with_its_group(catalogue):
    services = Client().get("/open311/v2/services.json").json()
    by_code = {s["service_code"]: s for s in services}
    assert set(by_code) == {c.service_code for c in catalogue.values()}
    fire_exit = by_code["blocked-fire-exit"]
    assert fire_exit["metadata"] is True and fire_exit["type"] == "realtime"
    assert fire_exit["group"] == "消防通道堵塞·楼道堆物"
    assert by_code["sanitation"]["metadata"] is False
    root = xml(Client().get("/open311/v2/services.xml"))
    assert root.tag == "services"
    assert {s.findtext("service_code") for s in root.findall("service")} == set(by_code)
    assert root.find("service/metadata").text in {"true", "false"}


def test_inactive_class_is_not_offered(catalogue):
    catalogue["other"].active = False
    catalogue["other"].save()
    codes = {s["service_code"] for s in Client().get("/open311/v2/services.json").json()}
    assert "other" not in codes
    assert Client().get("/open311/v2/services/other.json").status_code == 404


def test_service_definition_turns_questions_into_attributes(catalogue):
    data = Client().get("/open311/v2/services/blocked-fire-exit.json").json()
    assert data["service_code"] == "blocked-fire-exit"
    (attribute,) = data["attributes"]
    assert attribute == {
        "variable": True,
        "code": "what",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": attribute["datatype_description"],
        "order": 1,
        "description": "堵塞物",
        "values": [
            {"key": "vehicle", "name": "车辆"},
            {"key": "goods", "name": "杂物"},
            {"key": "other", "name": "其他"},
        ],
    }
    number = Client().get("/open311/v2/services/ebike-indoor-charging.json").json()["attributes"][0]
    assert number["datatype"] == "number" and number["required"] is False and "values" not in number
    root = xml(Client().get("/open311/v2/services/blocked-fire-exit.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/required") == "true"
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")] == [
        "vehicle",
        "goods",
        "other",
    ]


@pytest.mark.parametrize("code", ["no-such-service", "x" * 300, "a%20b", "..", "%E2%80%AE"])
def test_unknown_service_is_404_in_the_spec_error_shape(catalogue, code):
    answer = Client().get(f"/open311/v2/services/{code}.json")
    assert answer.status_code == 404
    (error,) = answer.json()
    assert error["code"] == 404 and error["description"]
    root = xml(Client().get(f"/open311/v2/services/{code}.xml"))
    assert root.tag == "errors" and root.findtext("error/code") == "404"


def test_unknown_format_is_not_served(catalogue):
    assert Client().get("/open311/v2/services.html").status_code == 404


def test_wrong_method_is_405_with_an_error_body(catalogue):
    answer = Client().post("/open311/v2/services.json")
    assert answer.status_code == 405
    assert json.loads(answer.content)[0]["code"] == 405
