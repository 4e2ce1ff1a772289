"""Party-member points, the third rule-book: approved service hours and presence at branch
meetings earn a party member points under the community's rules, once per event, in an
append-only ledger the member and the party office see."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from nuanxin.accounts.scope import scope_of
from nuanxin.party import actions, life, points
from nuanxin.party.models import PartyPointsEntry, PartyPointsRule
from nuanxin.volunteers.hours import actions as hours
from nuanxin.volunteers.tests.test_hours import DAY, at, attend, make_activity, make_volunteer


@pytest.fixture
def rider_member(world, committee):
    """The rider persona: a volunteer and, linked to the same account, a mobile party member."""
    admin = world.community_admin
    branch = actions.create_org(
        actor=admin,
        scope=scope_of(admin),
        name="第一网格党支部",
        kind="branch",
        area=world.grid1,
        founded_on=date(2016, 1, 1),
        parent=committee,
    )
    member = actions.register_member(
        actor=admin,
        scope=scope_of(admin),
        org=branch,
        name="马骁骑",
        standing="full",
        status="mobile_in",
        origin="曲靖市麒麟区越州镇党委",
        since=date(2023, 7, 1),
        user=world.rider,
    )
    return branch, member


def approve(world, activity, volunteer):
    record = hours.record_service(
        actor=volunteer.user, attendance=attend(activity, volunteer, at(DAY, 8, 50), at(DAY, 11, 30))
    )
    return hours.approve_record(actor=world.grid1_worker, record=record, scope=scope_of(world.grid1_worker))


def test_approved_service_earns_a_member_points_by_the_activitys_kind_once(world, rider_member):
    _branch, member = rider_member
    activity = make_activity(world)  # a clean-up: 3 points by default
    rider = make_volunteer(world.rider, "马骁骑", world.grid1, 1)
    resident = make_volunteer(world.resident, "王芳", world.grid1, 2)
    record = approve(world, activity, rider)
    approve(world, activity, resident)  # no party member: nothing
    entry = PartyPointsEntry.objects.get()
    assert (entry.member, entry.points, entry.source, entry.day) == (member, 3, "service", DAY)
    assert points.award_for_service(actor=None, record=record) == []  # the same service again: nothing
    assert PartyPointsEntry.objects.count() == 1
    with pytest.raises(PermissionError):
        PartyPointsEntry.objects.filter(pk=entry.pk).update(points=30)


def test_a_member_reporting_here_earns_the_reporting_rule_on_top(world, rider_member):
    _branch, member = rider_member
    type(member).objects.filter(pk=member.pk).update(status="reporting", origin="")
    approve(world, make_activity(world), make_volunteer(world.rider, "马骁骑", world.grid1, 1))
    assert sorted(PartyPointsEntry.objects.values_list("source", "points")) == [("reporting", 3), ("service", 3)]


def test_presence_at_a_branch_meeting_earns_points(world, rider_member):
    branch, member = rider_member
    admin = world.community_admin
    meeting = life.plan_meeting(
        actor=admin, scope=scope_of(admin), org=branch, kind="members", planned_on=date(2024, 3, 10), topics="学习"
    )
    life.record_meeting(
        actor=admin,
        scope=scope_of(admin),
        meeting=meeting,
        held_on=date(2024, 3, 10),
        attendance={member.pk: ("present", "")},
    )
    entry = PartyPointsEntry.objects.get()
    assert (entry.source, entry.points, entry.day) == ("meeting", 2, date(2024, 3, 10))


def test_the_community_sets_its_rules(world, rider_member, client_for):
    office = client_for("community_admin")
    url = reverse("party:points_rules", args=[world.community.pk])
    assert office.post(url, {"service:cleanup": "8"}).status_code == 302
    assert PartyPointsRule.objects.get(community=world.community, source="service", activity_kind="cleanup").points == 8
    assert PartyPointsRule.objects.filter(community=world.community).count() == len(points.DEFAULT_RULES)
    office.post(url, {"service:cleanup": "500"})
    assert PartyPointsRule.objects.get(source="service", activity_kind="cleanup").points == 8
    approve(world, make_activity(world), make_volunteer(world.rider, "马骁骑", world.grid1, 1))
    assert PartyPointsEntry.objects.get().points == 8
    assert client_for("grid1_worker").post(url, {"service:cleanup": "1"}).status_code == 404
    assert client_for("other_admin").post(url, {"service:cleanup": "1"}).status_code == 404


def test_the_member_sees_their_own_and_the_office_everyones(world, rider_member, client_for):
    approve(world, make_activity(world), make_volunteer(world.rider, "马骁骑", world.grid1, 1))
    mine = client_for("rider").get(reverse("party:points"))
    assert mine.status_code == 200 and mine.context["balance"] == 3
    assert not mine.context["totals"] and not mine.context["rules"]
    office = client_for("community_admin").get(reverse("party:points"))
    assert [(m.name, m.total) for m in office.context["totals"]] == [("马骁骑", 3)]
    assert client_for("grid1_worker").get(reverse("party:points")).status_code == 404
    assert client_for("resident").get(reverse("party:points")).status_code == 404


def test_a_meetings_points_are_written_at_once_and_audited_once(world, rider_member):
    from nuanxin.core.models import AuditEntry

    branch, member = rider_member
    admin = world.community_admin
    other = actions.register_member(
        actor=admin,
        scope=scope_of(admin),
        org=branch,
        name="钱进",
        standing="full",
        status="registered",
        since=date(2020, 1, 1),
    )
    meeting = life.plan_meeting(
        actor=admin, scope=scope_of(admin), org=branch, kind="lecture", planned_on=date(2024, 4, 2), topics="党课"
    )
    life.record_meeting(
        actor=admin,
        scope=scope_of(admin),
        meeting=meeting,
        held_on=date(2024, 4, 2),
        attendance={member.pk: ("present", ""), other.pk: ("present", "")},
    )
    assert sorted(PartyPointsEntry.objects.values_list("member__name", "points")) == [("钱进", 2), ("马骁骑", 2)]
    assert AuditEntry.objects.filter(action="party.points_awarded").count() == 1
    # Recording the same meeting's points again writes nothing.
    assert points.award_for_meeting(actor=admin, meeting=meeting, present=[member, other], now=timezone.now()) == 0
