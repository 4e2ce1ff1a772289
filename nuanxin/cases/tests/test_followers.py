"""Followers: a reporter follows their case, a merged case's people follow the survivor, and
a follower sees the case as a reporter does, through the one scope mechanism."""

import pytest
from django.http import Http404

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions
from nuanxin.cases.models import CaseFollower
from nuanxin.cases.queries import case_or_404, cases_for, my_cases
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope


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


def test_follower_page_is_the_reporters_view_without_internal_notes_or_identity(world, report, client_for):
    admin = world.community_admin
    case = report("sanitation", by=world.resident, reporter_name="王秀英", reporter_phone="13812345678")
    case = actions.accept_case(actor=admin, scope=scope_of(admin), case=case)
    actions.dispatch_case(actor=admin, scope=scope_of(admin), case=case, handler=world.grid1_worker, note="内部备注")
    _follow(case, world.rider)
    response = client_for("rider").get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "cases/detail.html" in [t.name for t in response.templates]
    assert "内部备注" not in page and "王秀英" not in page and "13812345678" not in page
    body = client_for("rider").get(f"/api/v1/cases/{case.pk}").json()
    assert body["reporter_name"] is None and body["reporter_phone_masked"] is None
    assert all(not event["internal"] for event in body["timeline"])


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
