"""Reporting and following without an account (docs/cases.md, "Reporting without an account"):
a visitor reports from the phone page, follows the report through a signed follow link, rates
it once it is closed, and a signed-in holder of the link may follow it."""

import re

import pytest
from django.core import signing
from django.test import Client

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions
from nuanxin.cases.follow_links import FOLLOW_LINK_SALT, follow_link_token
from nuanxin.cases.models import Case, CaseEvent, CaseFollower
from nuanxin.cases.queries import follow_token
from nuanxin.core.models import AuditEntry
from nuanxin.testing import photo_upload

FORM = {"case_class": "sanitation", "description": "垃圾桶满了", "lat": "24.9811", "lng": "102.7011"}
VISITOR_ADDRESS = "10.9.8.7"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _visitor_reports(client: Client, **extra: str) -> tuple[Case, str]:
    """A visitor's report from the page: the case and the path of its follow link."""
    response = client.post("/cases/report/", FORM | extra, REMOTE_ADDR=VISITOR_ADDRESS)
    assert response.status_code == 302, response.content.decode()[:500]
    return Case.objects.latest("id"), response["Location"]


def _close(world, case: Case) -> Case:
    admin, worker = world.community_admin, world.grid1_worker
    case = actions.accept_case(actor=admin, scope=scope_of(admin), case=case)
    case = actions.dispatch_case(actor=admin, scope=scope_of(admin), case=case, handler=worker, note="尽快处理")
    case = actions.start_case(actor=worker, case=case)
    case = actions.resolve_case(actor=worker, case=case, note="已清运", photos=[photo_upload()])
    case = actions.verify_case(actor=admin, scope=scope_of(admin), case=case)
    return actions.close_case(actor=admin, scope=scope_of(admin), case=case)


# Reporting -------------------------------------------------------------------------------


def test_a_visitor_reports_from_the_phone_page_and_lands_on_the_follow_link(client, world, catalogue):
    assert client.get("/cases/report/").status_code == 200
    case, link = _visitor_reports(client)
    assert link == f"/cases/follow/{follow_link_token(case)}/"
    assert str(case.pk) != link.split("/")[3]  # the link is not the case id
    assert (case.channel, case.reporter, case.grid, case.anonymous) == ("phone_page", None, world.grid1, True)
    assert not case.followers.exists()
    page = client.get(link).content.decode()
    assert case.number in page and "谢谢" in page  # the thanks, then the case's state


def test_a_visitor_reporting_an_emergency_is_shown_the_numbers_again_on_the_follow_link(client, world, catalogue):
    _case, link = _visitor_reports(client, case_class="stove-left-on", description="闻到煤气味")
    page = client.get(link).content.decode()
    assert "tel:119" in page and "tel:110" in page and "tel:120" in page


def test_a_report_without_an_account_names_nobody_and_no_address_in_the_audit_log(client, world, catalogue):
    case, _link = _visitor_reports(client, reporter_name="张三丰", reporter_phone="13812345678")
    entry = AuditEntry.objects.get(action="cases.reported", object_id=str(case.pk))
    assert (entry.actor_id, entry.actor_name, entry.ip) == (None, "", "")
    assert entry.detail == {"class": "sanitation", "channel": "phone_page", "anonymous": False, "account": False}
    assert not AuditEntry.objects.filter(ip=VISITOR_ADDRESS).exists()
    assert (case.reporter_name, case.reporter_phone, case.anonymous) == ("张三丰", "13812345678", False)


def test_a_signed_in_reporter_still_follows_and_lands_on_the_case_page(client_for, world, catalogue):
    response = client_for("rider").post("/cases/report/", FORM)
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.pk}/"
    assert (case.reporter, case.anonymous) == (world.rider, False)
    assert case.followers.get().user == world.rider
    entry = AuditEntry.objects.get(action="cases.reported")
    assert entry.actor_id == world.rider.pk and entry.detail["account"] is True


