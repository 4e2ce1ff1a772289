from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from nuanxin.cases.models import Case, CasePhoto
from nuanxin.core.models import AuditEntry
from nuanxin.open311.tests.conftest import IN_GRID2, IN_OTHER
from nuanxin.testing import image_bytes


def test_post_creates_an_anonymous_open311_case(post_request):
    answer = post_request()
    assert answer.status_code == 200
    (item,) = answer.json()
    case = Case.objects.get(number=item["service_request_id"])
    assert case.channel == Case.Channel.OPEN311
    assert case.anonymous and case.reporter_name == "" and case.reporter_id is None
    assert case.grid.code == "G1" and case.state == Case.State.REPORTED
    assert "token" not in item
    entry = AuditEntry.objects.get(action="open311.request_received")
    assert entry.detail["key_name"] == "12345" and entry.object_id == str(case.pk)


def test_post_in_xml_answers_service_requests(post_request):
    answer = post_request("xml")
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "service_requests"
    assert Case.objects.filter(number=root.findtext("request/service_request_id")).exists()


def test_post_keeps_name_and_phone_and_answers(post_request):
    answer = post_request(
        service_code="blocked-fire-exit",
        first_name="三",
        last_name="张",
        phone="13812345678",
        email="zhang@example.org",
        **{"attribute[what]": "vehicle"},
        address_string="一号院3栋",
    )
    assert answer.status_code == 200, answer.content
    case = Case.objects.get(number=answer.json()[0]["service_request_id"])
    assert not case.anonymous
    assert case.reporter_name == "张三" and case.reporter_phone == "13812345678"
    assert case.answers == {"what": "vehicle"} and case.address == "一号院3栋"


def test_emergency_answer_carries_the_emergency_numbers(post_request):
    item = post_request(service_code="stove-left-on").json()[0]
    assert "119" in item["service_notice"]


def test_media_upload_becomes_a_cleaned_report_photo(post_request):
    photo = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
    answer = post_request(media=photo)
    assert answer.status_code == 200, answer.content
    case = Case.objects.get(number=answer.json()[0]["service_request_id"])
    assert CasePhoto.objects.filter(case=case, stage=CasePhoto.Stage.REPORT).count() == 1


def test_key_reaching_grid1_cannot_post_in_grid2(post_request, keys):
    answer = post_request(api_key=keys["grid1"], lat=str(IN_GRID2["lat"]), long=str(IN_GRID2["lng"]))
    assert answer.status_code == 400
    assert answer.json()[0]["description"].startswith("lat:")
    assert not Case.objects.exists()


BAD = [
    ("no api_key", {"api_key": ""}, 403, "api_key"),
    ("wrong api_key", {"api_key": "o311_nope"}, 403, "api_key"),
    ("huge api_key", {"api_key": "k" * 100_000}, 403, "api_key"),
    ("no service_code", {"service_code": ""}, 400, "service_code"),
    ("unknown service_code", {"service_code": "no-such"}, 404, "service_code"),
    ("oversized service_code", {"service_code": "x" * 5000}, 400, "service_code"),
    ("no location", {"lat": "", "long": ""}, 400, "lat"),
    ("address only", {"lat": "", "long": "", "address_string": "一号院"}, 400, "lat"),
    ("lat not a number", {"lat": "north"}, 400, "lat"),
    ("lat NaN", {"lat": "nan"}, 400, "lat"),
    ("lat infinite", {"lat": "1e999"}, 400, "lat"),
    ("lat out of range", {"lat": "95"}, 400, "lat"),
    ("outside the community", {"lat": str(IN_OTHER["lat"]), "long": str(IN_OTHER["lng"])}, 400, "lat"),
    ("far away", {"lat": "0", "long": "0"}, 400, "lat"),
    ("no description", {"description": "  "}, 400, "description"),
    ("HTML in description", {"description": "<script>alert(1)</script>"}, 400, "description"),
    ("oversized description", {"description": "很" * 4001}, 400, "description"),
    ("description over the case limit", {"description": "很" * 2500}, 400, "description"),
    ("control characters", {"description": "bell\x07"}, 400, "description"),
    ("missing required attribute", {"service_code": "noise"}, 400, "attribute[when]"),
    ("attribute not offered", {"service_code": "noise", "attribute[when]": "dawn"}, 400, "attribute[when]"),
    (
        "two values for a single list",
        {"service_code": "noise", "attribute[when][]": ["day", "night"]},
        400,
        "attribute",
    ),
    (
        "number attribute not a number",
        {"service_code": "ebike-indoor-charging", "attribute[count]": "lots"},
        400,
        "attribute[count]",
    ),
    ("HTML in an attribute", {"service_code": "stove-left-on", "attribute[door]": "<b>3</b>"}, 400, "attribute[door]"),
    ("oversized attribute", {"service_code": "stove-left-on", "attribute[door]": "9" * 600}, 400, "attribute[door]"),
    ("bad phone", {"phone": "12345", "first_name": "三"}, 400, "phone"),
    ("oversized name", {"first_name": "名" * 31}, 400, "first_name"),
    ("HTML in name", {"first_name": "<i>x</i>"}, 400, "first_name"),
    ("repeated parameter", {"description": ["a", "b"]}, 400, "description"),
]


