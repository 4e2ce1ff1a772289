from django.test import Client

from nuanxin.cases.models import Case
from nuanxin.demo.builder import DEMO_OPEN311_KEY, build_demo


def test_demo_key_works_as_the_readme_shows(db):
    build_demo(seed=7, residents=40, merchants=12, history=None)
    # The README's curl example, point for point.
    answer = Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": DEMO_OPEN311_KEY,
            "service_code": "sanitation",
            "lat": "24.979",
            "long": "102.698",
            "description": "楼下垃圾堆了三天",
        },
    )
    assert answer.status_code == 200, answer.content
    number = answer.json()[0]["service_request_id"]
    assert Case.objects.get(number=number).channel == Case.Channel.OPEN311
    listed = Client().get("/open311/v2/requests.json", {"api_key": DEMO_OPEN311_KEY}).json()
    assert number in [r["service_request_id"] for r in listed]
    assert Client().get("/open311/v2/requests.json", {"api_key": DEMO_OPEN311_KEY + "x"}).status_code == 403
