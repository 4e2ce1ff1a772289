"""The joint meeting's pages: the office plans, shows the code, records resolutions and
verifies; a unit's representative signs in by the code, sees the task on their console and
reports with a photo; the minutes and the invitation download; nobody else reaches any of it."""

from datetime import date
from io import BytesIO

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from nuanxin.accounts.scope import scope_of
from nuanxin.core.models import AuditEntry
from nuanxin.party import meetings
from nuanxin.party.models import JointMeeting, MeetingAttendance, Task
from nuanxin.testing import photo_upload

DURING = "2025-03-20 14:40 +08:00"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@time_machine.travel("2025-03-10 10:00 +08:00", tick=False)
def test_the_office_plans_a_meeting_with_needs_on_the_agenda(world, alliance_setting, client_for):
    from nuanxin.party import alliance

    admin = world.community_admin
    need = alliance.raise_need(
        actor=admin,
        scope=scope_of(admin),
        committee=alliance_setting.committee,
        area=world.grid1,
        title="楼道照明改造",
        source="grid",
        raised_on=date(2025, 3, 1),
    )
    form = {
        "committee": alliance_setting.committee.pk,
        "kind": "joint",
        "title": "一季度联席会议",
        "starts_at": "2025-03-20T14:30",
        "ends_at": "2025-03-20T16:30",
        "location": "党群服务中心",
        "agenda": "通报共建项目\n研究助老餐",
        "needs": [need.pk],
    }
    office = client_for("community_admin")
    assert office.post(reverse("party:plan_joint_meeting"), form).status_code == 302
    meeting = JointMeeting.objects.get()
    assert [(i.title, i.need_id) for i in meeting.agenda.all()] == [
        ("通报共建项目", None),
        ("研究助老餐", None),
        ("楼道照明改造", need.pk),
    ]
    refused = office.post(reverse("party:plan_joint_meeting"), form | {"ends_at": "2025-03-20T14:00"})
    assert refused.status_code == 400 and refused.context["plan_form"].errors["ends_at"]
    assert JointMeeting.objects.count() == 1


@time_machine.travel(DURING, tick=False)
def test_a_representative_signs_in_by_the_code(world, alliance_setting, joint_meeting, client_for):
    office = client_for("community_admin")
    qr = office.get(reverse("party:joint_qr", args=[joint_meeting.pk]))
    assert qr.status_code == 200 and "<svg" in qr.content.decode()
    url = reverse("party:joint_sign_in", args=[meetings.sign_in_code(joint_meeting)])
    assert url in qr.content.decode()
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    rep = signed_in(alliance_setting.rep)
    page = rep.get(url)
    assert page.status_code == 200 and "测试银行" in page.content.decode()
    assert rep.post(url).status_code == 302
    assert MeetingAttendance.objects.get().unit == alliance_setting.unit
    assert "data-signed-in" in rep.get(url).content.decode()
    refused = signed_in(world.grid1_worker).post(url)
    assert refused.status_code == 403 and MeetingAttendance.objects.count() == 1
    assert Client().get(reverse("party:joint_sign_in", args=["1:forged"])).status_code == 400
    # The representative sees the meeting of their alliance; the QR page is the office's.
    assert rep.get(reverse("party:joint_meeting", args=[joint_meeting.pk])).status_code == 200
    assert rep.get(reverse("party:joint_qr", args=[joint_meeting.pk])).status_code == 404


@time_machine.travel(DURING, tick=False)
def test_a_resolution_goes_from_the_meeting_to_a_verified_published_result(
    world, alliance_setting, joint_meeting, client_for
):
    office = client_for("community_admin")
    form = {
        "title": "完成楼道照明改造",
        "owner": f"unit:{alliance_setting.unit.pk}",
        "deadline": "2025-05-31",
        "milestones": "2025-04-15 采购灯具\n2025-05-20 安装完成",
    }
    bad = office.post(reverse("party:joint_resolve", args=[joint_meeting.pk]), form | {"milestones": "下周 采购"})
    assert bad.status_code == 400 and bad.context["resolution_form"].errors["milestones"]
    assert office.post(reverse("party:joint_resolve", args=[joint_meeting.pk]), form).status_code == 302
    task = Task.objects.get()
    assert task.milestones.count() == 2
    rep = signed_in(alliance_setting.rep)
    listing = rep.get(reverse("party:tasks")).content.decode()
    assert "完成楼道照明改造" in listing
    first = task.milestones.order_by("due_on").first()
    report = {"note": "全部安装完毕", "progress": "100", "milestones": [first.pk], "photo": photo_upload()}
    assert rep.post(reverse("party:task_report", args=[task.pk]), report).status_code == 302
    task.refresh_from_db()
    assert task.state == "finished"
    photo = task.reports.get()
    assert rep.get(reverse("party:task_photo", args=[task.pk, photo.pk])).status_code == 200
    assert signed_in(world.grid1_worker).get(reverse("party:task", args=[task.pk])).status_code == 404
    assert rep.post(reverse("party:task_verify", args=[task.pk]), {"accepted": "yes"}).status_code == 404
    assert office.post(reverse("party:task_verify", args=[task.pk]), {"accepted": "yes"}).status_code == 302
    assert office.post(reverse("party:task_publish", args=[task.pk])).status_code == 302
    # Published: a resident sees the result.
    assert client_for("resident").get(reverse("party:task", args=[task.pk])).status_code == 200


