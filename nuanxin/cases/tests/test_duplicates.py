"""Duplicates at intake: similar open cases nearby, what a stranger is told about them, the
single-use token to follow one (earned only by filing a report like it), and merging from
the staff case page."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import signing

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions
from nuanxin.cases.models import Case, CaseFollower, FollowTokenUse
from nuanxin.cases.queries import (
    FOLLOW_MAX_AGE,
    FOLLOW_SALT,
    cases_for,
    content_words,
    follow_offers,
    follow_token,
    similar_open_cases,
)
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry

HERE = {"lng": 102.7011, "lat": 24.9811}
# About 40 m north of HERE, and about 160 m east in grid 2 (sanitation's radius is 80 m).
NEAR = {"lng": 102.7011, "lat": 24.98146}
FAR = {"lng": 102.7027, "lat": 24.9811}


def _similar(catalogue, code="sanitation", text="", **where):
    return similar_open_cases(case_class=catalogue[code], text=text, **(HERE | where))


def _post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_content_words_drop_stop_words_and_punctuation():
    words = content_words("楼道里的垃圾桶满了，没人清理！")
    assert "垃圾桶" in words and "清理" in words
    assert not {"的", "了", "，", "！"} & words


def test_open_cases_of_the_class_nearby_are_offered_the_most_alike_text_first(world, report, catalogue):
    alike_far = report("sanitation", description="垃圾桶满了没人清理", lng=NEAR["lng"], lat=NEAR["lat"])
    unlike_near = report("sanitation", description="路边有狗屎", **HERE)
    report("sanitation", description="垃圾桶满了", **FAR)  # outside the radius
    report("noise", description="垃圾桶满了", **HERE)  # another class
    found = _similar(catalogue, text="垃圾桶满了，臭")
    assert [s.case for s in found] == [alike_far, unlike_near]
    assert found[0].similarity > found[1].similarity == 0
    assert 30 < found[0].distance_m < 50 and found[1].distance_m < 1


def test_without_text_the_nearest_come_first_and_at_most_five(world, report, catalogue):
    cases = [report("sanitation", lng=HERE["lng"], lat=HERE["lat"] + i * 0.00005) for i in range(7)]
    found = _similar(catalogue)
    assert [s.case for s in found] == cases[:5]


def test_a_hot_spot_is_compared_in_two_statements_and_each_description_segmented_once(
    world, report, catalogue, django_assert_num_queries
):
    # Twelve reports of the same thing at one spot: each new report there compares itself
    # with all of them. Their rows are scored as they are, the five chosen read by id; the
    # descriptions are segmented once per process, not once per report that meets them.
    cases = [report("sanitation", description=f"垃圾桶满了 第{n}次") for n in range(12)]
    content_words.cache_clear()
    with django_assert_num_queries(2):
        first = _similar(catalogue, text="垃圾桶满了 第3次")
    segmented = content_words.cache_info().misses
    with django_assert_num_queries(2):
        again = _similar(catalogue, text="垃圾桶满了 第3次")
    assert content_words.cache_info().misses == segmented == 12  # the text is the fourth's own words
    assert [s.case for s in first] == [s.case for s in again]
    assert first[0].case == cases[3] and first[0].similarity == 1
    assert len(first) == 5 and all(s.case.case_class == catalogue["sanitation"] for s in first)


def test_closed_rejected_and_merged_cases_are_not_offered(world, report, catalogue):
    admin = world.community_admin
    survivor = report("sanitation")
    merged = report("sanitation")
    actions.merge_case(actor=admin, scope=scope_of(admin), case=merged, into=survivor)
    rejected = report("sanitation")
    actions.reject_case(actor=admin, scope=scope_of(admin), case=rejected, reason="不归我们", closure="referred")
    assert [s.case for s in _similar(catalogue, text="纸箱")] == [survivor]


def test_staff_suggestions_stay_within_their_scope(world, report, catalogue):
    case = report("sanitation")
    assert [s.case for s in _similar(catalogue, among=cases_for(scope_of(world.community_staff)))] == [case]
    assert _similar(catalogue, among=cases_for(scope_of(world.other_admin))) == []


# The JSON endpoint: what a stranger may know --------------------------------------------

SIMILAR_KEYS = {"class_code", "class_name", "state", "state_name", "distance_m", "age_hours"}


def test_similar_endpoint_tells_only_class_state_distance_age_and_no_token(world, report, client_for):
    """The probe's first step (issue 14): a free query used to hand out follow tokens."""
    case = report("sanitation", by=world.resident, reporter_name="王秀英", description="垃圾桶满了没人清理")
    response = client_for("rider").get("/api/v1/cases/similar", {"class_code": "sanitation", "text": "垃圾桶"} | HERE)
    assert response.status_code == 200
    (row,) = response.json()
    assert set(row) == SIMILAR_KEYS
    assert (row["class_code"], row["state"], row["distance_m"], row["age_hours"]) == ("sanitation", "reported", 0, 0)
    text = response.content.decode()
    for secret in (case.number, "清理", "王秀英", str(case.pk) + ",", "token"):
        assert secret not in text


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"class_code": "unicorns"}, 400, "class_code"),
        ({"lat": 95.0}, 400, "location"),
        ({"lng": "east"}, 422, "lng"),
        ({"text": "x" * 2001}, 422, "text"),
    ],
)
def test_similar_endpoint_refuses_bad_input_naming_the_field(world, client_for, catalogue, query, status, field):
    response = client_for("rider").get("/api/v1/cases/similar", {"class_code": "sanitation"} | HERE | query)
    assert response.status_code == status
    assert response.json()["field"] == field


