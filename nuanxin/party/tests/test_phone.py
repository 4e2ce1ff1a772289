"""The party pages on a phone: a member's own branch (meetings to sign in to or ask leave
from, tasks, points), a member unit's representative's pact; nobody else reaches either."""

from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from nuanxin.accounts.scope import scope_of
from nuanxin.core.models import AuditEntry
from nuanxin.party import actions, life, meetings
from nuanxin.party.models import Attendance, BranchMeeting, MeetingReply, PartyOrg
from nuanxin.testing import photo_upload

MEETING_DAY = date(2025, 3, 20)
ON_THE_DAY = "2025-03-20 09:00 +08:00"
BEFORE = "2025-03-18 09:00 +08:00"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class Branch:
    def __init__(self, world, committee) -> None:
        admin = world.community_admin
        self.scope = scope_of(admin)
        self.org = actions.create_org(
            actor=admin,
            scope=self.scope,
            name="外卖骑手流动党员支部",
            kind="branch",
            area=world.community,
            founded_on=date(2024, 1, 1),
            parent=committee,
        )
        self.rider = actions.register_member(
            actor=admin,
            scope=self.scope,
            org=self.org,
            name="马骁骑",
            standing="full",
            status="reporting",
            workplace="美团外卖",
            since=date(2024, 1, 1),
            user=world.rider,
        )
        self.veteran = actions.register_member(
            actor=admin,
            scope=self.scope,
            org=self.org,
            name="李老兵",
            standing="full",
            status="retired",
            since=date(2024, 1, 1),
        )
        self.meeting = life.plan_meeting(
            actor=admin, scope=self.scope, org=self.org, kind="members", planned_on=MEETING_DAY, topics="学习党章"
        )


@pytest.fixture
def branch(world, committee) -> Branch:
    return Branch(world, committee)


def _reply(client: Client, meeting: BranchMeeting, **form: str):
    return client.post(reverse("party:reply", args=[meeting.pk]), form)


@time_machine.travel(ON_THE_DAY, tick=False)
def test_a_member_signs_in_to_their_branch_meeting_on_the_day(world, branch, client_for):
    rider = client_for("rider")
    page = rider.get(reverse("party:me"))
    text = page.content.decode()
    assert page.status_code == 200 and "外卖骑手流动党员支部" in text and "学习党章" in text
    assert "data-branch-points" not in text and "李老兵" not in text  # another member's points: the secretary's
    assert f'action="{reverse("party:reply", args=[branch.meeting.pk])}"' in text
    assert 'name="presence" value="present"' in text  # the sign-in button on the day
    assert _reply(rider, branch.meeting, presence="present").status_code == 302
    reply = MeetingReply.objects.get()
    assert (reply.member, reply.presence) == (branch.rider, "present")
    assert AuditEntry.objects.filter(action="party.meeting_replied", object_id=str(branch.meeting.pk)).count() == 1
    assert 'data-reply="present"' in rider.get(reverse("party:me")).content.decode()


@time_machine.travel(BEFORE, tick=False)
def test_leave_needs_its_reason_and_a_sign_in_waits_for_the_day(world, branch, client_for):
    rider = client_for("rider")
    page = rider.get(reverse("party:me")).content.decode()
    assert 'value="present"' not in page  # no sign-in before the day
    early = _reply(rider, branch.meeting, presence="present")
    assert early.status_code == 400 and 'data-refused="presence"' in early.content.decode()
    bare = _reply(rider, branch.meeting, presence="leave", reason="  ")
    assert bare.status_code == 400 and 'data-refused="reason"' in bare.content.decode()
    assert not MeetingReply.objects.exists()
    assert _reply(rider, branch.meeting, presence="leave", reason="当天跑单高峰").status_code == 302
    assert MeetingReply.objects.get().reason == "当天跑单高峰"
    # a later reply replaces the earlier one
    assert _reply(rider, branch.meeting, presence="leave", reason="家中有事").status_code == 302
    assert list(MeetingReply.objects.values_list("reason", flat=True)) == ["家中有事"]