def test_the_report_page_needs_the_csrf_token_from_visitors_too(world, catalogue):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/cases/report/", FORM).status_code == 403
    browser.get("/cases/report/")
    token = browser.cookies["csrftoken"].value
    assert browser.post("/cases/report/", FORM | {"csrfmiddlewaretoken": token}).status_code == 302
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"case_class": ""}, "case_class"),
        ({"case_class": "unicorns"}, "case_class"),
        ({"description": ""}, "description"),
        ({"description": "<b>x</b>"}, "description"),
        ({"lat": "", "lng": ""}, "lat"),
        ({"lat": "abc"}, "lat"),
        ({"lat": "20.0", "lng": "100.0"}, "lat"),
        ({"reporter_phone": "123"}, "reporter_phone"),
        ({"reporter_name": "<script>"}, "reporter_name"),
        ({"case_class": "blocked-fire-exit"}, "attribute[what]"),
    ],
)
def test_bad_input_from_a_visitor_is_shown_at_its_field_and_writes_nothing(client, catalogue, change, field):
    response = client.post("/cases/report/", FORM | change)
    assert response.status_code == 400
    form = response.context["form"]
    if field.startswith("attribute["):
        assert field in response.content.decode() and "请回答" in response.content.decode()
    else:
        assert field in form.errors
    assert not Case.objects.exists()


def test_a_photo_that_is_not_an_image_is_refused_at_the_photo_field(client, catalogue):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    response = client.post("/cases/report/", FORM | {"photos": [fake]})
    assert response.status_code == 400 and response.context["photo_error"]
    assert not Case.objects.exists()


# Abuse ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", [None, "rider"])
def test_the_honeypot_refuses_a_bot_quietly_and_writes_nothing(client, client_for, catalogue, persona):
    browser = client if persona is None else client_for(persona)
    before = AuditEntry.objects.count()
    response = browser.post("/cases/report/", FORM | {"website": "http://spam.example"})
    assert response.status_code == 400
    assert "此表单不是由真人提交的" in response.content.decode()
    assert not Case.objects.exists() and AuditEntry.objects.count() == before


def test_visitors_reports_are_limited_per_address_with_a_429_saying_when(client, settings, world, catalogue):
    settings.RATE_LIMIT_REPORT_ANONYMOUS = (1, 3600)
    _visitor_reports(client)
    other_browser = Client()  # another device at the same address
    response = other_browser.post("/cases/report/", FORM, REMOTE_ADDR=VISITOR_ADDRESS)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "操作过于频繁" in response.content.decode()
    assert Case.objects.count() == 1
    assert Client().post("/cases/report/", FORM, REMOTE_ADDR="10.9.8.8").status_code == 302  # another address