def test_similar_endpoint_needs_a_sign_in(client, world, catalogue):
    assert client.get("/api/v1/cases/similar", {"class_code": "sanitation"} | HERE).status_code == 401


# Earning a token: by filing a report of the same class at the same place ----------------


def _file(client, *, where=HERE, code="sanitation", description="垃圾桶满了"):
    body = {"class_code": code, "description": description} | where
    return _post(client, "/api/v1/cases", body)


def _earn(client, where=HERE):
    """Report next to an open case over the API; the answer's only offer and the report."""
    response = _file(client, where=where)
    assert response.status_code == 201, response.content
    (offer,) = response.json()["similar"]
    return offer, response.json()


def test_a_report_filed_next_to_an_open_case_is_answered_with_a_token_to_follow_it(world, report, client_for):
    case = report("sanitation", by=world.resident, description="垃圾桶满了没人清理", address="幸福路3号")
    response = _file(client_for("rider"), where=NEAR)
    assert response.status_code == 201
    (offer,) = response.json()["similar"]
    assert set(offer) == SIMILAR_KEYS | {"follow_token"}
    assert 30 < offer["distance_m"] < 50
    text = json.dumps(offer, ensure_ascii=False)
    for secret in (case.number, "没人清理", "幸福路"):
        assert secret not in text


def test_a_report_elsewhere_of_another_class_or_on_the_staff_channel_earns_no_token(world, report, client_for):
    report("sanitation", by=world.resident)
    rider = client_for("rider")
    assert _file(rider, where=FAR).json()["similar"] == []
    noise = _post(
        rider, "/api/v1/cases", {"class_code": "noise", "description": "吵", "answers": {"when": "night"}} | HERE
    )
    assert noise.status_code == 201 and noise.json()["similar"] == []
    staff_entered = report("sanitation", by=world.community_staff, channel="staff")
    assert follow_offers(staff_entered, user_id=world.community_staff.pk) == []


def test_offers_go_only_to_the_reporter_of_a_fresh_report_still_waiting(world, report):
    admin = world.community_admin
    report("sanitation", by=world.resident)
    mine = report("sanitation", by=world.rider)
    assert len(follow_offers(mine, user_id=world.rider.pk)) == 1
    assert follow_offers(mine, user_id=world.stranger.pk) == []  # not their report
    later = mine.reported_at + timedelta(seconds=FOLLOW_MAX_AGE + 1)
    assert follow_offers(mine, user_id=world.rider.pk, now=later) == []  # too old
    actions.accept_case(actor=admin, scope=scope_of(admin), case=mine)
    mine.refresh_from_db()
    assert follow_offers(mine, user_id=world.rider.pk) == []  # taken on already


# Following with the earned token ---------------------------------------------------------


def test_following_with_an_earned_token_shows_the_public_view_and_closes_the_report(world, report, client_for):
    case = report("sanitation", by=world.resident, description="垃圾桶满了没人清理", address="幸福路3号")
    client = client_for("rider")
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 404
    offer, mine = _earn(client)
    response = _post(client, "/api/v1/cases/follow", {"token": offer["follow_token"]})
    assert response.status_code == 200 and response.json()["id"] == case.pk
    body = client.get(f"/api/v1/cases/{case.pk}").json()
    assert body["view"] == "public"
    assert (body["description"], body["address"], body["handler_id"], body["reporter_name"]) == (None,) * 4
    assert (body["lng"], body["lat"]) == (102.701, 24.981) and body["photos"] == []
    assert case.followers.get(user=world.rider).why == "chose"
    assert AuditEntry.objects.filter(action="cases.followed", object_id=str(case.pk), actor_id=world.rider.pk).exists()
    own = Case.objects.get(pk=mine["id"])
    assert (own.state, own.closure, own.merged_into_id) == ("closed", "duplicate", case.pk)


