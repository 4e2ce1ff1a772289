"""Organisational life: meetings planned and recorded with attendance, and a branch's quarter
against the cadence."""

from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.party import actions, life
from nuanxin.party.models import Attendance, BranchMeeting


@pytest.fixture
def branch(world, committee):
    admin = world.community_admin
    found = actions.create_org(
        actor=admin,
        scope=scope_of(admin),
        name="第一网格党支部",
        kind="branch",
        area=world.grid1,
        founded_on=date(2016, 3, 1),
        parent=committee,
    )
    for name in ("赵红", "钱进", "孙立"):
        actions.register_member(
            actor=admin,
            scope=scope_of(admin),
            org=found,
            name=name,
            standing="full",
            status="registered",
            since=date(2020, 1, 1),
        )
    return found


def plan(world, org, kind="members", planned_on=date(2024, 7, 5)):
    admin = world.community_admin
    return life.plan_meeting(
        actor=admin, scope=scope_of(admin), org=org, kind=kind, planned_on=planned_on, topics="学习党章"
    )


def record(world, meeting, **extra):
    admin = world.community_admin
    fields = {"held_on": date(2024, 7, 5), "attendance": {}}
    return life.record_meeting(actor=admin, scope=scope_of(admin), meeting=meeting, **(fields | extra))


def test_a_meeting_is_recorded_with_everyones_attendance(world, branch):
    zhao, qian, sun = branch.members.order_by("since", "id")
    meeting = plan(world, branch)
    meeting = record(
        world,
        meeting,
        attendance={zhao.pk: ("present", ""), qian.pk: ("leave", "出差")},
        chair=zhao,
        minutes="学习了党章第一章。",
    )
    rows = {a.member.name: (a.presence, a.reason) for a in Attendance.objects.filter(meeting=meeting)}
    # A member left out of the list is absent.
    assert rows == {zhao.name: ("present", ""), qian.name: ("leave", "出差"), sun.name: ("absent", "")}
    assert meeting.held_on == date(2024, 7, 5) and meeting.chair == zhao


def test_bad_attendance_is_refused_and_writes_nothing(world, branch, far_committee):
    zhao, qian, _sun = branch.members.order_by("since", "id")
    stranger = actions.register_member(
        actor=world.other_admin,
        scope=scope_of(world.other_admin),
        org=far_committee,
        name="外人",
        standing="full",
        status="registered",
        since=date(2020, 1, 1),
    )
    meeting = plan(world, branch)
    cases = [
        ({"attendance": {stranger.pk: ("present", "")}}, "attendance"),  # more than the branch
        ({"attendance": {qian.pk: ("leave", "")}}, "attendance"),  # leave without its reason
        ({"attendance": {zhao.pk: ("asleep", "")}}, "attendance"),
        ({"attendance": {zhao.pk: ("absent", "")}, "chair": zhao}, "chair"),  # a chair who was not there
        ({"held_on": date(2099, 1, 1)}, "held_on"),  # not held yet
    ]
    for change, field in cases:
        with pytest.raises(DomainError) as refused:
            record(world, meeting, **change)
        assert refused.value.field == field, change
    meeting.refresh_from_db()
    assert meeting.held_on is None and not Attendance.objects.exists()
    record(world, meeting)
    with pytest.raises(DomainError) as twice:
        record(world, meeting)
    assert twice.value.field == "held_on"


def test_the_quarter_shows_each_branch_against_the_cadence(world, branch, settings):
    settings.NUANXIN_PARTY_CADENCE = "members=1,committee=3,group=0,lecture=1,theme_day=0"
    record(world, plan(world, branch, "members"))
    record(world, plan(world, branch, "committee"), held_on=date(2024, 8, 2))
    plan(world, branch, "lecture")  # planned, never held
    rows = life.compliance(scope_of(world.community_admin), date(2024, 7, 1), date(2024, 9, 30))
    (row,) = rows
    assert row.org == branch
    cells = dict(zip(BranchMeeting.Kind.values, row.cells, strict=True))
    assert cells["members"] == (1, 1, False) and cells["committee"] == (1, 3, True) and cells["lecture"] == (0, 1, True)
    assert life.compliance(scope_of(world.other_admin), date(2024, 7, 1), date(2024, 9, 30)) == []


def test_a_cadence_that_cannot_be_read_is_refused(settings):
    settings.NUANXIN_PARTY_CADENCE = "members=one"
    with pytest.raises(ImproperlyConfigured):
        life.cadence()


def test_the_pages_plan_record_and_show_the_quarter(world, branch, client_for):
    client = client_for("community_admin")
    planned = client.post(
        f"/party/{branch.pk}/meetings/new/",
        {"kind": "lecture", "planned_on": "2024-07-01", "topics": "党课：为人民服务"},
    )
    meeting = BranchMeeting.objects.get(org=branch)
    assert planned.status_code == 302 and planned["Location"] == f"/party/meetings/{meeting.pk}/"
    zhao = branch.members.get(name="赵红")
    page = client.get(f"/party/meetings/{meeting.pk}/").content.decode()
    assert f'name="p-{zhao.pk}"' in page
    bad = client.post(f"/party/meetings/{meeting.pk}/record/", {"held_on": "2024-07-01", f"p-{zhao.pk}": "leave"})
    assert bad.status_code == 400 and 'class="form-error"' in bad.content.decode()  # the reason for leave is missing
    assert BranchMeeting.objects.get(pk=meeting.pk).held_on is None
    done = client.post(
        f"/party/meetings/{meeting.pk}/record/",
        {
            "held_on": "2024-07-01",
            f"p-{zhao.pk}": "present",
            "chair": zhao.pk,
            "minutes": "讲了党课",
        },
    )
    assert done.status_code == 302
    assert "讲了党课" in client.get(f"/party/meetings/{meeting.pk}/").content.decode()
    quarter = client.get("/party/life/", {"quarter": "2024-3"}).content.decode()
    assert "第一网格党支部" in quarter and "1 / 1" in quarter
    assert client.get("/party/life/", {"quarter": "2024-7"}).status_code == 400
    for persona in ("grid1_worker", "street_staff", "partner"):
        assert client_for(persona).get(f"/party/meetings/{meeting.pk}/").status_code == 404, persona
        assert client_for(persona).get("/party/life/").status_code == 404, persona
    assert client_for("other_admin").get(f"/party/meetings/{meeting.pk}/").status_code == 404


def test_a_meeting_whose_day_has_come_waits_to_be_recorded(world, branch):
    from nuanxin.core import workqueue

    def waiting(user):
        return {w.source.key: w for w in workqueue.waiting_for(scope_of(user), user)}

    admin = world.community_admin
    meeting = plan(world, branch, planned_on=date(2024, 7, 5))
    plan(world, branch, "lecture", planned_on=date(2099, 1, 1))  # not yet: nothing to record
    found = waiting(admin)["meetings"]
    assert found.count == 1 and found.items[0].url == f"/party/meetings/{meeting.pk}/" and found.items[0].overdue
    for persona in ("grid1_worker", "other_admin", "street_staff"):
        assert "meetings" not in waiting(world.users[persona]), persona
    record(world, meeting)
    assert "meetings" not in waiting(admin)
