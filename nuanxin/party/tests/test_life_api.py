"""The two-new register, organisational life, offices, transfers and a member's points over
the API: the same rules as the pages, a refusal a 400 naming the JSON field."""

from datetime import date

from nuanxin.party import actions
from nuanxin.party.models import BranchMeeting, PartyMember
from nuanxin.territory import actions as territory_actions
from nuanxin.testing import SYSTEM_SCOPE

BASE = "/api/v1/party"


def post(client, path, body):
    return client.post(f"{BASE}{path}", body, content_type="application/json")


def test_the_register_and_its_coverage_over_the_api(world, committee, client_for):
    office = client_for("community_admin")
    firm = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="enterprise", name="星光传媒", lng=102.7005, lat=24.9805
    )
    made = post(
        office, "/two-new", {"place_id": firm.pk, "kind": "enterprise", "employees": 40, "surveyed_on": "2024-03-01"}
    )
    assert made.status_code == 201 and made.json()["coverage"] == "none"
    again = post(
        office, "/two-new", {"place_id": firm.pk, "kind": "enterprise", "employees": 40, "surveyed_on": "2024-03-01"}
    )
    assert (again.status_code, again.json()["field"]) == (400, "place_id")
    record = made.json()["id"]
    early = post(
        office, f"/two-new/{record}/coverage", {"coverage": "instructor", "instructor": "王老师", "on": "2024-01-01"}
    )
    assert (early.status_code, early.json()["field"]) == (400, "on")
    covered = post(
        office, f"/two-new/{record}/coverage", {"coverage": "instructor", "instructor": "王老师", "on": "2024-04-01"}
    )
    assert covered.json()["coverage"] == "instructor"
    figures = office.get(
        f"{BASE}/coverage", {"node_id": world.community.pk, "from": "2024-01-01", "to": "2024-12-31"}
    ).json()
    assert (figures["organisations"], figures["joint_or_instructor"], figures["not_covered"]) == (1, 1, 0)
    before = office.get(
        f"{BASE}/coverage", {"node_id": world.community.pk, "from": "2024-01-01", "to": "2024-03-15"}
    ).json()
    assert (before["organisations"], before["not_covered"]) == (1, 1)
    assert client_for("grid1_worker").get(f"{BASE}/coverage").status_code == 404


def test_a_branch_meeting_is_planned_and_recorded_over_the_api(world, committee, client_for):
    office = client_for("community_admin")
    member = PartyMember.objects.create(
        org=committee, name="赵红", standing="full", status="registered", since=date(2020, 1, 1)
    )
    planned = post(
        office, f"/orgs/{committee.pk}/meetings", {"kind": "members", "planned_on": "2024-03-10", "topics": "学习"}
    )
    assert planned.status_code == 201
    meeting = planned.json()["id"]
    leave = post(
        office,
        f"/meetings/{meeting}/record",
        {"held_on": "2024-03-10", "attendance": [{"member_id": member.pk, "presence": "leave"}]},
    )
    assert (leave.status_code, leave.json()["field"]) == (400, "attendance")
    recorded = post(
        office,
        f"/meetings/{meeting}/record",
        {
            "held_on": "2024-03-10",
            "attendance": [{"member_id": member.pk, "presence": "present"}],
            "chair_id": member.pk,
        },
    )
    assert recorded.status_code == 200 and (recorded.json()["present"], recorded.json()["chair_id"]) == (1, member.pk)
    assert BranchMeeting.objects.get().held_on == date(2024, 3, 10)
    assert client_for("grid1_worker").get(f"{BASE}/meetings/{meeting}").status_code == 404


def test_offices_transfers_and_points_over_the_api(world, committee, client_for):
    from nuanxin.accounts.scope import scope_of

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
        status="registered",
        since=date(2020, 1, 1),
        user=world.rider,
    )
    office = client_for("community_admin")
    taken = post(
        office, f"/orgs/{branch.pk}/offices", {"member_id": member.pk, "office": "secretary", "since": "2021-01-01"}
    )
    assert taken.status_code == 201
    moved = post(office, f"/members/{member.pk}/transfer", {"to_id": committee.pk, "on": "2024-06-01"})
    assert moved.status_code == 200 and moved.json()["org_id"] == committee.pk
    same = post(office, f"/members/{moved.json()['member_id']}/transfer", {"to_id": committee.pk, "on": "2024-07-01"})
    assert (same.status_code, same.json()["field"]) == (400, "to_id")
    mine = client_for("rider").get(f"{BASE}/points/mine")
    assert mine.status_code == 200 and mine.json()["balance"] == 0
    assert client_for("resident").get(f"{BASE}/points/mine").status_code == 404