def test_a_token_is_used_once(world, report, client_for):
    report("sanitation", by=world.resident)
    client = client_for("rider")
    offer, _mine = _earn(client)
    assert _post(client, "/api/v1/cases/follow", {"token": offer["follow_token"]}).status_code == 200
    again = _post(client, "/api/v1/cases/follow", {"token": offer["follow_token"]})
    assert again.status_code == 400
    assert (again.json()["field"], again.json()["code"]) == ("token", "used")
    assert FollowTokenUse.objects.count() == 1


def test_a_token_earned_by_someone_else_is_refused(world, report, client_for):
    case = report("sanitation", by=world.resident)
    offer, _mine = _earn(client_for("rider"))
    stranger = client_for("stranger")
    response = _post(stranger, "/api/v1/cases/follow", {"token": offer["follow_token"]})
    assert response.status_code == 400 and response.json()["field"] == "token"
    assert not case.followers.filter(user=world.stranger).exists()
    assert stranger.get(f"/api/v1/cases/{case.pk}").status_code == 404


def test_nobody_can_follow_an_arbitrary_case_id(world, report, client_for):
    case = report("sanitation", by=world.resident)
    others_report = report("sanitation", by=world.grid1_helper)
    client = client_for("rider")
    forged = [
        str(case.pk),
        json.dumps([case.pk, world.rider.pk]),
        signing.dumps([case.pk, world.rider.pk], salt=FOLLOW_SALT),  # the old free token
        signing.dumps([case.pk, world.rider.pk, others_report.pk, "n"], salt="another.salt"),
        signing.dumps([case.pk, world.rider.pk, others_report.pk, "n"]),
        follow_token(case, user_id=world.rider.pk, report_id=others_report.pk),  # a report not theirs
        follow_token(case, user_id=world.rider.pk, report_id=others_report.pk)[:-2] + "xx",
    ]
    for token in forged:
        response = _post(client, "/api/v1/cases/follow", {"token": token})
        assert response.status_code == 400, token
        assert response.json()["field"] == "token"
    assert not case.followers.filter(user=world.rider).exists()
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 404


def test_an_expired_token_is_refused(world, report, monkeypatch):
    case = report("sanitation", by=world.resident)
    mine = report("sanitation", by=world.rider)
    real = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: real - FOLLOW_MAX_AGE - 60)
    token = follow_token(case, user_id=world.rider.pk, report_id=mine.pk)
    monkeypatch.undo()
    with pytest.raises(DomainError) as err:
        actions.follow_case(actor=world.rider, token=token)
    assert err.value.field == "token"
    assert not case.followers.filter(user=world.rider).exists()
    assert not FollowTokenUse.objects.exists()


def test_a_closed_case_cannot_be_followed_and_a_merged_one_leads_to_the_survivor(world, report):
    admin = world.community_admin
    rejected = report("sanitation", by=world.resident)
    mine = report("sanitation", by=world.rider)
    token = follow_token(rejected, user_id=world.rider.pk, report_id=mine.pk)
    actions.reject_case(actor=admin, scope=scope_of(admin), case=rejected, reason="不归我们", closure="referred")
    with pytest.raises(DomainError):
        actions.follow_case(actor=world.rider, token=token)
    survivor, merged = report("sanitation"), report("sanitation")
    token = follow_token(merged, user_id=world.rider.pk, report_id=mine.pk)
    actions.merge_case(actor=admin, scope=scope_of(admin), case=merged, into=survivor)
    assert actions.follow_case(actor=world.rider, token=token) == survivor
    followed = set(CaseFollower.objects.filter(user=world.rider).values_list("case_id", flat=True))
    assert followed == {mine.pk, survivor.pk}
    mine.refresh_from_db()
    assert mine.merged_into == survivor


def test_follow_endpoint_needs_a_sign_in(client, world, report):
    case = report("sanitation", by=world.resident)
    mine = report("sanitation", by=world.rider)
    token = follow_token(case, user_id=world.rider.pk, report_id=mine.pk)
    assert _post(client, "/api/v1/cases/follow", {"token": token}).status_code == 401


def test_follow_tokens_are_signed_with_their_own_salt_and_carry_a_nonce(world, report):
    case = report("sanitation")
    case_id, user_id, report_id, nonce = signing.loads(follow_token(case, user_id=7, report_id=9), salt=FOLLOW_SALT)
    assert (case_id, user_id, report_id) == (case.pk, 7, 9) and len(nonce) >= 16
    assert follow_token(case, user_id=7, report_id=9) != follow_token(case, user_id=7, report_id=9)