@time_machine.travel(DURING, tick=False)
def test_the_minutes_and_the_invitation_download(world, alliance_setting, joint_meeting, client_for):
    from docx import Document

    rep = alliance_setting.rep
    meetings.sign_in(actor=rep, scope=scope_of(rep), meeting=joint_meeting)
    admin = world.community_admin
    meetings.hold_meeting(actor=admin, scope=scope_of(admin), meeting=joint_meeting, minutes="会议通报了一季度工作。")
    meetings.add_resolution(
        actor=admin,
        scope=scope_of(admin),
        meeting=joint_meeting,
        title="完成楼道照明改造",
        deadline=date(2025, 5, 31),
        owner_unit=alliance_setting.unit,
    )
    office = client_for("community_admin")
    word = office.get(reverse("party:joint_minutes_docx", args=[joint_meeting.pk]))
    assert word.status_code == 200
    text = "\n".join(p.text for p in Document(BytesIO(word.content)).paragraphs)
    assert "2025年第一季度大党委联席会议" in text and "测试银行：银行代表" in text and "会议通报了一季度工作。" in text
    table = Document(BytesIO(word.content)).tables[0]
    assert [c.text for c in table.rows[1].cells][:3] == ["完成楼道照明改造", "测试银行", "2025-05-31"]
    pdf = office.get(reverse("party:joint_minutes_pdf", args=[joint_meeting.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="party.minutes_downloaded").count() == 2
    ics = signed_in(rep).get(reverse("party:joint_invitation", args=[joint_meeting.pk]))
    body = ics.content.decode()
    assert ics["Content-Type"].startswith("text/calendar")
    assert "DTSTART:20250320T063000Z\r\n" in body and "DTEND:20250320T083000Z\r\n" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "")
    assert (
        "SUMMARY:2025年第一季度大党委联席会议" in unfolded and "1. 通报一季度共建项目\\n2. 研究楼道照明改造" in unfolded
    )


@time_machine.travel(DURING, tick=False)
@pytest.mark.parametrize("persona", ["grid1_worker", "street_staff", "other_admin", "resident", "partner"])
def test_nobody_else_reaches_the_meeting(world, joint_meeting, client_for, persona):
    client = client_for(persona)
    for name in ("party:joint_meeting", "party:joint_minutes_docx", "party:joint_invitation"):
        assert client.get(reverse(name, args=[joint_meeting.pk])).status_code == 404


@time_machine.travel(DURING, tick=False)
def test_tasks_wait_for_their_owner_then_for_the_office(world, alliance_setting, joint_meeting):
    from nuanxin.core import workqueue

    def waiting(user):
        return {w.source.key: w for w in workqueue.waiting_for(scope_of(user), user) if w.count}

    admin, rep = world.community_admin, alliance_setting.rep
    task = meetings.add_resolution(
        actor=admin,
        scope=scope_of(admin),
        meeting=joint_meeting,
        title="助老餐",
        deadline=date(2025, 4, 30),
        owner_unit=alliance_setting.unit,
    )
    staff_task = meetings.add_resolution(
        actor=admin,
        scope=scope_of(admin),
        meeting=joint_meeting,
        title="整理会议纪要",
        deadline=date(2025, 3, 25),
        owner_user=world.community_staff,
    )
    assert [i.title for i in waiting(rep)["party_own"].items] == ["助老餐"]
    assert [i.title for i in waiting(world.community_staff)["party_own"].items] == ["整理会议纪要"]
    assert "party_tasks_to_verify" not in waiting(admin)
    meetings.report_progress(actor=rep, scope=scope_of(rep), task=task, note="已完成", progress=100)
    assert "party_own" not in waiting(rep)
    assert [i.title for i in waiting(admin)["party_tasks_to_verify"].items] == ["助老餐"]
    assert "party_own" not in waiting(world.grid1_worker) and "party_tasks_to_verify" not in waiting(world.grid1_worker)
    with time_machine.travel("2025-04-01 09:00 +08:00", tick=False):
        meetings.remind_and_escalate()
        assert {i.title for i in waiting(admin)["party_tasks_to_verify"].items} == {"助老餐", staff_task.title}