@time_machine.travel(ON_THE_DAY, tick=False)
def test_a_reply_counts_when_the_record_leaves_the_member_out(world, branch, client_for):
    rider = client_for("rider")
    assert _reply(rider, branch.meeting, presence="present").status_code == 302
    admin = world.community_admin
    # the form shows the reply; a member who said nothing is absent unless marked
    life.record_meeting(actor=admin, scope=branch.scope, meeting=branch.meeting, held_on=MEETING_DAY, attendance={})
    presence = dict(Attendance.objects.values_list("member__name", "presence"))
    assert presence == {"马骁骑": "present", "李老兵": "absent"}
    late = _reply(rider, branch.meeting, presence="present")
    # no longer among the meetings coming: the refusal shows at the top
    assert late.status_code == 400 and 'data-refused="meeting"' in late.content.decode()
    assert "data-held" in rider.get(reverse("party:me")).content.decode()


@time_machine.travel(ON_THE_DAY, tick=False)
def test_the_recording_form_starts_from_the_replies(world, branch, client_for):
    assert _reply(client_for("rider"), branch.meeting, presence="leave", reason="跑单").status_code == 302
    page = client_for("community_admin").get(reverse("party:meeting", args=[branch.meeting.pk]))
    rows = {row["member"].name: (row["presence"], row["reason"]) for row in page.context["rows"]}
    assert rows == {"马骁骑": ("leave", "跑单"), "李老兵": ("present", "")}  # the recorder unticks who is missing


@time_machine.travel(ON_THE_DAY, tick=False)
def test_only_members_reach_the_member_page_and_only_their_own_meetings(world, branch, committee, client_for):
    for persona in ("grid1_worker", "resident", "partner", "community_admin"):
        assert client_for(persona).get(reverse("party:me")).status_code == 404, persona
        assert _reply(client_for(persona), branch.meeting, presence="present").status_code == 404, persona
    assert not MeetingReply.objects.exists()
    other = life.plan_meeting(
        actor=world.community_admin,
        scope=branch.scope,
        org=committee,
        kind="lecture",
        planned_on=MEETING_DAY,
        topics="党课",
    )
    assert _reply(client_for("rider"), other, presence="present").status_code == 404
    assert not MeetingReply.objects.exists()
    assert AuditEntry.objects.filter(action="access.denied").exists()


def test_a_reply_checks_the_scope_it_is_given(world, branch):
    with pytest.raises(TypeError):
        life.reply_to_meeting(actor=world.rider, scope=None, meeting=branch.meeting, presence="leave", reason="x")


@time_machine.travel(ON_THE_DAY, tick=False)
def test_a_branch_secretary_sees_and_reports_the_branch_task(world, branch, alliance_setting, joint_meeting):
    admin = world.community_admin
    actions.appoint(
        actor=admin, scope=branch.scope, org=branch.org, member=branch.rider, office="secretary", since=MEETING_DAY
    )
    with time_machine.travel("2025-03-20 15:00 +08:00", tick=False):
        task = meetings.add_resolution(
            actor=admin,
            scope=branch.scope,
            meeting=joint_meeting,
            title="组织骑手参加消防演练",
            deadline=date(2025, 4, 30),
            owner_branch=PartyOrg.objects.get(pk=branch.org.pk),
        )
        secretary = signed_in(world.rider)
        page = secretary.get(reverse("party:me")).content.decode()
        assert "组织骑手参加消防演练" in page
        assert "data-branch-points" in page and "李老兵" in page  # the secretary sees the members' points
        assert secretary.get(reverse("party:task", args=[task.pk])).status_code == 200
        sent = secretary.post(
            reverse("party:task_report", args=[task.pk]),
            {"note": "已通知全体骑手", "progress": "40", "photo": photo_upload()},
        )
        assert sent.status_code == 302
        task.refresh_from_db()
        assert task.progress == 40
        # another member of the branch, not its secretary, does not reach it
        assert meetings.may_report(scope_of(world.grid1_worker), world.grid1_worker, task) is False