# The pages --------------------------------------------------------------------------------


def test_report_page_shows_similar_cases_but_offers_no_follow(world, report, client_for):
    page = client_for("rider").get("/cases/report/").content.decode()
    assert 'data-similar-url="/api/v1/cases/similar"' in page
    assert 'name="token"' not in page and "/cases/follow/" not in page


def test_the_page_of_a_report_just_filed_offers_the_similar_case_and_follows_it(world, report, client_for):
    case = report("sanitation", by=world.resident, description="垃圾桶满了没人清理", address="幸福路3号")
    mine = report("sanitation", by=world.rider, description="垃圾桶满了")
    client = client_for("rider")
    page = client.get(f"/cases/{mine.pk}/")
    assert len(page.context["offers"]) == 1
    text = page.content.decode()
    assert 'action="/cases/follow/"' in text and "没人清理" not in text and case.number not in text
    token = page.context["offers"][0]["token"]
    response = client.post("/cases/follow/", {"token": token})
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    shown = client.get(response["Location"])
    assert shown.status_code == 200 and shown.context["public"]
    assert "没人清理" not in shown.content.decode() and "幸福路" not in shown.content.decode()
    again = client.post("/cases/follow/", {"token": token})
    assert again.status_code == 302 and again["Location"] == "/cases/mine/"


def test_nobody_else_sees_the_offers_of_a_report(world, report, client_for):
    report("sanitation", by=world.resident)
    mine = report("sanitation", by=world.rider)
    assert client_for("community_staff").get(f"/cases/{mine.pk}/").context.get("offers") is None
    assert client_for("stranger").get(f"/cases/{mine.pk}/").status_code == 404


def test_report_page_follow_with_a_bad_token_follows_nothing(world, report, client_for):
    case = report("sanitation", by=world.resident)
    mine = report("sanitation", by=world.stranger)
    token = follow_token(case, user_id=world.stranger.pk, report_id=mine.pk)
    response = client_for("rider").post("/cases/follow/", {"token": token})
    assert response.status_code == 302 and response["Location"] == "/cases/mine/"
    assert not case.followers.filter(user=world.rider).exists()


def test_follow_page_needs_a_sign_in_and_a_post(client, client_for, world):
    assert client.post("/cases/follow/", {"token": "x"}).status_code == 302
    assert client_for("rider").get("/cases/follow/").status_code == 405


# Staff: possible duplicates on the case page, merged with the merge step -----------------


def test_staff_case_page_lists_possible_duplicates_and_merges_one(world, report, client_for):
    first = report("sanitation", by=world.resident, description="垃圾桶满了")
    second = report("sanitation", by=world.rider, description="垃圾桶满了，没人管")
    client = client_for("community_staff")
    response = client.get(f"/cases/{second.pk}/")
    assert [s.case for s in response.context["duplicates"]] == [first]
    assert f'action="/cases/{second.pk}/merge/"' in response.content.decode()
    merged = client.post(f"/cases/{second.pk}/merge/", {"into": first.pk})
    assert merged.status_code == 302
    second.refresh_from_db()
    assert (second.state, second.closure, second.merged_into) == ("closed", "duplicate", first)
    assert first.followers.filter(user=world.rider, why="merged").exists()


def test_only_managers_see_duplicates_and_merge(world, report, client_for):
    first, second = report("sanitation"), report("sanitation")
    assert client_for("grid1_worker").get(f"/cases/{second.pk}/").context["duplicates"] == []
    client_for("grid1_worker").post(f"/cases/{second.pk}/merge/", {"into": first.pk})
    second.refresh_from_db()
    assert second.state == "reported"
    assert client_for("other_admin").post(f"/cases/{second.pk}/merge/", {"into": first.pk}).status_code == 404
    assert client_for("community_staff").post(f"/cases/{second.pk}/merge/", {"into": "x"}).status_code == 302
    second.refresh_from_db()
    assert second.state == "reported"


def test_a_server_process_loads_the_segmenter_with_the_application() -> None:
    """nuanxin.wsgi loads jieba's dictionary as a gunicorn worker imports it, so no report pays
    for it; a plain Django start does not. In fresh interpreters: this one has loaded it long ago."""

    def loaded_after(module: str) -> str:
        code = f"import {module}, jieba; print(jieba.dt.initialized)"
        if module == "django":
            code = "import django; django.setup(); import jieba; print(jieba.dt.initialized)"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nuanxin.settings"}
        done = subprocess.run(  # noqa: S603 (this interpreter, fixed code)
            [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert loaded_after("nuanxin.wsgi") == "True"
    assert loaded_after("django") == "False"
