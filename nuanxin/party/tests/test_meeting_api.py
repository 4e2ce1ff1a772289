"""Joint meetings and resolution tasks over the API: the office plans and assigns, a unit's
representative signs in with the code and reports with a photo, the office verifies; bad
input is a 400 naming the field and writes nothing."""

from datetime import date

import time_machine
from django.test import Client

from nuanxin.party import meetings
from nuanxin.party.models import JointMeeting, Task
from nuanxin.testing import photo_upload

DURING = "2025-03-20 14:40 +08:00"
BASE = "/api/v1/party"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_office_plans_a_meeting_and_bad_input_names_the_field(world, alliance_setting, client_for):
    office = client_for("community_admin")
    body = {
        "committee_id": alliance_setting.committee.pk,
        "kind": "joint",
        "title": "二季度联席会议",
        "starts_at": "2025-06-20T14:30:00+08:00",
        "ends_at": "2025-06-20T16:30:00+08:00",
        "location": "党群服务中心",
        "agenda": [{"title": "通报共建项目"}],
    }
    made = office.post(f"{BASE}/joint-meetings", body, content_type="application/json")
    assert made.status_code == 201
    assert [i["title"] for i in made.json()["agenda"]] == ["通报共建项目"]
    for change, field in (
        ({"ends_at": "2025-06-20T14:00:00+08:00"}, "ends_at"),
        ({"agenda": []}, "agenda"),
        ({"agenda": [{"need_id": 999999}]}, "agenda.0.need_id"),
        ({"committee_id": 999999}, "committee_id"),
    ):
        refused = office.post(f"{BASE}/joint-meetings", body | change, content_type="application/json")
        assert (refused.status_code, refused.json()["field"]) == (400, field)
    assert JointMeeting.objects.count() == 1


@time_machine.travel(DURING, tick=False)
def test_sign_in_resolution_report_and_verification_over_the_api(world, alliance_setting, joint_meeting, client_for):
    rep = signed_in(alliance_setting.rep)
    token = meetings.sign_in_code(joint_meeting)
    signed = rep.post(f"{BASE}/joint-meetings/sign-in", {"token": token}, content_type="application/json")
    assert signed.status_code == 200 and signed.json()["unit_id"] == alliance_setting.unit.pk
    forged = rep.post(f"{BASE}/joint-meetings/sign-in", {"token": token + "x"}, content_type="application/json")
    assert (forged.status_code, forged.json()["field"]) == (400, "token")
    office = client_for("community_admin")
    resolution = {"title": "完成楼道照明改造", "deadline": "2025-05-31", "owner_unit_id": alliance_setting.unit.pk}
    two_owners = office.post(
        f"{BASE}/joint-meetings/{joint_meeting.pk}/resolutions",
        resolution | {"owner_user_id": world.community_staff.pk},
        content_type="application/json",
    )
    assert two_owners.status_code == 400 and two_owners.json()["field"] == "owner_unit_id"
    late = office.post(
        f"{BASE}/joint-meetings/{joint_meeting.pk}/resolutions",
        resolution | {"milestones": [{"title": "验收", "due_on": "2025-07-01"}]},
        content_type="application/json",
    )
    assert (late.status_code, late.json()["field"]) == (400, "milestones.0.due_on")
    assert not Task.objects.exists()
    made = office.post(
        f"{BASE}/joint-meetings/{joint_meeting.pk}/resolutions", resolution, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["owner"] == "测试银行"
    task_id = made.json()["id"]
    assert [t["id"] for t in rep.get(f"{BASE}/tasks").json()["items"]] == [task_id]
    reported = rep.post(
        f"{BASE}/tasks/{task_id}/reports", {"note": "安装完毕", "progress": "100", "photo": photo_upload()}
    )
    assert reported.status_code == 201 and reported.json()["state"] == "finished"
    out_of_range = rep.post(f"{BASE}/tasks/{task_id}/reports", {"note": "x", "progress": "120"})
    assert out_of_range.status_code == 422 and out_of_range.json()["field"] == "progress"
    assert (
        rep.post(
            f"{BASE}/tasks/{task_id}/verification", {"accepted": True}, content_type="application/json"
        ).status_code
        == 404
    )
    verified = office.post(f"{BASE}/tasks/{task_id}/verification", {"accepted": True}, content_type="application/json")
    assert verified.json()["state"] == "verified" and verified.json()["on_time"] is True
    assert office.post(f"{BASE}/tasks/{task_id}/publish").json()["published"] is True
    assert signed_in(world.resident).get(f"{BASE}/tasks/{task_id}").status_code == 200


@time_machine.travel(DURING, tick=False)
def test_others_reach_no_meeting_and_no_task(world, alliance_setting, joint_meeting, client_for):
    admin = world.community_admin
    from nuanxin.accounts.scope import scope_of

    task = meetings.add_resolution(
        actor=admin,
        scope=scope_of(admin),
        meeting=joint_meeting,
        title="助老餐",
        deadline=date(2025, 4, 30),
        owner_unit=alliance_setting.unit,
    )
    for persona in ("grid1_worker", "other_admin", "partner", "resident"):
        client = client_for(persona)
        assert client.get(f"{BASE}/joint-meetings/{joint_meeting.pk}").status_code == 404
        assert client.get(f"{BASE}/tasks/{task.pk}").status_code == 404
        assert client.post(f"{BASE}/tasks/{task.pk}/reports", {"note": "x", "progress": "10"}).status_code == 404
