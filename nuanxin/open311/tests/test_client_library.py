"""An existing Open311 client, unchanged, against the live server: the `georeport` package
(PyPI) reads services, definitions and requests in JSON and in XML. It has no POST; the
POST is driven with `requests` exactly as the `three` client sends it (form fields plus an
optional `media` file, api_key in the form)."""

import pytest
import requests
from georeport import GeoReport

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions as case_actions
from nuanxin.cases.models import Case
from nuanxin.testing import image_bytes


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_our_endpoint(live_server, world, keys, report, fmt):
    case = report("noise", answers={"when": "night"})
    case_actions.accept_case(actor=world.community_admin, scope=scope_of(world.community_admin), case=case)
    client = GeoReport(f"{live_server.url}/open311/v2", output_format=fmt)
    services = client.get_service_list()
    assert {s["service_code"] for s in services} >= {"noise", "sanitation"}
    definition = client.get_service_definition("noise")
    assert definition["service_code"] == "noise"
    listed = client.get_service_requests(service_code="noise")
    rows = listed if isinstance(listed, list) else [listed]  # xmltodict gives one item as a dict
    assert [r["service_request_id"] for r in rows] == [case.number]
    assert client.get_service_request(case.number)["status"] == "open"


def test_three_style_multipart_post_creates_a_case(live_server, keys, catalogue):
    answer = requests.post(
        f"{live_server.url}/open311/v2/requests.json",
        data={
            "service_code": "sanitation",
            "lat": "24.9811",
            "long": "102.7011",
            "description": "垃圾没人清",
            "first_name": "Zach",
            "last_name": "Williams",
            "api_key": keys["community"],
        },
        files={"media": ("photo.png", image_bytes("PNG"), "image/png")},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    case = Case.objects.get(number=answer.json()[0]["service_request_id"])
    assert case.reporter_name == "Zach Williams" and case.photos.count() == 1
