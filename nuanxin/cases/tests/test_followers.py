"""Followers: a reporter follows their case, a merged case's people follow the survivor, and
a follower reaches the case through the one scope mechanism but, unless they reported it
(or speak for the host unit), sees only its public view."""

import pytest
from django.http import Http404

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions
from nuanxin.cases.models import CaseFollower
from nuanxin.cases.queries import case_or_404, cases_for, my_cases
from nuanxin.core.errors import DomainError
from nuanxin.core.models import Notification
from nuanxin.core.scoping import Scope
from nuanxin.testing import photo_upload


def _follow(case, user, why=CaseFollower.Why.CHOSE):
    return CaseFollower.objects.create(case=case, user=user, since=case.reported_at, why=why)


def test_a_reporter_with_an_account_follows_their_case_from_the_start(world, report):
    case = report("sanitation", by=world.rider)
    assert list(case.followers.values_list("user_id", "why")) == [(world.rider.pk, "reporter")]


def test_an_anonymous_reporter_still_follows_but_a_report_without_account_has_no_follower(world, report):
    hidden = report("sanitation", by=world.rider, anonymous=True)
    assert hidden.followers.get().user == world.rider
    assert not report("sanitation", by=None).followers.exists()


def test_merging_makes_the_merged_reporter_and_followers_follow_the_survivor(world, report):
    admin = world.community_admin
    survivor = report("sanitation", by=world.resident)
    duplicate = report("sanitation", by=world.rider)
    _follow(duplicate, world.grid1_helper)
    actions.merge_case(actor=admin, scope=scope_of(admin), case=duplicate, into=survivor)
    followers = dict(survivor.followers.values_list("user_id", "why"))
    assert followers == {world.resident.pk: "reporter", world.rider.pk: "merged", world.grid1_helper.pk: "merged"}
    assert case_or_404(scope_of(world.rider), survivor.pk) == survivor


def test_a_refused_merge_adds_no_follower(world, report):
    admin = world.community_admin
    survivor = report("sanitation", by=world.resident)
    other_kind = report("noise", by=world.rider)
    with pytest.raises(DomainError):
        actions.merge_case(actor=admin, scope=scope_of(admin), case=other_kind, into=survivor)
    assert list(survivor.followers.values_list("user_id", flat=True)) == [world.resident.pk]


def test_a_follower_sees_the_case_but_a_non_follower_gets_404(world, report):
    case = report("sanitation", by=world.resident)
    with pytest.raises(Http404):
        case_or_404(scope_of(world.rider), case.pk)
    _follow(case, world.rider)
    assert case_or_404(scope_of(world.rider), case.pk) == case
    with pytest.raises(Http404):
        case_or_404(scope_of(world.stranger), case.pk)


def test_a_case_with_several_followers_is_listed_once(world, report):
    case = report("sanitation", by=world.resident)
    _follow(case, world.rider)
    _follow(case, world.stranger)
    assert list(cases_for(scope_of(world.community_admin)).filter(pk=case.pk)) == [case]
    assert list(cases_for(Scope(everything=True, user_id=1)).filter(pk=case.pk)) == [case]
    assert list(cases_for(scope_of(world.rider))) == [case]


def _handled(world, report):
    """A case reported with a name, phone, address and photo, dispatched with an internal
    note and resolved with a public note."""
    admin, worker = world.community_admin, world.grid1_worker
    case = report(
        "sanitation",
        by=world.resident,
        reporter_name="王秀英",
        reporter_phone="13812345678",
        description="楼道里堆满了纸箱没人清理",
        address="幸福路3号",
        lng=102.70114,
        lat=24.98116,
        photos=[photo_upload()],
    )
    case = actions.accept_case(actor=admin, scope=scope_of(admin), case=case)
    case = actions.dispatch_case(actor=admin, scope=scope_of(admin), case=case, handler=worker, note="内部备注")
    case = actions.start_case(actor=worker, case=case)
    return actions.resolve_case(actor=worker, case=case, note="已清理三楼纸箱", photos=[photo_upload()])


SECRETS = ("楼道里堆满了纸箱没人清理", "幸福路3号", "王秀英", "13812345678", "内部备注", "已清理三楼纸箱", "24.98116")


