"""Joint meetings and their resolutions: the agenda, QR sign-in by units and the office,
tasks with one owner and milestones, progress reports, verification, publishing, and the
reminder and escalation of overdue tasks."""

from datetime import date

import pytest
import time_machine

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry, Notification
from nuanxin.party import meetings
from nuanxin.party.models import JointMeeting, MeetingAttendance, Task
from nuanxin.party.tests.conftest import local
from nuanxin.testing import image_bytes

DURING = "2025-03-20 14:40 +08:00"
AFTER = "2025-03-21 09:00 +08:00"


def office(world):
    return {"actor": world.community_admin, "scope": scope_of(world.community_admin)}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": local(date(2025, 3, 20), 14, 0)}, "ends_at"),
        ({"agenda": []}, "agenda"),
        ({"agenda": [meetings.AgendaIn("")]}, "agenda.0.title"),
        ({"kind": "party"}, "kind"),
        ({"location": ""}, "location"),
    ],
)
def test_a_bad_meeting_is_refused_and_nothing_written(world, alliance_setting, change, field):
    fields = {
        "committee": alliance_setting.committee,
        "kind": "joint",
        "title": "联席会议",
        "starts_at": local(date(2025, 3, 20), 14, 30),
        "ends_at": local(date(2025, 3, 20), 16, 30),
        "location": "会议室",
        "agenda": [meetings.AgendaIn("议题")],
    }
    with pytest.raises(DomainError) as error:
        meetings.plan_joint_meeting(**office(world), **(fields | change))
    assert error.value.field == field
    assert not JointMeeting.objects.exists()


def test_a_need_of_another_alliance_is_not_on_the_agenda(world, alliance_setting, far_committee):
    from nuanxin.party import alliance

    other = world.other_admin
    need = alliance.raise_need(
        actor=other,
        scope=scope_of(other),
        committee=far_committee,
        area=world.other_grid,
        title="外社区需求",
        source="grid",
        raised_on=date(2024, 1, 1),
    )
    with pytest.raises(DomainError) as error:
        meetings.plan_joint_meeting(
            **office(world),
            committee=alliance_setting.committee,
            kind="joint",
            title="联席会议",
            starts_at=local(date(2025, 3, 20), 14, 30),
            ends_at=local(date(2025, 3, 20), 16, 30),
            location="会议室",
            agenda=[meetings.AgendaIn("", need=need)],
        )
    assert error.value.field == "agenda.0.need"


def test_the_code_signs_in_the_units_people_and_the_office_within_its_time(world, alliance_setting, joint_meeting):
    token = meetings.sign_in_code(joint_meeting)
    with pytest.raises(DomainError) as error:
        meetings.meeting_for_code(token, now=local(date(2025, 3, 20), 13, 0))
    assert error.value.field == "token"  # opens at 13:30
    with pytest.raises(DomainError):
        meetings.meeting_for_code(token, now=local(date(2025, 3, 20), 16, 31))
    with pytest.raises(DomainError):
        meetings.meeting_for_code(token[:-2] + "xx", now=local(date(2025, 3, 20), 14, 0))
    assert meetings.meeting_for_code(token, now=local(date(2025, 3, 20), 14, 0)) == joint_meeting
    rep = alliance_setting.rep
    first = meetings.sign_in(actor=rep, scope=scope_of(rep), meeting=joint_meeting)
    again = meetings.sign_in(actor=rep, scope=scope_of(rep), meeting=joint_meeting)
    assert first.pk == again.pk and first.unit == alliance_setting.unit and first.method == "qr"
    staff = world.community_staff
    assert meetings.sign_in(actor=staff, scope=scope_of(staff), meeting=joint_meeting).unit is None
    for outsider in (world.grid1_worker, world.partner, world.other_admin):
        with pytest.raises(DomainError):
            meetings.sign_in(actor=outsider, scope=scope_of(outsider), meeting=joint_meeting)
    assert MeetingAttendance.objects.count() == 2
    assert AuditEntry.objects.filter(action="party.joint_meeting_signed_in").count() == 2


@time_machine.travel(DURING, tick=False)
def test_a_resolution_has_exactly_one_owner_of_the_alliance(world, alliance_setting, joint_meeting, committee):
    base = {"meeting": joint_meeting, "title": "完成楼道照明改造", "deadline": date(2025, 5, 31)}
    for owners in ({}, {"owner_unit": alliance_setting.unit, "owner_user": world.community_staff}):
        with pytest.raises(DomainError) as error:
            meetings.add_resolution(**office(world), **base, **owners)
        assert error.value.field == "owner"
    for owner in ({"owner_user": world.grid1_worker}, {"owner_branch": committee}):
        with pytest.raises(DomainError) as error:
            meetings.add_resolution(**office(world), **base, **owner)
        assert error.value.field == "owner"
    with pytest.raises(DomainError) as error:
        meetings.add_resolution(
            **office(world), **(base | {"deadline": date(2025, 3, 1)}), owner_unit=alliance_setting.unit
        )
    assert error.value.field == "deadline"
    with pytest.raises(DomainError) as error:
        meetings.add_resolution(
            **office(world),
            **base,
            owner_unit=alliance_setting.unit,
            milestones=[meetings.MilestoneIn("验收", date(2025, 6, 30))],
        )
    assert error.value.field == "milestones.0.due_on"
    assert not Task.objects.exists()
    task = meetings.add_resolution(
        **office(world),
        **base,
        owner_unit=alliance_setting.unit,
        milestones=[
            meetings.MilestoneIn("采购灯具", date(2025, 4, 15)),
            meetings.MilestoneIn("安装", date(2025, 5, 20)),
        ],
    )
    assert task.milestones.count() == 2
    assert Notification.objects.filter(recipient=alliance_setting.rep, url__endswith=f"/tasks/{task.pk}/").exists()