@time_machine.travel("2025-03-20 14:00 +08:00", tick=False)
def test_a_representative_sees_the_pact_tasks_and_meeting_of_their_unit(world, alliance_setting, joint_meeting):
    from nuanxin.party import alliance

    admin = world.community_admin
    alliance.record_delivery(
        actor=admin,
        scope=scope_of(admin),
        commitment=alliance_setting.venue,
        delivered_on=date(2025, 1, 10),
        quantity="30",
        what="会议室借用",
    )
    with time_machine.travel("2025-03-20 15:00 +08:00", tick=False):
        task = meetings.add_resolution(
            actor=admin,
            scope=scope_of(admin),
            meeting=joint_meeting,
            title="楼道照明改造",
            deadline=date(2025, 4, 30),
            owner_unit=alliance_setting.unit,
        )
    page = signed_in(alliance_setting.rep).get(reverse("party:our_unit"))
    assert page.status_code == 200
    (entry,) = page.context["pacts"]
    rows = {row.commitment.what: (row.committed, row.delivered) for row in entry["rows"]}
    # 2025-Q1 is the fifth quarter of the pact begun in 2024: 5 × 20 hours; 2 years × 5,000 yuan
    assert rows == {"营业厅会议室": (100, 30), "节日活动经费": (10000, 0)}
    text = page.content.decode()
    assert "楼道照明改造" in text and str(task.pk) in text
    assert f'data-joint="{joint_meeting.pk}"' in text
    assert reverse("party:pact", args=[alliance_setting.pact.pk]) + "#deliver" in text


def test_nobody_but_a_member_units_representative_reaches_the_unit_page(world, alliance_setting, client_for):
    for persona in ("grid1_worker", "rider", "partner", "community_admin"):
        assert client_for(persona).get(reverse("party:our_unit")).status_code == 404, persona


@time_machine.travel(BEFORE, tick=False)
def test_the_api_gives_a_member_their_branch_and_takes_their_reply(world, branch, client_for):
    rider = client_for("rider")
    mine = rider.get("/api/v1/party/me").json()
    assert (mine["org"], mine["status"]) == ("外卖骑手流动党员支部", "reporting")
    assert [(m["id"], m["reply"]) for m in mine["coming"]] == [(branch.meeting.pk, None)]
    url = f"/api/v1/party/me/meetings/{branch.meeting.pk}/reply"
    early = rider.post(url, {"presence": "present"}, content_type="application/json")
    assert early.status_code == 400 and early.json()["field"] == "presence"
    bare = rider.post(url, {"presence": "leave"}, content_type="application/json")
    assert bare.status_code == 400 and bare.json()["field"] == "reason"
    done = rider.post(url, {"presence": "leave", "reason": "出差"}, content_type="application/json")
    assert done.status_code == 200 and done.json() == {
        "meeting_id": branch.meeting.pk,
        "presence": "leave",
        "reason": "出差",
    }
    assert rider.get("/api/v1/party/me").json()["coming"][0]["reply"] == "leave"
    stranger = client_for("grid1_worker")
    assert stranger.get("/api/v1/party/me").status_code == 404
    assert stranger.post(url, {"presence": "leave", "reason": "x"}, content_type="application/json").status_code == 404
    assert MeetingReply.objects.count() == 1