def test_a_follower_who_chose_sees_only_the_public_view_on_the_page(world, report, client_for):
    case = _handled(world, report)
    _follow(case, world.rider)
    response = client_for("rider").get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    assert "cases/detail.html" in [t.name for t in response.templates]
    assert response.context["public"] and response.context["photos"] == []
    page = response.content.decode()
    for secret in SECRETS:
        assert secret not in page, secret
    assert case.number in page and "24.981" in page and "/photos/" not in page


def test_a_follower_who_chose_sees_only_the_public_view_in_the_api_and_no_photo(world, report, client_for):
    case = _handled(world, report)
    _follow(case, world.rider)
    rider = client_for("rider")
    response = rider.get(f"/api/v1/cases/{case.pk}")
    body = response.json()
    assert body["view"] == "public" and body["state"] == "resolved"
    assert (body["lng"], body["lat"]) == (102.701, 24.981)
    assert body["photos"] == [] and all(event["note"] == "" for event in body["timeline"])
    for secret in SECRETS:
        assert secret not in response.content.decode(), secret
    (listed,) = rider.get("/api/v1/cases", {"mine": "true"}).json()["items"]
    assert listed["view"] == "public" and listed["description"] is None
    photo = case.photos.first()
    assert rider.get(f"/cases/{case.pk}/photos/{photo.pk}/").status_code == 404


def test_the_reporter_and_staff_see_the_whole_case(world, report, client_for):
    case = _handled(world, report)
    photo = case.photos.first()
    for persona in ("resident", "community_admin"):
        client = client_for(persona)
        body = client.get(f"/api/v1/cases/{case.pk}").json()
        assert body["view"] == "whole" and body["description"] == "楼道里堆满了纸箱没人清理", persona
        assert (body["lng"], body["lat"]) == (102.70114, 24.98116) and body["photos"]
        assert "已清理三楼纸箱" in client.get(f"/cases/{case.pk}/").content.decode()
        assert client.get(f"/cases/{case.pk}/photos/{photo.pk}/").status_code == 200


def test_a_merged_reporter_sees_the_public_view_of_the_survivor(world, report, client_for):
    admin = world.community_admin
    survivor = report("sanitation", by=world.resident, description="垃圾桶满了没人清理")
    duplicate = report("sanitation", by=world.rider)
    actions.merge_case(actor=admin, scope=scope_of(admin), case=duplicate, into=survivor)
    body = client_for("rider").get(f"/api/v1/cases/{survivor.pk}").json()
    assert body["view"] == "public" and body["description"] is None


def test_a_host_representative_sees_the_whole_case_they_must_act_on(world, report, client_for):
    case = report("sanitation", by=world.resident, description="热水器不热了")
    actions.add_host_followers(actor=world.resident, case=case, users=[world.partner])
    body = client_for("partner").get(f"/api/v1/cases/{case.pk}").json()
    assert body["view"] == "whole" and body["description"] == "热水器不热了"


def test_a_followers_notification_names_no_description_or_address(world, report):
    case = _handled(world, report)
    _follow(case, world.rider)
    admin = world.community_admin
    actions.verify_case(actor=admin, scope=scope_of(admin), case=case)
    case.refresh_from_db()
    actions.close_case(actor=admin, scope=scope_of(admin), case=case)
    (note,) = Notification.objects.filter(kind="cases.closed", recipient=world.rider)
    for secret in SECRETS:
        assert secret not in f"{note.title} {note.body} {note.url}", secret


def test_a_non_follower_gets_404_on_the_page_and_the_api(world, report, client_for):
    case = report("sanitation", by=world.resident)
    assert client_for("rider").get(f"/cases/{case.pk}/").status_code == 404
    assert client_for("rider").get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert client_for("other_admin").get(f"/api/v1/cases/{case.pk}").status_code == 404


def test_my_reports_lists_reported_and_followed_cases_only(world, report, client_for):
    mine = report("sanitation", by=world.rider)
    followed = report("noise", by=world.resident)
    _follow(followed, world.rider)
    elsewhere = report("sanitation", by=world.resident, description="另一件事")
    assert set(my_cases(scope_of(world.rider))) == {mine, followed}
    response = client_for("rider").get("/cases/mine/")
    assert response.status_code == 200
    assert set(response.context["cases"]) == {mine, followed}
    assert elsewhere.number not in response.content.decode()


def test_my_reports_needs_a_sign_in(client):
    assert client.get("/cases/mine/").status_code == 302