@time_machine.travel(DURING, tick=False)
def test_resolutions_wait_until_the_meeting_has_begun(world, alliance_setting, joint_meeting):
    with time_machine.travel("2025-03-19 10:00 +08:00", tick=False), pytest.raises(DomainError) as error:
        meetings.add_resolution(
            **office(world),
            meeting=joint_meeting,
            title="x",
            deadline=date(2025, 5, 1),
            owner_unit=alliance_setting.unit,
        )
    assert error.value.field == "meeting"


@time_machine.travel(DURING, tick=False)
def test_the_owner_reports_the_office_verifies_and_publishes(world, alliance_setting, joint_meeting):
    task = meetings.add_resolution(
        **office(world),
        meeting=joint_meeting,
        title="完成楼道照明改造",
        deadline=date(2025, 5, 31),
        owner_unit=alliance_setting.unit,
        milestones=[meetings.MilestoneIn("采购灯具", date(2025, 4, 15))],
    )
    rep = {"actor": alliance_setting.rep, "scope": scope_of(alliance_setting.rep)}
    step = task.milestones.get()
    with time_machine.travel("2025-04-10 10:00 +08:00", tick=False):
        meetings.report_progress(**rep, task=task, note="灯具已采购", progress=40, milestones_done=[step.pk])
    step.refresh_from_db()
    assert step.done_on == date(2025, 4, 10)
    with pytest.raises(DomainError) as error:
        meetings.report_progress(**rep, task=task, note="", progress=50)
    assert error.value.field == "note"
    with pytest.raises(DomainError) as error:
        meetings.report_progress(**rep, task=task, note="x", progress=120)
    assert error.value.field == "progress"
    for stranger in (world.grid1_worker, world.partner):
        with pytest.raises(DomainError) as error:
            meetings.report_progress(actor=stranger, scope=scope_of(stranger), task=task, note="x", progress=50)
        assert error.value.code == "forbidden"
    from io import BytesIO

    with time_machine.travel("2025-05-28 10:00 +08:00", tick=False):
        meetings.report_progress(**rep, task=task, note="全部安装完毕", progress=100, photo=BytesIO(image_bytes()))
    task.refresh_from_db()
    assert (task.state, task.finished_on, task.on_time) == ("finished", date(2025, 5, 28), True)
    assert task.reports.last().photo_name
    with pytest.raises(DomainError) as error:
        meetings.verify_task(**office(world), task=task, accepted=False)
    assert error.value.field == "reason"
    meetings.verify_task(**office(world), task=task, accepted=False, reason="三单元还没装")
    task.refresh_from_db()
    assert (task.state, task.progress) == ("open", 90)
    meetings.report_progress(**rep, task=task, note="三单元已装", progress=100)
    with pytest.raises(DomainError):
        meetings.publish_task(**office(world), task=task)  # not verified yet
    meetings.verify_task(**office(world), task=task, accepted=True)
    meetings.publish_task(**office(world), task=task)
    task.refresh_from_db()
    assert task.state == "verified" and task.published_at is not None
    # Published: every signed-in viewer sees the result.
    assert Task.objects.visible_to(scope_of(world.resident)).filter(pk=task.pk).exists()
    with pytest.raises(DomainError) as error:
        meetings.report_progress(**rep, task=task, note="x", progress=100)
    assert error.value.code == "stale"


@time_machine.travel(DURING, tick=False)
def test_an_overdue_task_is_reminded_then_escalated_once(world, alliance_setting, joint_meeting):
    task = meetings.add_resolution(
        **office(world),
        meeting=joint_meeting,
        title="助老餐",
        deadline=date(2025, 4, 30),
        owner_unit=alliance_setting.unit,
    )
    with time_machine.travel("2025-04-30 20:00 +08:00", tick=False):
        assert meetings.remind_and_escalate() == {"reminded": 0, "escalated": 0}
    with time_machine.travel("2025-05-01 09:00 +08:00", tick=False):
        assert meetings.remind_and_escalate() == {"reminded": 1, "escalated": 0}
        assert meetings.remind_and_escalate() == {"reminded": 0, "escalated": 0}
    assert Notification.objects.filter(recipient=alliance_setting.rep, title__contains="助老餐").count() == 2
    with time_machine.travel("2025-05-04 09:00 +08:00", tick=False):
        assert meetings.remind_and_escalate() == {"reminded": 0, "escalated": 1}
        assert meetings.remind_and_escalate() == {"reminded": 0, "escalated": 0}
    task.refresh_from_db()
    assert task.escalated_on == date(2025, 5, 4)
    assert Notification.objects.filter(recipient=world.community_admin, url__endswith=f"/tasks/{task.pk}/").exists()
    assert AuditEntry.objects.filter(action="party.task_escalated").count() == 1