@time_machine.travel(BEFORE, tick=False)
def test_a_meeting_waits_in_the_members_queue_until_they_answer(world, branch, alliance_setting, joint_meeting):
    from nuanxin.core import workqueue

    def waiting(user):
        return {w.source.key: w for w in workqueue.waiting_for(scope_of(user), user) if w.count}

    (item,) = waiting(world.rider)["party_own"].items
    assert (item.when, item.url) == (MEETING_DAY, reverse("party:me"))
    assert "party_own" not in waiting(world.grid1_worker)
    life.reply_to_meeting(
        actor=world.rider, scope=scope_of(world.rider), meeting=branch.meeting, presence="leave", reason="出差"
    )
    assert "party_own" not in waiting(world.rider)
    # The branch's secretary carries out the branch's resolutions.
    admin = world.community_admin
    actions.appoint(
        actor=admin, scope=branch.scope, org=branch.org, member=branch.rider, office="secretary", since=date(2025, 3, 1)
    )
    with time_machine.travel("2025-03-20 15:00 +08:00", tick=False):
        meetings.add_resolution(
            actor=admin,
            scope=branch.scope,
            meeting=joint_meeting,
            title="组织骑手参加消防演练",
            deadline=date(2025, 4, 30),
            owner_branch=branch.org,
        )
        assert [i.title for i in waiting(world.rider)["party_own"].items] == ["组织骑手参加消防演练"]


@time_machine.travel("2025-03-20 10:00 +08:00", tick=False)
def test_commitments_delivered_behind_wait_in_the_representatives_queue(world, alliance_setting):
    from nuanxin.core import workqueue
    from nuanxin.party import alliance

    def behind(user):
        found = {w.source.key: w for w in workqueue.waiting_for(scope_of(user), user)}.get("alliance_deliveries")
        return [(i.title, i.detail) for i in found.items] if found else []

    rep = alliance_setting.rep
    # by 2025-03-20: five quarters of 20 venue hours and two years of 5,000 yuan are due
    assert behind(rep) == [("营业厅会议室", "测试银行 · 0 / 100"), ("节日活动经费", "测试银行 · 0 / 10000")]
    admin = world.community_admin
    alliance.record_delivery(
        actor=admin,
        scope=scope_of(admin),
        commitment=alliance_setting.venue,
        delivered_on=date(2025, 3, 1),
        quantity="100",
        what="会议室借用",
    )
    assert behind(rep) == [("节日活动经费", "测试银行 · 0 / 10000")]
    assert behind(world.community_admin) == [] and behind(world.partner) == []


def _queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@time_machine.travel(BEFORE, tick=False)
def test_the_member_page_reads_the_same_statements_however_much_it_shows(world, branch, client_for):
    rider = client_for("rider")
    rider.get(reverse("party:me"))  # sessions and caches warmed
    few = _queries(rider, reverse("party:me"))
    admin = world.community_admin
    actions.appoint(
        actor=admin, scope=branch.scope, org=branch.org, member=branch.rider, office="secretary", since=date(2025, 3, 1)
    )
    for n in range(4):
        life.plan_meeting(
            actor=admin,
            scope=branch.scope,
            org=branch.org,
            kind="lecture",
            planned_on=date(2025, 4, 1 + n),
            topics="党课",
        )
        actions.register_member(
            actor=admin,
            scope=branch.scope,
            org=branch.org,
            name=f"党员{n}",
            standing="full",
            status="registered",
            since=date(2024, 1, 1),
        )
    # one more statement for the secretary's table of the members' points, whatever their number
    assert _queries(rider, reverse("party:me")) == few + 1


@time_machine.travel("2025-03-20 16:00 +08:00", tick=False)
def test_the_unit_page_reads_the_same_statements_however_much_it_shows(world, alliance_setting, joint_meeting):
    from nuanxin.party import alliance

    rep = signed_in(alliance_setting.rep)
    rep.get(reverse("party:our_unit"))
    few = _queries(rep, reverse("party:our_unit"))
    admin = world.community_admin
    for n in range(3):
        alliance.record_delivery(
            actor=admin,
            scope=scope_of(admin),
            commitment=alliance_setting.venue,
            delivered_on=date(2025, 1, 10 + n),
            quantity="5",
            what="会议室借用",
        )
        meetings.add_resolution(
            actor=admin,
            scope=scope_of(admin),
            meeting=joint_meeting,
            title=f"决议{n}",
            deadline=date(2025, 4, 30),
            owner_unit=alliance_setting.unit,
        )
    assert _queries(rep, reverse("party:our_unit")) == few