@pytest.mark.parametrize(("why", "form", "status", "names"), BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_input_is_refused_in_the_spec_shape_and_writes_nothing(post_request, why, form, status, names, fmt):
    audited = AuditEntry.objects.filter(action="cases.reported").count()
    answer = post_request(fmt, **form)
    assert answer.status_code == status, answer.content
    if fmt == "json":
        (error,) = answer.json()
        assert error["code"] == status
        description = error["description"]
    else:
        root = ElementTree.fromstring(answer.content)
        assert root.tag == "errors"
        assert root.findtext("error/code") == str(status)
        description = root.findtext("error/description")
    assert description.startswith(names), description
    assert not Case.objects.exists()
    assert AuditEntry.objects.filter(action="cases.reported").count() == audited


def test_revoked_key_is_refused_and_the_refusal_audited(post_request, keys):
    answer = post_request(api_key=keys["revoked"])
    assert answer.status_code == 403
    assert AuditEntry.objects.filter(action="open311.key_refused", result="denied").exists()
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("p.jpg", b"%PDF-1.4 not an image", "image/jpeg"),
        ("p.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png"),
        ("p.html", b"<html><script>alert(1)</script></html>", "text/html"),
    ],
)
def test_non_image_media_is_refused(post_request, name, content, content_type):
    answer = post_request(media=SimpleUploadedFile(name, content, content_type=content_type))
    assert answer.status_code == 400
    assert answer.json()[0]["description"].startswith("media:")
    assert not Case.objects.exists()


def test_oversized_media_is_refused(post_request, settings):
    settings.NUANXIN_PHOTO_MAX_BYTES = 1000
    photo = SimpleUploadedFile("p.jpg", image_bytes(size=(400, 400)), content_type="image/jpeg")
    answer = post_request(media=photo)
    assert answer.status_code == 400
    assert not Case.objects.exists()


def test_oversized_body_is_400_not_500(post_request, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    # Django refuses the body before any view runs (in core.security's NUL check), so the
    # answer is a plain 400 rather than the Open311 error list.
    answer = post_request(description="x" * 2000)
    assert answer.status_code == 400
    assert not Case.objects.exists()


def test_nul_character_is_400_not_500(post_request):
    assert post_request(description="a\x00b").status_code == 400
    assert not Case.objects.exists()


def test_post_needs_no_login_or_csrf_token(keys, catalogue):
    client = Client(enforce_csrf_checks=True)
    answer = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": keys["community"],
            "service_code": "other",
            "lat": "24.9811",
            "long": "102.7011",
            "description": "x",
        },
    )
    assert answer.status_code == 200