def test_visitors_reports_are_limited_per_device_across_addresses(client, settings, world, catalogue):
    settings.RATE_LIMIT_REPORT_DEVICE = (1, 3600)
    client.get("/cases/report/")  # the browser gets its CSRF cookie, as a person's does
    assert client.post("/cases/report/", FORM, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert client.post("/cases/report/", FORM, REMOTE_ADDR="10.0.0.2").status_code == 429
    other = Client()
    other.get("/cases/report/")
    assert other.post("/cases/report/", FORM, REMOTE_ADDR="10.0.0.2").status_code == 302
    assert Case.objects.count() == 2


# The follow link -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["id", "junk", "too long", "other salt", "id as text"])
def test_anything_but_a_follow_link_is_404(client, world, catalogue, kind):
    case, _link = _visitor_reports(client)
    token = {
        "id": str(case.pk),
        "junk": "not-a-token",
        "too long": "x" * 500,
        "other salt": signing.dumps(case.pk, salt="another.salt"),
        "id as text": signing.dumps(str(case.pk), salt=FOLLOW_LINK_SALT),
    }[kind]
    assert client.get(f"/cases/follow/{token}/").status_code == 404
    assert client.post(f"/cases/follow/{token}/evaluate/", {"satisfaction": "5"}).status_code == 404


def test_an_altered_link_or_one_of_a_case_reported_with_an_account_is_404(client, world, report, catalogue):
    case, link = _visitor_reports(client)
    assert client.get(link[:-2] + "x/").status_code == 404
    with_account = report("sanitation", by=world.rider)
    assert client.get(f"/cases/follow/{follow_link_token(with_account)}/").status_code == 404
    offered = follow_token(case, user_id=world.rider.pk, report_id=with_account.pk)  # a "this is the same" token
    assert client.get(f"/cases/follow/{offered}/").status_code == 404


def test_the_follow_link_shows_the_public_view_only(client, world, catalogue):
    case, link = _visitor_reports(client, reporter_name="张三丰", reporter_phone="13812345678", address="3栋楼下")
    admin = world.community_admin
    case = actions.accept_case(actor=admin, scope=scope_of(admin), case=case, note="内部备注:通知物业")
    CaseEvent.objects.create(case=case, at=case.reported_at, kind=CaseEvent.Kind.SUPERVISED, internal=True)
    case = actions.dispatch_case(actor=admin, scope=scope_of(admin), case=case, handler=world.grid1_worker)
    page = Client().get(link).content.decode()
    assert case.number in page and "垃圾" in page and "已分拨" in page  # number, class, state
    for secret in ("垃圾桶满了", "张", "138", "5678", "3栋楼下", "内部备注", "督办", str(world.grid1_worker)):
        assert secret not in page, secret
    assert "/photos/" not in page


def test_the_follow_link_of_a_merged_report_follows_the_case_it_was_merged_into(client, world, report, catalogue):
    survivor = report("sanitation", by=world.resident, description="小区门口垃圾没人收")
    case, link = _visitor_reports(client)
    admin = world.community_admin
    actions.merge_case(actor=admin, scope=scope_of(admin), case=case, into=survivor)
    page = client.get(link).content.decode()
    assert survivor.number in page and "data-merged" in page
    assert "小区门口垃圾没人收" not in page
    survivor = _close(world, survivor)
    page = client.get(link).content.decode()
    assert "已结案" in page and "satisfaction" not in page  # not their case to rate
    client.post(link + "evaluate/", {"satisfaction": "1"})
    survivor.refresh_from_db()
    assert survivor.satisfaction is None


def test_a_visitor_sees_similar_open_cases_while_their_report_is_new_but_nothing_to_follow(
    client, world, report, catalogue
):
    earlier = report("sanitation", by=world.resident, description="垃圾桶满了没人清")
    _case, link = _visitor_reports(client)
    page = client.get(link).content.decode()
    assert "data-nearby" in page and "m" in page
    assert earlier.number not in page and "没人清" not in page and 'name="token"' not in page


# Rating ---------------------------------------------------------------------------------


def test_the_reporter_rates_a_closed_case_once_through_its_link_naming_nobody(client, world, catalogue):
    case, link = _visitor_reports(client)
    assert 'name="satisfaction"' not in client.get(link).content.decode()
    assert client.post(link + "evaluate/", {"satisfaction": "5"}).status_code == 302
    case.refresh_from_db()
    assert case.satisfaction is None  # not closed yet
    _close(world, case)
    assert 'name="satisfaction"' in client.get(link).content.decode()
    client.post(link + "evaluate/", {"satisfaction": "4"}, REMOTE_ADDR=VISITOR_ADDRESS)
    case.refresh_from_db()
    assert case.satisfaction == 4
    assert case.events.get(kind="evaluated").actor is None
    entry = AuditEntry.objects.get(action="cases.evaluated")
    assert (entry.actor_id, entry.ip) == (None, "")
    client.post(link + "evaluate/", {"satisfaction": "1"})
    case.refresh_from_db()
    assert case.satisfaction == 4  # once
    assert 'name="satisfaction"' not in client.get(link).content.decode()


def test_bad_ratings_through_the_link_change_nothing(client, world, catalogue):
    case, link = _visitor_reports(client)
    _close(world, case)
    for value in ("0", "6", "abc", ""):
        assert client.post(link + "evaluate/", {"satisfaction": value}).status_code == 302
    case.refresh_from_db()
    assert case.satisfaction is None
    assert client.get(link + "evaluate/").status_code == 405


# Following through the link -------------------------------------------------------------


def test_a_signed_in_holder_follows_the_case_and_sees_its_public_view(client, client_for, world, catalogue):
    case, link = _visitor_reports(client, address="3栋楼下")
    resident = client_for("resident")
    assert "data-follow-this" in resident.get(link).content.decode()
    response = resident.post(link + "follow/")
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.followers.get().user == world.resident and case.followers.get().why == CaseFollower.Why.CHOSE
    entry = AuditEntry.objects.get(action="cases.followed")
    assert entry.actor_id == world.resident.pk and entry.detail == {"why": "chose", "via": "follow_link"}
    page = resident.get(f"/cases/{case.pk}/").content.decode()
    assert "data-public-view" in page and "3栋楼下" not in page and "垃圾桶满了" not in page
    assert case.number in resident.get("/cases/mine/").content.decode()
    case.refresh_from_db()
    assert case.reporter is None  # a follower, never the reporter
    resident.post(link + "follow/")
    assert AuditEntry.objects.filter(action="cases.followed").count() == 1  # following again changes nothing


def test_following_a_merged_report_follows_the_case_it_was_merged_into(client, client_for, world, report, catalogue):
    survivor = report("sanitation", by=world.resident)
    case, link = _visitor_reports(client)
    admin = world.community_admin
    actions.merge_case(actor=admin, scope=scope_of(admin), case=case, into=survivor)
    client_for("rider").post(link + "follow/")
    assert survivor.followers.filter(user=world.rider).exists() and not case.followers.exists()


def test_following_through_the_link_needs_an_account_and_a_good_link(client, client_for, world, catalogue):
    case, link = _visitor_reports(client)
    page = client.get(link).content.decode()
    assert "data-follow-this" not in page and f"/accounts/login/?next={link.replace(':', '%3A')}" in page
    response = client.post(link + "follow/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    rider = client_for("rider")
    assert rider.post("/cases/follow/not-a-token/follow/").status_code == 404
    assert rider.get(link + "follow/").status_code == 405
    assert not CaseFollower.objects.exists()


# Staff ----------------------------------------------------------------------------------


def test_staff_see_no_reporter_data_for_an_anonymous_report_without_an_account(client, client_for, world, catalogue):
    case, _link = _visitor_reports(client)
    page = client_for("community_admin").get(f"/cases/{case.pk}/").content.decode()
    assert "匿名" in page and VISITOR_ADDRESS not in page
    answer = client_for("community_admin").get(f"/api/v1/cases/{case.pk}").json()
    assert (answer["reporter_name"], answer["reporter_phone_masked"]) == (None, None)
    assert VISITOR_ADDRESS not in str(answer)


def test_staff_see_a_named_visitors_phone_masked_only(client, client_for, world, catalogue):
    case, _link = _visitor_reports(client, reporter_name="张三丰", reporter_phone="13812345678")
    admin = client_for("community_admin")
    answer = admin.get(f"/api/v1/cases/{case.pk}").json()
    assert answer["reporter_phone_masked"] == "138****5678"
    page = admin.get(f"/cases/{case.pk}/").content.decode()
    assert "13812345678" not in page and VISITOR_ADDRESS not in page


# Where visitors start -------------------------------------------------------------------


def test_the_front_door_and_the_phone_home_offer_reporting_to_visitors(client, world):
    assert client.get("/")["Location"] == "/field/"
    for url in ("/field/", "/accounts/login/"):
        page = client.get(url).content.decode()
        assert re.search(r'href="/cases/report/"[^>]*data-report-without-account', page), url
        assert "随手拍" in page, url
    assert "/people/" not in client.get("/field/").content.decode()


def test_signing_in_or_joining_from_a_follow_link_comes_back_to_it(client, world, catalogue):
    _case, link = _visitor_reports(client)
    assert f'value="{link}"' in client.get("/volunteers/join/", {"next": link}).content.decode()
    assert f'value="{link}"' in client.get("/accounts/login/", {"next": link}).content.decode()
    assert 'value="/cases/mine/"' not in client.get("/volunteers/join/", {"next": "/cases/mine/"}).content.decode()
