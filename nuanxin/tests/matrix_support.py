"""The declarations of the authorisation matrix (test_authorization_matrix.py).

`API` declares every operation of /api/v1/ and `PAGES` every page (URL pattern): who may act
on the object inside grid 1 (community C01), which fill key of the test's objects each path
parameter takes, and for an API write a minimal valid body and the model it writes.
The declarations say what docs/scope.md says; where the code answers otherwise, the code is fixed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Checklist answers with nothing wrong (the food-safety and fire-safety demo templates).
from nuanxin.inspections.tests.test_record import FIRE_CLEAN, FOOD_CLEAN
from nuanxin.testing import PERSONAS

ANONYMOUS = "anonymous"
GLOBAL = frozenset({"system_admin", "auditor"})
SIGNED_IN = frozenset(PERSONAS)
EVERYONE = SIGNED_IN | {ANONYMOUS}
NOBODY: frozenset[str] = frozenset()

# Who reaches grid 1 with a permission of the field (docs/scope.md's table).
ADMINS = frozenset({"system_admin", "community_admin"})
MANAGERS = ADMINS | {"community_staff"}  # community staff: places, people, cases, stations
FIELD = MANAGERS | {"grid1_leader", "grid1_worker"}  # field work: people, visits, disputes, activities
# Street staff manage only the cases escalated to the street: not grid 1's grid-level case.
CASE_MANAGERS = MANAGERS | {"grid1_leader"}
VIEWERS = FIELD | {"street_staff"}  # read only for street staff
TERRITORY_VIEWERS = VIEWERS | {"grid1_helper"}  # helper: places, masked residents, cases
# Lists answer 404 to whoever holds the permission nowhere, and an empty page to the rest.
LISTERS = VIEWERS | {"grid2_worker", "other_admin"}
VOLUNTEERS = frozenset({"rider", "resident"})  # the personas registered as volunteers
# Personas whose reach holds the outside object (the other community): global roles, the
# street (both communities are under it) and the other community's admin.
OUTSIDE_REACH = GLOBAL | {"street_staff", "other_admin"}

MISSING = 999_999_999  # an id nothing has
JOINT = {"meeting_id": "joint_meeting_id"}  # a joint meeting (meeting_id alone: a branch's)


@dataclass(frozen=True)
class Op:
    """One operation's declaration. `allowed`: the personas who may act on the object inside
    grid 1 (or, without path parameters, at all). `params`: path parameter -> fill key of
    `Objects` (default: the parameter's name). `body(objects)`: the JSON (or multipart) body of
    a write. `model`: the "app.Model" a write adds to or changes, counted before and after a
    denied attempt. `accept`: the statuses an allowed persona may get (default: any 2xx);
    `outside`: False when the operation has no object of a scope (lists, own records)."""

    allowed: frozenset[str]
    params: dict[str, str] = field(default_factory=dict)
    body: Callable[[Any], Any] | None = None
    model: str = ""
    accept: frozenset[int] = frozenset()
    multipart: bool = False
    outside: bool = True
    reveals: bool = False  # its answer is the raw value by design (reveal): not for the canary
    query: dict[str, Any] = field(default_factory=dict)
    # What a refused persona may get besides 403/404: 400 naming the field when the body's
    # place or grid lies outside their area (a create has no object in the path to hide).
    deny_also: frozenset[int] = frozenset()
    # Who may act on the outside object when it is their own (a token, a notification).
    outside_allowed: frozenset[str] = frozenset()
    note: str = ""


def _op(allowed: frozenset[str] | set[str], **kw: Any) -> Op:
    return Op(allowed=frozenset(allowed), **kw)


def _photo() -> Any:
    from nuanxin.testing import photo_upload

    return photo_upload()


API: dict[str, Op] = {
    # accounts: one's own tokens (signing in itself: accounts/tests)
    "POST /api/v1/auth/token": _op(
        EVERYONE,
        body=lambda o: {"username": "nobody-here", "password": "wrong-password"},
        accept=frozenset({400}),
        outside=False,
    ),
    "DELETE /api/v1/auth/token": _op(SIGNED_IN, outside=False, model="accounts.ApiToken"),
    "GET /api/v1/auth/me": _op(SIGNED_IN, outside=False),
    "GET /api/v1/auth/tokens": _op(SIGNED_IN, outside=False),
    "DELETE /api/v1/auth/tokens/{token_id}": _op(
        {"grid1_worker"}, model="accounts.ApiToken", outside_allowed=frozenset({"other_admin"})
    ),
    # territory: the tree is public to anyone signed in (Area's public filter)
    "GET /api/v1/areas": _op(SIGNED_IN, outside=False),
    "GET /api/v1/areas/{area_id}": _op(SIGNED_IN, outside=False),
    "PATCH /api/v1/areas/{area_id}": _op(ADMINS, body=lambda o: {"name": "一网格（改）"}, model="territory.Area"),
    "GET /api/v1/places": _op(SIGNED_IN, outside=False),
    "POST /api/v1/places": _op(
        FIELD,
        body=lambda o: {"kind": "merchant", "name": "新店", "lng": 102.7011, "lat": 24.9811},
        model="territory.Place",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "GET /api/v1/places/{place_id}": _op(TERRITORY_VIEWERS),
    "PATCH /api/v1/places/{place_id}": _op(FIELD, body=lambda o: {"name": "一号院（改）"}, model="territory.Place"),
    "GET /api/v1/staffing": _op(SIGNED_IN, outside=False),
    # people
    "GET /api/v1/people/residents": _op(SIGNED_IN, outside=False),
    "POST /api/v1/people/residents": _op(
        FIELD,
        body=lambda o: {"name": "新居民", "place_id": o.inside["place_id"]},
        model="people.Resident",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "POST /api/v1/people/residents/search": _op(
        SIGNED_IN - {"auditor"}, body=lambda o: {"text": "张三"}, outside=False
    ),
    "GET /api/v1/people/residents/{resident_id}": _op(TERRITORY_VIEWERS),
    "PATCH /api/v1/people/residents/{resident_id}": _op(
        FIELD, body=lambda o: {"name": "张三丰"}, model="people.Resident"
    ),
    "DELETE /api/v1/people/residents/{resident_id}/tags/{tag_id}": _op(FIELD, model="people.ResidentTag"),
    "POST /api/v1/people/residents/{resident_id}/reveal": _op(
        FIELD, body=lambda o: {"field": "phone", "reason": "上门核实"}, reveals=True
    ),
    "GET /api/v1/people/households": _op(SIGNED_IN, outside=False),
    # inspections
    "GET /api/v1/inspections/targets": _op(LISTERS, outside=False),
    "POST /api/v1/inspections/targets": _op(
        ADMINS,
        body=lambda o: {
            "category": "catering",
            "tier": "low",
            "worker_id": o.users["grid1_worker"],
            "place_id": o.inside["place_id"],
        },
        model="inspections.WatchTarget",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "GET /api/v1/inspections/targets/{target_id}": _op(VIEWERS),
    "POST /api/v1/inspections/targets/{target_id}/tier": _op(
        ADMINS, body=lambda o: {"tier": "medium", "reason": "整改到位"}, model="inspections.WatchTarget"
    ),
    "POST /api/v1/inspections/targets/{target_id}/end": _op(
        ADMINS, body=lambda o: {"reason": "已停业"}, model="inspections.WatchTarget"
    ),
    "GET /api/v1/inspections/visits": _op(LISTERS, outside=False),
    "GET /api/v1/inspections/visits/{visit_id}": _op(VIEWERS),
    "POST /api/v1/inspections/visits/{visit_id}/photos": _op(
        FIELD, body=lambda o: {"photos": _photo()}, multipart=True, model="inspections.VisitPhoto"
    ),
    "POST /api/v1/inspections/visits/{visit_id}/record": _op(
        FIELD,
        body=lambda o: {"answers": FOOD_CLEAN},
        model="inspections.Visit",
    ),
    "GET /api/v1/inspections/rectifications": _op(LISTERS, outside=False),
    "GET /api/v1/inspections/rectifications/{order_id}": _op(VIEWERS),
    "POST /api/v1/inspections/rectifications/{order_id}/deadline": _op(
        FIELD, body=lambda o: {"deadline": "2030-01-31", "reason": "材料未到"}, model="inspections.Rectification"
    ),
    # disputes and ledgers
    "GET /api/v1/disputes": _op(LISTERS, outside=False),
    "POST /api/v1/disputes": _op(
        FIELD,
        body=lambda o: {
            "kind": "neighbour",
            "source": "walk_in",
            "grid_id": o.inside["area_id"],
            "received_on": "2024-06-03",
            "summary": "楼上漏水",
            "parties": [{"kind": "person", "name": "张三丰"}, {"kind": "unit", "name": "物业"}],
        },
        model="ledgers.Dispute",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "GET /api/v1/disputes/{dispute_id}": _op(VIEWERS),
    "POST /api/v1/disputes/{dispute_id}/mediators": _op(
        FIELD,
        body=lambda o: {"group": "volunteer", "name": "老李"},
        model="ledgers.Mediator",
    ),
    "POST /api/v1/disputes/{dispute_id}/sessions": _op(
        FIELD, body=lambda o: {"held_on": "2024-06-05", "summary": "第一次调解"}, model="ledgers.MediationSession"
    ),
    "POST /api/v1/disputes/{dispute_id}/close": _op(
        FIELD,
        body=lambda o: {"outcome": "failed", "closed_on": "2024-06-10"},
        multipart=True,
        model="ledgers.Dispute",
    ),
    "GET /api/v1/ledgers": _op(LISTERS, outside=False),
    "GET /api/v1/ledgers/{code}": _op(LISTERS, params={"code": "ledger"}, outside=False),
    "GET /api/v1/ledgers/{code}/export": _op(
        FIELD | {"grid2_worker", "other_admin"}, params={"code": "ledger"}, outside=False
    ),
    "POST /api/v1/ledgers/{code}/import": _op(
        MANAGERS | {"other_admin"},
        params={"code": "ledger"},
        body=lambda o: {"file": _photo()},
        multipart=True,
        model="inspections.Visit",
        accept=frozenset({400}),
        outside=False,
        note="not a workbook: the allowed get 400",
    ),
    # activities (campaigns)
    "GET /api/v1/activities": _op(LISTERS, outside=False),
    "POST /api/v1/activities": _op(
        FIELD,
        body=lambda o: {
            "kind": "cleanup",
            "title": "清理",
            "area_id": o.inside["area_id"],
            "starts_on": "2024-06-08",
            "ends_on": "2024-06-08",
        },
        model="volunteers.Activity",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "GET /api/v1/activities/{activity_id}": _op(VIEWERS),
    "POST /api/v1/activities/{activity_id}/participants": _op(
        FIELD, body=lambda o: {"group": "resident", "name": "老王"}, model="volunteers.Participant"
    ),
    "DELETE /api/v1/activities/{activity_id}/participants/{participant_id}": _op(FIELD, model="volunteers.Participant"),
    "POST /api/v1/activities/{activity_id}/places": _op(
        FIELD,
        body=lambda o: {"place_ids": [o.inside["place_id"]]},
        model="volunteers.Activity",
        accept=frozenset({200, 400}),
    ),
    "POST /api/v1/activities/{activity_id}/findings": _op(
        FIELD, body=lambda o: {"findings": "清理完毕"}, model="volunteers.Activity"
    ),
    "POST /api/v1/activities/{activity_id}/checks": _op(
        FIELD,
        body=lambda o: {"place_id": o.inside["place_id"], "template": "fire-safety", "answers": FIRE_CLEAN},
        model="inspections.Visit",
        accept=frozenset({201, 400}),
        deny_also=frozenset({400}),
        note="the body names the place inside grid 1: on the outside activity the allowed get 400 on place_id",
    ),
    "GET /api/v1/insights/period": _op(LISTERS, outside=False),
    # volunteers: one's own registration, sign-ups, hours and points
    "POST /api/v1/volunteers/register": _op(
        SIGNED_IN - {"auditor"},
        body=lambda o: {
            "name": "张小明",
            "phone": "13900001111",
            "group": "rider",
            "home_grid_id": o.inside["area_id"],
        },
        model="volunteers.Volunteer",
        outside=False,
        accept=frozenset({200, 201, 400}),
    ),
    "GET /api/v1/volunteers/me": _op(VOLUNTEERS, outside=False),
    "GET /api/v1/volunteers/activities": _op(SIGNED_IN, outside=False),
    "GET /api/v1/volunteers/activities/{activity_id}": _op(
        SIGNED_IN,
        params={"activity_id": "published"},
        outside_allowed=SIGNED_IN,
        note="a published activity is an announcement for anyone signed in, wherever it is",
    ),
    "POST /api/v1/volunteers/activities/{activity_id}/signup": _op(
        VOLUNTEERS,
        params={"activity_id": "published"},
        body=lambda o: {},
        model="volunteers.SignUp",
        deny_also=frozenset({400}),
        outside=False,
        note="one not registered as a volunteer gets 400 naming volunteer; announcements have no outside",
    ),
    "POST /api/v1/volunteers/signups/{signup_id}/cancel": _op(
        FIELD | {"rider"}, model="volunteers.SignUp", accept=frozenset({200, 400})
    ),
    "GET /api/v1/volunteers/signups": _op(SIGNED_IN, outside=False),
    "POST /api/v1/volunteers/checkin": _op(
        SIGNED_IN - {"auditor"}, body=lambda o: {"token": "not-a-token"}, outside=False, accept=frozenset({400})
    ),
    "POST /api/v1/volunteers/activities/{activity_id}/publish": _op(
        FIELD,
        params={"activity_id": "published"},
        body=lambda o: {"start_time": "09:00", "end_time": "11:00"},
        model="volunteers.Activity",
    ),
    "GET /api/v1/volunteers/activities/{activity_id}/signups": _op(FIELD),
    "POST /api/v1/volunteers/activities/{activity_id}/attendance": _op(
        FIELD,
        params={"activity_id": "running"},
        body=lambda o: {"volunteer_id": o.inside["volunteer_id"]},
        model="volunteers.Attendance",
        note="the rider signed up for both running activities",
    ),
    "POST /api/v1/volunteers/activities/{activity_id}/cancel": _op(
        FIELD, params={"activity_id": "published"}, body=lambda o: {"reason": "下雨"}, model="volunteers.Activity"
    ),
    "GET /api/v1/volunteers/partners": _op(FIELD | {"grid2_worker", "other_admin"}, outside=False),
    "POST /api/v1/volunteers/partners": _op(
        ADMINS | {"other_admin"},
        body=lambda o: {"name": "快送平台", "kind": "platform"},
        model="volunteers.Partner",
        outside=False,
    ),
    "POST /api/v1/volunteers/partners/{partner_id}/representatives": _op(
        ADMINS | {"other_admin"},
        body=lambda o: {"user_id": o.users["stranger"]},
        model="accounts.RoleGrant",
        outside=False,
    ),
    "GET /api/v1/hours/mine": _op(SIGNED_IN, outside=False),
    "POST /api/v1/hours/records/{record_id}/corrections": _op(
        {"rider"},
        body=lambda o: {"minutes": 90, "reason": "提前到场"},
        model="volunteers.HoursCorrection",
        accept=frozenset({201, 400}),
    ),
    "GET /api/v1/hours/activities/{activity_id}/records": _op(FIELD),
    "POST /api/v1/hours/activities/{activity_id}/approve-all": _op(FIELD, model="volunteers.ServiceRecord"),
    "POST /api/v1/hours/records/{record_id}/approve": _op(
        FIELD, params={"record_id": "approvable_record"}, model="volunteers.ServiceRecord"
    ),
    "POST /api/v1/hours/corrections/{correction_id}/decide": _op(
        FIELD, body=lambda o: {"approve": True}, model="volunteers.HoursCorrection"
    ),
    "GET /api/v1/hours/certificate.docx": _op(VOLUNTEERS, outside=False),
    "GET /api/v1/hours/certificate.pdf": _op(VOLUNTEERS, outside=False),
    "GET /api/v1/hours/volunteers/{volunteer_id}/certificate.docx": _op(VIEWERS | {"rider"}),
    "GET /api/v1/hours/volunteers/{volunteer_id}/certificate.pdf": _op(VIEWERS | {"rider"}),
    "GET /api/v1/points": _op(VOLUNTEERS, outside=False),
    "GET /api/v1/points/rewards": _op(VOLUNTEERS, outside=False),
    "GET /api/v1/points/vouchers": _op(VOLUNTEERS, outside=False),
    "POST /api/v1/points/vouchers": _op(
        VOLUNTEERS,
        body=lambda o: {"reward_id": o.inside["reward_id"]},
        model="volunteers.Redemption",
        outside=False,
        note="the community's reward, offered to both volunteers (home grids 1 and 2)",
    ),
    "POST /api/v1/points/vouchers/{redemption_id}/cancel": _op(
        {"rider"}, model="volunteers.PointsEntry", note="the holder's own voucher only"
    ),
    "POST /api/v1/points/confirm/lookup": _op(
        FIELD | {"grid2_worker", "other_admin"},
        body=lambda o: {"code": "NOPE-NOPE"},
        outside=False,
        accept=frozenset({400}),
        note="no voucher built: the allowed get 400 on code",
    ),
    "POST /api/v1/points/confirm": _op(
        FIELD | {"grid2_worker", "other_admin"},
        body=lambda o: {"code": "NOPE-NOPE"},
        outside=False,
        accept=frozenset({400}),
        note="no voucher built: the allowed get 400 on code",
    ),
    # party: the community office (party.view and party.manage) and the admins above it
    "GET /api/v1/party/orgs": _op(MANAGERS | {"other_admin"}, outside=False),
    "POST /api/v1/party/orgs": _op(
        MANAGERS,
        body=lambda o: {
            "name": "第一党小组",
            "kind": "group",
            "area_id": o.inside["area_id"],
            "founded_on": "2099-01-01",
            "parent_id": o.inside["org_id"],
        },
        model="party.PartyOrg",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "GET /api/v1/party/orgs/{org_id}": _op(MANAGERS),
    "GET /api/v1/party/orgs/{org_id}/members": _op(MANAGERS),
    "GET /api/v1/party/two-new": _op(MANAGERS | {"other_admin"}, outside=False),
    "GET /api/v1/party/two-new/{record_id}": _op(MANAGERS, params={"record_id": "two_new_id"}),
    "POST /api/v1/party/orgs/{org_id}/members": _op(
        MANAGERS,
        body=lambda o: {"name": "新党员", "standing": "full", "status": "registered", "since": "2024-01-01"},
        model="party.PartyMember",
    ),
    "POST /api/v1/party/members/{member_id}/leave": _op(
        MANAGERS, body=lambda o: {"left_on": "2099-01-01"}, model="party.PartyMember"
    ),
    "POST /api/v1/party/two-new": _op(
        MANAGERS,
        body=lambda o: {
            "place_id": o.inside["unit_place_id"],
            "kind": "enterprise",
            "employees": 30,
            "surveyed_on": "2024-07-01",
        },
        model="party.TwoNewOrg",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "POST /api/v1/party/two-new/{record_id}/coverage": _op(
        MANAGERS,
        params={"record_id": "two_new_id"},
        body=lambda o: {"coverage": "instructor", "instructor": "王指导员", "on": "2024-07-01"},
        model="party.TwoNewOrg",
    ),
    "POST /api/v1/party/two-new/{record_id}/founding": _op(
        MANAGERS,
        params={"record_id": "two_new_id"},
        body=lambda o: {"stage": "guidance", "on": "2024-07-01"},
        model="party.TwoNewOrg",
        accept=frozenset({400}),
        note="no full member found there: guidance toward a branch is refused (400 on stage)",
    ),
    "GET /api/v1/party/coverage": _op(MANAGERS | {"other_admin"}, outside=False),
    "GET /api/v1/party/orgs/{org_id}/meetings": _op(MANAGERS),
    "POST /api/v1/party/orgs/{org_id}/meetings": _op(
        MANAGERS,
        body=lambda o: {"kind": "members", "planned_on": "2099-01-01", "topics": "学习"},
        model="party.BranchMeeting",
    ),
    "GET /api/v1/party/meetings/{meeting_id}": _op(MANAGERS),
    "POST /api/v1/party/meetings/{meeting_id}/record": _op(
        MANAGERS,
        body=lambda o: {"held_on": "2024-06-08", "attendance": []},
        model="party.BranchMeeting",
    ),
    "POST /api/v1/party/orgs/{org_id}/offices": _op(
        MANAGERS,
        body=lambda o: {"member_id": o.inside["member_id"], "office": "secretary", "since": "2024-07-01"},
        model="party.OrgOffice",
        accept=frozenset({201, 400}),
        note="the inside member is not of the outside organisation: a global admin gets 400 on member_id",
    ),
    "POST /api/v1/party/members/{member_id}/transfer": _op(
        MANAGERS,
        body=lambda o: {"to_id": o.inside["committee_id"], "on": "2024-07-01"},
        model="party.PartyMember",
        accept=frozenset({200, 400}),
        note="the outside member cannot move into this community's committee: a global admin gets 400",
    ),
    "GET /api/v1/party/points/mine": _op(NOBODY, outside=False, note="no persona is a party member here"),
    # residents' voice: opinions read where they belong (the giver their own), given where one
    # belongs, entered for someone in one's area, answered by the community office
    "GET /api/v1/voice/opinions": _op(LISTERS, outside=False),
    "GET /api/v1/voice/opinions/mine": _op(SIGNED_IN, outside=False),
    "GET /api/v1/voice/opinions/{opinion_id}": _op(VIEWERS | {"resident"}, note="the resident gave it"),
    "POST /api/v1/voice/opinions": _op(
        {"resident", "rider", "community_admin", "community_staff", "system_admin"},
        body=lambda o: {"community_id": o.inside["community_id"], "category": "noise", "text": "夜里太吵"},
        model="voice.Opinion",
        accept=frozenset({201}),
        deny_also=frozenset({400}),
        outside=False,
        note="voice.give held in a grid or another community: 400 at community_id",
    ),
    "POST /api/v1/voice/opinions/entered": _op(
        FIELD,
        body=lambda o: {
            "community_id": o.inside["community_id"],
            "place_id": o.inside["place_id"],
            "channel": "hotline",
            "category": "noise",
            "text": "夜里太吵",
        },
        model="voice.Opinion",
        accept=frozenset({201}),
        deny_also=frozenset({400}),
        outside=False,
        note="voice.record held elsewhere (grid 2, the other community): 400 at place_id or community_id",
    ),
    "POST /api/v1/voice/opinions/{opinion_id}/answer": _op(
        MANAGERS,
        body=lambda o: {"reply": "已答复"},
        model="voice.Opinion",
        accept=frozenset({200, 400}),
        note="the inside opinion has its outcome already: 400 at opinion; the outside one is open",
    ),
    "POST /api/v1/voice/opinions/{opinion_id}/decline": _op(
        MANAGERS, body=lambda o: {"reply": "不予采纳"}, model="voice.Opinion", accept=frozenset({200, 400})
    ),
    "POST /api/v1/voice/opinions/{opinion_id}/case": _op(
        MANAGERS,
        body=lambda o: {"case_class_id": 999999, "reply": "已派单"},
        model="voice.Opinion",
        accept=frozenset({400}),
    ),
    "POST /api/v1/voice/opinions/{opinion_id}/need": _op(
        MANAGERS,
        body=lambda o: {"title": "加装电梯", "reply": "已列入"},
        model="voice.Opinion",
        accept=frozenset({200, 400}),
    ),
    "POST /api/v1/voice/opinions/{opinion_id}/rate": _op(
        {"resident"}, body=lambda o: {"rating": 5}, model="voice.Opinion", note="whoever gave it"
    ),
    "GET /api/v1/voice/wall/{community_id}": _op(EVERYONE, outside=False, note="every community's wall is public"),
    "GET /api/v1/party/me": _op(NOBODY, outside=False, note="no persona is a party member here"),
    "POST /api/v1/party/me/meetings/{meeting_id}/reply": _op(
        NOBODY,
        body=lambda o: {"presence": "leave", "reason": "出差"},
        model="party.MeetingReply",
        note="a member's own organisation's meetings only; no persona is a member",
    ),
    # the alliance: the party office; a unit's representative reaches its own unit (the matrix's
    # partner speaks for a station, in no alliance: empty lists; party/tests has a member unit's)
    "GET /api/v1/party/alliance/units": _op(MANAGERS | {"other_admin", "partner"}, outside=False),
    "GET /api/v1/party/alliance/units/{unit_id}": _op(MANAGERS),
    "POST /api/v1/party/alliance/units": _op(
        MANAGERS,
        body=lambda o: {
            "committee_id": o.inside["committee_id"],
            "place_id": o.inside["unit_place_id"],
            "joined_on": "2024-09-01",
        },
        model="party.AllianceUnit",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "POST /api/v1/party/alliance/units/{unit_id}/leave": _op(
        MANAGERS, body=lambda o: {"on": "2024-09-01"}, model="party.AllianceUnit"
    ),
    "GET /api/v1/party/alliance/pacts": _op(MANAGERS | {"other_admin", "partner"}, outside=False),
    "GET /api/v1/party/alliance/pacts/{pact_id}": _op(MANAGERS),
    "POST /api/v1/party/alliance/units/{unit_id}/pacts": _op(
        MANAGERS,
        body=lambda o: {
            "signed_on": "2024-09-01",
            "starts_on": "2025-01-01",
            "ends_on": "2025-12-31",
            "commitments": [{"kind": "funds", "what": "活动经费", "quantity": "2000", "period": "year"}],
        },
        model="party.Pact",
    ),
    "POST /api/v1/party/alliance/pacts/{pact_id}/document": _op(
        MANAGERS, body=lambda o: {"document": _photo()}, multipart=True, model="party.Pact"
    ),
    "GET /api/v1/party/alliance/pacts/{pact_id}/deliveries": _op(MANAGERS),
    "POST /api/v1/party/alliance/pacts/{pact_id}/deliveries": _op(
        MANAGERS,
        body=lambda o: {
            "commitment_id": str(o.inside["commitment_id"]),
            "delivered_on": "2024-09-01",
            "quantity": "2",
            "what": "会议室",
        },
        multipart=True,
        model="party.Delivery",
        accept=frozenset({201, 400}),
        note="the outside pact has its own commitment: a global admin gets 400 on commitment_id",
    ),
    "POST /api/v1/party/alliance/pacts/{pact_id}/evaluations": _op(
        MANAGERS, body=lambda o: {"year": 2024, "score": 0}, model="party.Evaluation"
    ),
    "GET /api/v1/party/alliance/needs": _op(MANAGERS | {"other_admin", "partner"}, outside=False),
    "GET /api/v1/party/alliance/needs/{need_id}": _op(MANAGERS),
    "POST /api/v1/party/alliance/needs": _op(
        MANAGERS,
        body=lambda o: {
            "committee_id": o.inside["committee_id"],
            "area_id": o.inside["area_id"],
            "title": "楼道照明",
            "source": "residents",
            "raised_on": "2024-09-01",
        },
        model="party.Need",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "POST /api/v1/party/alliance/needs/{need_id}/claim": _op(
        MANAGERS,
        body=lambda o: {"unit_id": o.inside["unit_id"], "on": "2024-09-01"},
        model="party.Need",
        accept=frozenset({200, 400}),
        note="the inside unit is not of the outside need's alliance: a global admin gets 400 on unit_id",
    ),
    "GET /api/v1/party/alliance/offers": _op(MANAGERS | {"other_admin", "partner"}, outside=False),
    "POST /api/v1/party/alliance/units/{unit_id}/offers": _op(
        MANAGERS,
        body=lambda o: {"kind": "goods", "what": "慰问物资", "quantity": "20", "offered_on": "2024-09-01"},
        model="party.Offer",
    ),
    "GET /api/v1/party/alliance/projects": _op(MANAGERS | {"other_admin", "partner"}, outside=False),
    "POST /api/v1/party/alliance/needs/{need_id}/project": _op(
        MANAGERS,
        body=lambda o: {
            "title": "助老餐",
            "owner_id": o.inside["unit_id"],
            "started_on": "2024-09-01",
            "deadline": "2099-01-01",
        },
        model="party.Project",
        accept=frozenset({201, 400}),
        note="the inside unit is not of the outside need's alliance: a global admin gets 400 on owner_id",
    ),
    "POST /api/v1/party/alliance/projects/{project_id}/done": _op(
        MANAGERS, body=lambda o: {"done_on": "2024-09-01"}, model="party.Project"
    ),
    # joint meetings and their tasks: the office; a representative for their alliance's
    # meetings and their unit's tasks; a published result for every signed-in viewer
    "GET /api/v1/party/joint-meetings": _op(MANAGERS | {"other_admin", "partner"}, outside=False),
    "GET /api/v1/party/joint-meetings/{meeting_id}": _op(MANAGERS, params=JOINT),
    "POST /api/v1/party/joint-meetings": _op(
        MANAGERS,
        body=lambda o: {
            "committee_id": o.inside["committee_id"],
            "kind": "joint",
            "title": "联席会议",
            "starts_at": "2099-01-01T09:00:00+08:00",
            "ends_at": "2099-01-01T11:00:00+08:00",
            "location": "会议室",
            "agenda": [{"title": "议题"}],
        },
        model="party.JointMeeting",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "POST /api/v1/party/joint-meetings/sign-in": _op(
        SIGNED_IN - {"auditor"}, body=lambda o: {"token": "not-a-token"}, outside=False, accept=frozenset({400})
    ),
    "POST /api/v1/party/joint-meetings/{meeting_id}/attendance": _op(
        MANAGERS,
        params=JOINT,
        body=lambda o: {"user_id": o.users["community_staff"]},
        model="party.MeetingAttendance",
        accept=frozenset({200, 400}),
        note="the community's staff are not of the outside alliance: a global admin gets 400 on user_id",
    ),
    "POST /api/v1/party/joint-meetings/{meeting_id}/held": _op(
        MANAGERS, params=JOINT, body=lambda o: {"minutes": "会议纪要"}, model="party.JointMeeting"
    ),
    "POST /api/v1/party/joint-meetings/{meeting_id}/resolutions": _op(
        MANAGERS,
        params=JOINT,
        body=lambda o: {"title": "决议", "deadline": "2099-01-01", "owner_unit_id": o.inside["unit_id"]},
        model="party.Task",
        accept=frozenset({201, 400}),
        note="the inside unit is not of the outside alliance: a global admin gets 400 on owner_unit_id",
    ),
    "GET /api/v1/party/tasks": _op(SIGNED_IN, outside=False),
    "GET /api/v1/party/tasks/{task_id}": _op(MANAGERS),
    "POST /api/v1/party/tasks/{task_id}/reports": _op(
        MANAGERS, body=lambda o: {"note": "进展", "progress": "50"}, multipart=True, model="party.ProgressReport"
    ),
    "POST /api/v1/party/tasks/{task_id}/verification": _op(
        MANAGERS,
        body=lambda o: {"accepted": True},
        model="party.Task",
        accept=frozenset({409}),
        note="the task is under way, not finished: verifying it is a 409",
    ),
    "POST /api/v1/party/tasks/{task_id}/publish": _op(
        MANAGERS, model="party.Task", accept=frozenset({409}), note="not verified: a 409"
    ),
    # stations: reads for everyone, signed in or not (like the pages), managed writes
    "GET /api/v1/stations/": _op(EVERYONE, outside=False),
    "POST /api/v1/stations/": _op(
        MANAGERS,
        body=lambda o: {"place_id": o.inside["bare_station"], "code": "NEW-01", "opening_hours_text": "24h"},
        model="stations.Station",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "GET /api/v1/stations/nearest": _op(EVERYONE, outside=False, query={"lng": 102.7011, "lat": 24.9811}),
    "GET /api/v1/stations/meal-offers": _op(EVERYONE, outside=False),
    "POST /api/v1/stations/meal-offers": _op(
        MANAGERS,
        body=lambda o: {
            "merchant_id": o.inside["merchant"],
            "title": "骑手套餐",
            "hours_text": "11:00-14:00",
            "valid_from": "2024-01-01",
            "discount": "九折",
        },
        model="stations.MealOffer",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "GET /api/v1/stations/parking-points": _op(EVERYONE, outside=False),
    "POST /api/v1/stations/parking-points": _op(
        MANAGERS,
        body=lambda o: {"name": "临停点", "lng": 102.7011, "lat": 24.9811, "capacity": 5},
        model="stations.ParkingPoint",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "GET /api/v1/stations/green-channels": _op(EVERYONE, outside=False),
    "POST /api/v1/stations/green-channels": _op(
        MANAGERS,
        body=lambda o: {
            "compound_id": o.inside["place_id"],
            "gate": "东门",
            "route": "直行",
            "hours_text": "00:00-24:00",
        },
        model="stations.GreenChannel",
        outside=False,
        deny_also=frozenset({400}),
    ),
    "PATCH /api/v1/stations/meal-offers/{offer_id}": _op(
        MANAGERS, body=lambda o: {"title": "骑手套餐二"}, model="stations.MealOffer"
    ),
    "PATCH /api/v1/stations/parking-points/{point_id}": _op(
        MANAGERS, body=lambda o: {"capacity": 6}, model="stations.ParkingPoint"
    ),
    "PATCH /api/v1/stations/green-channels/{channel_id}": _op(
        MANAGERS, body=lambda o: {"gate": "西门"}, model="stations.GreenChannel"
    ),
    "GET /api/v1/stations/{code}": _op(EVERYONE, params={"code": "station"}, outside=False),
    "PATCH /api/v1/stations/{code}": _op(
        MANAGERS, params={"code": "station"}, body=lambda o: {"capacity": 9}, model="stations.Station"
    ),
    "POST /api/v1/stations/{code}/status": _op(
        MANAGERS, params={"code": "station"}, body=lambda o: {"status": "closed"}, model="stations.Station"
    ),
    "POST /api/v1/stations/{code}/photos": _op(
        MANAGERS,
        params={"code": "station"},
        body=lambda o: {"photos": _photo()},
        multipart=True,
        model="stations.StationPhoto",
    ),
    "POST /api/v1/stations/{code}/checkin": _op(SIGNED_IN - {"auditor"}, params={"code": "station"}, outside=False),
    "POST /api/v1/stations/{code}/feedback": _op(
        SIGNED_IN - {"auditor"}, params={"code": "station"}, body=lambda o: {"message": "热水没了"}, outside=False
    ),
    # cases
    "GET /api/v1/cases/similar": _op(
        SIGNED_IN, outside=False, query={"class_code": "sanitation", "lng": 102.7011, "lat": 24.9811}
    ),
    "POST /api/v1/cases/follow": _op(
        SIGNED_IN - {"auditor"}, body=lambda o: {"token": "not-a-token"}, outside=False, accept=frozenset({400})
    ),
    "GET /api/v1/categories": _op(SIGNED_IN, outside=False),
    "POST /api/v1/cases": _op(
        SIGNED_IN - {"auditor"},
        body=lambda o: {"class_code": "sanitation", "description": "垃圾堆放", "lng": 102.7011, "lat": 24.9811},
        model="cases.Case",
        outside=False,
    ),
    "GET /api/v1/cases": _op(SIGNED_IN, outside=False),
    "GET /api/v1/cases/figures": _op(LISTERS | {"grid1_helper"}, outside=False),
    "GET /api/v1/cases/{case_id}": _op(TERRITORY_VIEWERS | {"rider"}),
    "POST /api/v1/cases/{case_id}/steps": _op(
        CASE_MANAGERS | {"grid1_worker"},
        body=lambda o: {"step": "accept"},
        model="cases.Case",
        note="grid 1's worker is the case's handler (routed to them): they take it on themselves",
    ),
    "POST /api/v1/cases/{case_id}/photos": _op(
        {"rider"},
        body=lambda o: {"photos": _photo()},
        multipart=True,
        model="cases.CasePhoto",
        note="the reporter adds photos; handlers attach theirs to steps",
    ),
    # one's own notifications
    "GET /api/v1/notifications": _op(SIGNED_IN, outside=False),
    "POST /api/v1/notifications/read-all": _op(SIGNED_IN - {"auditor"}, outside=False),
    "POST /api/v1/notifications/{notification_id}/read": _op(
        {"grid1_worker"}, model="core.Notification", outside_allowed=frozenset({"other_admin"})
    ),
}


@dataclass(frozen=True)
class Page:
    """A page's declaration: who may open it (GET) on the object inside grid 1, how its
    parameters are filled (default: the parameter's name), and what an allowed persona may get
    (default 200). `public`: opened without signing in."""

    allowed: frozenset[str]
    params: dict[str, str] = field(default_factory=dict)
    accept: frozenset[int] = frozenset({200})
    public: bool = False
    outside: bool = True
    post: bool = False  # a form's target: sent as an empty POST
    outside_allowed: frozenset[str] = frozenset()
    note: str = ""


def _page(allowed: frozenset[str] | set[str], **kw: Any) -> Page:
    if kw.get("accept") is POST_ONLY:
        kw |= {"post": True, "accept": POSTED}
    return Page(allowed=frozenset(allowed), **kw)


STAFF = SIGNED_IN - {"rider", "resident", "stranger"}  # console roles (partner: no console work)
POST_ONLY = frozenset({405})  # marks a form's target (below: sent as an empty POST)
POSTED = frozenset({200, 302, 400})  # a form shown again with its errors, or done
LEDGER = {"code": "ledger"}
STATION = {"code": "station"}
# The Django admin is Django's own (is_staff, checked by django.contrib.admin); the matrix
# leaves its generated URLs out.
PAGE_PREFIXES_LEFT_OUT = ("admin/", "api/")

PAGES: dict[str, Page] = {
    "": _page(EVERYONE, public=True, accept=frozenset({302}), outside=False, note="a visitor: the phone home"),
    "console/": _page(SIGNED_IN, accept=frozenset({200, 302}), outside=False),
    "console/<slug:capability>/": _page(STAFF, outside=False),
    "field/": _page(EVERYONE, public=True, accept=frozenset({200, 302}), outside=False),
    "work/count/": _page(SIGNED_IN, outside=False),
    "sw.js": _page(EVERYONE, public=True, outside=False),
    "manifest.webmanifest": _page(EVERYONE, public=True, outside=False),
    "offline/": _page(EVERYONE, public=True, outside=False),
    "accounts/login/": _page(EVERYONE, public=True, accept=frozenset({200, 302}), outside=False),
    "accounts/logout/": _page(SIGNED_IN, accept=POST_ONLY, outside=False),
    "accounts/mfa/setup/": _page(SIGNED_IN, accept=frozenset({200, 302}), outside=False),
    "accounts/mfa/verify/": _page(SIGNED_IN, accept=frozenset({200, 302}), outside=False),
    "territory/": _page(TERRITORY_VIEWERS | {"grid2_worker", "other_admin"}, outside=False),
    "territory/areas/<int:area_id>/": _page(TERRITORY_VIEWERS),
    "territory/areas/<int:area_id>/staff/": _page(ADMINS, accept=POST_ONLY),
    "territory/areas/<int:area_id>/places/": _page(FIELD, accept=POST_ONLY),
    "territory/areas/<int:area_id>/basemap/": _page(ADMINS, accept=POST_ONLY),
    # The basemap is public (docs/decisions/0008); it answers a map view, so without one it is
    # a 400 naming the box.
    "territory/basemap.geojson": _page(EVERYONE, public=True, accept=frozenset({400}), outside=False),
    "territory/basemap/places.json": _page(EVERYONE, public=True, accept=frozenset({400}), outside=False),
    "territory/assignments/<int:assignment_id>/end/": _page(ADMINS, accept=POST_ONLY),
    "territory/places/": _page(SIGNED_IN, outside=False),
    "territory/places/<int:place_id>/": _page(TERRITORY_VIEWERS),
    "territory/imports/places/": _page(MANAGERS | {"other_admin"}, outside=False),
    "territory/imports/places/template.xlsx": _page(MANAGERS | {"other_admin"}, outside=False),
    "people/": _page(LISTERS | {"grid1_helper"} | VOLUNTEERS, outside=False, note="rider, resident: their own record"),
    "people/<int:resident_id>/": _page(TERRITORY_VIEWERS),
    "people/<int:resident_id>/reveal/": _page(FIELD, accept=POST_ONLY),
    "people/imports/": _page(MANAGERS | {"other_admin"}, outside=False),
    "people/imports/template.xlsx": _page(MANAGERS | {"other_admin"}, outside=False),
    "cases/": _page(TERRITORY_VIEWERS | {"grid2_worker", "other_admin"}, outside=False),
    "cases/report/": _page(EVERYONE, public=True, outside=False, note="reporting needs no account"),
    # A follow link is the signed token of a report made without an account: whoever holds it
    # opens the report's public view (docs/cases.md); inside and outside do not apply.
    "cases/follow/<str:token>/": _page(EVERYONE, public=True, params={"token": "follow_token"}, outside=False),
    # The auditor's account writes nothing (accounts.middleware.ReadOnlyAccountMiddleware).
    "cases/follow/<str:token>/evaluate/": _page(
        EVERYONE - {"auditor"}, public=True, accept=POST_ONLY, params={"token": "follow_token"}, outside=False
    ),
    "cases/follow/<str:token>/follow/": _page(
        SIGNED_IN - {"auditor"}, accept=POST_ONLY, params={"token": "follow_token"}, outside=False
    ),
    "cases/mine/": _page(SIGNED_IN, outside=False),
    "cases/map/": _page(TERRITORY_VIEWERS | {"grid2_worker", "other_admin"}, outside=False),
    "cases/map.geojson": _page(TERRITORY_VIEWERS | {"grid2_worker", "other_admin"}, outside=False),
    "cases/export.xlsx": _page(TERRITORY_VIEWERS | {"grid2_worker", "other_admin"}, outside=False),
    "cases/figures/": _page(TERRITORY_VIEWERS | {"grid2_worker", "other_admin"}, outside=False),
    "cases/new/": _page(LISTERS, outside=False),
    "cases/follow/": _page(SIGNED_IN - {"auditor"}, accept=POST_ONLY, outside=False),
    "cases/<int:case_id>/": _page(TERRITORY_VIEWERS | {"rider"}),
    "cases/<int:case_id>/step/": _page(
        TERRITORY_VIEWERS | {"rider"},
        accept=POST_ONLY,
        note="an empty form: shows who reaches the case, not who may act (the API matrix covers the step)",
    ),
    "cases/<int:case_id>/reopen/": _page(
        TERRITORY_VIEWERS | {"rider"},
        accept=POST_ONLY,
        note="an empty form: shows who reaches the case, not who may act (the API matrix covers the step)",
    ),
    "cases/<int:case_id>/evaluate/": _page(
        TERRITORY_VIEWERS | {"rider"},
        accept=POST_ONLY,
        note="an empty form: shows who reaches the case, not who may act (the API matrix covers the step)",
    ),
    "cases/<int:case_id>/merge/": _page(
        TERRITORY_VIEWERS | {"rider"},
        accept=POST_ONLY,
        note="an empty form: shows who reaches the case, not who may act (the API matrix covers the step)",
    ),
    "cases/<int:case_id>/photos/<int:photo_id>/": _page(
        TERRITORY_VIEWERS | {"rider"}, params={"photo_id": "case_photo"}
    ),
    "inspections/": _page(LISTERS, outside=False),
    "inspections/visits/": _page(LISTERS, outside=False),
    "inspections/visits/<int:visit_id>/": _page(VIEWERS),
    "inspections/visits/<int:visit_id>/photos/<int:photo_id>/": _page(VIEWERS, params={"photo_id": "visit_photo"}),
    "inspections/rectifications/": _page(LISTERS, outside=False),
    "inspections/rectifications/<int:order_id>/": _page(VIEWERS),
    "inspections/rectifications/<int:order_id>/notice/": _page(VIEWERS),
    "inspections/watchlist/": _page(LISTERS, outside=False),
    "inspections/watchlist/new/": _page(ADMINS | {"other_admin"}, outside=False),
    "inspections/watchlist/<int:target_id>/": _page(VIEWERS),
    "inspections/watchlist/<int:target_id>/tier/": _page(ADMINS, accept=POST_ONLY),
    "inspections/watchlist/<int:target_id>/end/": _page(ADMINS, accept=POST_ONLY),
    "disputes/": _page(LISTERS, outside=False),
    "disputes/new/": _page(FIELD | {"grid2_worker", "other_admin"}, outside=False),
    "disputes/<int:dispute_id>/": _page(VIEWERS),
    "disputes/<int:dispute_id>/mediators/": _page(FIELD, accept=POST_ONLY),
    "disputes/<int:dispute_id>/sessions/": _page(FIELD, accept=POST_ONLY),
    "disputes/<int:dispute_id>/close/": _page(FIELD, accept=POST_ONLY),
    "disputes/<int:dispute_id>/agreement/": _page(VIEWERS, accept=frozenset({200, 404}), note="no agreement file"),
    "ledgers/": _page(LISTERS, outside=False),
    "ledgers/<slug:code>/": _page(LISTERS, params=LEDGER, outside=False),
    "ledgers/<slug:code>/export/": _page(FIELD | {"grid2_worker", "other_admin"}, params=LEDGER, outside=False),
    "ledgers/<slug:code>/import/": _page(MANAGERS | {"other_admin"}, params=LEDGER, outside=False),
    "ledgers/<slug:code>/import/template/": _page(MANAGERS | {"other_admin"}, params=LEDGER, outside=False),
    "activities/": _page(LISTERS, outside=False),
    "activities/new/": _page(FIELD | {"grid2_worker", "other_admin"}, outside=False),
    "activities/<int:activity_id>/": _page(VIEWERS),
    "activities/<int:activity_id>/participants/": _page(FIELD, accept=POST_ONLY),
    "activities/<int:activity_id>/participants/<int:participant_id>/remove/": _page(FIELD, accept=POST_ONLY),
    "activities/<int:activity_id>/places/": _page(FIELD, accept=POST_ONLY),
    "activities/<int:activity_id>/findings/": _page(FIELD, accept=POST_ONLY),
    "activities/<int:activity_id>/check/": _page(FIELD, accept=POST_ONLY),
    "volunteers/hours/": _page(SIGNED_IN, outside=False),
    "volunteers/hours/stars/": _page(MANAGERS | {"other_admin"}, outside=False),
    "volunteers/hours/records/<int:record_id>/correction/": _page({"rider"}, accept=POST_ONLY),
    "volunteers/hours/records/<int:record_id>/approve/": _page(FIELD, accept=POST_ONLY),
    "volunteers/hours/activity/<int:activity_id>/": _page(FIELD),
    "volunteers/hours/activity/<int:activity_id>/approve-all/": _page(FIELD, accept=POST_ONLY),
    "volunteers/hours/corrections/<int:correction_id>/decide/": _page(FIELD, accept=POST_ONLY),
    "volunteers/hours/certificate.docx": _page(VOLUNTEERS, outside=False),
    "volunteers/hours/certificate.pdf": _page(VOLUNTEERS, outside=False),
    "volunteers/hours/volunteer/<int:volunteer_id>/certificate.docx": _page(VIEWERS | {"rider"}),
    "volunteers/hours/volunteer/<int:volunteer_id>/certificate.pdf": _page(VIEWERS | {"rider"}),
    "volunteers/points/": _page(SIGNED_IN, outside=False),
    "volunteers/points/rewards/<int:reward_id>/redeem/": _page(VOLUNTEERS, accept=frozenset({302}), post=True),
    "volunteers/points/vouchers/<int:redemption_id>/cancel/": _page({"rider"}, accept=frozenset({302}), post=True),
    "volunteers/points/confirm/": _page(FIELD | {"grid2_worker", "other_admin"}, outside=False),
    "volunteers/points/rules/": _page(MANAGERS | {"other_admin"}, outside=False),
    "volunteers/points/rules/defaults/": _page(MANAGERS | {"other_admin"}, accept=POST_ONLY, outside=False),
    "volunteers/points/catalogue/": _page(FIELD | {"grid2_worker", "other_admin"}, outside=False),
    "volunteers/points/catalogue/<int:reward_id>/": _page(MANAGERS, accept=POST_ONLY),
    "volunteers/join/": _page(EVERYONE, public=True, accept=frozenset({200, 302}), outside=False),
    "volunteers/register/": _page(SIGNED_IN, accept=frozenset({200, 302}), outside=False),
    "volunteers/me/": _page(SIGNED_IN, accept=frozenset({200, 302}), outside=False),
    "volunteers/activities/": _page(SIGNED_IN, outside=False),
    "volunteers/activities/<int:activity_id>/": _page(
        SIGNED_IN, params={"activity_id": "published"}, outside_allowed=SIGNED_IN, note="an announcement"
    ),
    "volunteers/activities/<int:activity_id>/signup/": _page(
        SIGNED_IN - {"auditor"},
        params={"activity_id": "published"},
        accept=POST_ONLY,
        outside=False,
        note="a volunteer is signed up (302); anyone else gets the form back with 'register first' (400)",
    ),
    # one's own sign-up, or an organiser's of the activity (docs/volunteers.md), like the API
    "volunteers/signups/<int:signup_id>/cancel/": _page(FIELD | {"rider"}, accept=POST_ONLY),
    "volunteers/checkin/<str:token>/": _page(
        EVERYONE, params={"token": "missing"}, public=True, outside=False, accept=frozenset({400}), note="a bad code"
    ),
    "volunteers/organise/": _page(FIELD | {"grid2_worker", "other_admin"}, outside=False),
    "volunteers/activities/<int:activity_id>/manage/": _page(FIELD),
    "volunteers/activities/<int:activity_id>/qr/": _page(FIELD),
    "volunteers/activities/<int:activity_id>/attendance/": _page(FIELD, accept=POST_ONLY),
    "volunteers/activities/<int:activity_id>/cancel/": _page(FIELD, accept=POST_ONLY),
    "volunteers/partners/": _page(FIELD | {"grid2_worker", "other_admin"}, outside=False),
    "volunteers/partners/<int:partner_id>/": _page(FIELD | {"grid2_worker", "other_admin"}, outside=False),
    # party: the office of the community (party.view and party.manage), and the street's admins
    "party/": _page(MANAGERS | {"other_admin"}, outside=False),
    "party/new/": _page(MANAGERS | {"other_admin"}, outside=False),
    "party/<int:org_id>/": _page(MANAGERS),
    "party/<int:org_id>/new/": _page(MANAGERS, accept=POST_ONLY),
    "party/<int:org_id>/members/new/": _page(MANAGERS, accept=POST_ONLY),
    "party/<int:org_id>/members.xlsx": _page(MANAGERS),
    "party/<int:org_id>/offices/new/": _page(MANAGERS, accept=POST_ONLY),
    "party/<int:org_id>/offices/end/": _page(MANAGERS, accept=POST_ONLY),
    "party/<int:org_id>/members/transfer/": _page(MANAGERS, accept=POST_ONLY),
    "party/<int:org_id>/meetings/new/": _page(MANAGERS, accept=POST_ONLY),
    "party/meetings/<int:meeting_id>/": _page(MANAGERS),
    "party/meetings/<int:meeting_id>/record/": _page(MANAGERS, accept=POST_ONLY),
    "party/life/": _page(MANAGERS | {"other_admin"}, outside=False),
    "party/two-new/": _page(MANAGERS | {"other_admin"}, outside=False),
    "party/two-new/new/": _page(MANAGERS | {"other_admin"}, outside=False),
    "party/two-new/<int:record_id>/": _page(MANAGERS, params={"record_id": "two_new_id"}),
    # the alliance: the party office; a unit's representative sees the lists of their alliance
    # (the matrix's partner speaks for a station, in no alliance: empty lists; party/tests has
    # a member unit's representative)
    "party/alliance/": _page(MANAGERS | {"other_admin", "partner"}, outside=False),
    "party/alliance/join/": _page(MANAGERS | {"other_admin"}, accept=POST_ONLY, outside=False),
    "party/alliance/lists/": _page(MANAGERS | {"other_admin", "partner"}, outside=False),
    "party/alliance/pacts.xlsx": _page(MANAGERS | {"other_admin", "partner"}, outside=False),
    "party/alliance/needs/new/": _page(MANAGERS | {"other_admin"}, accept=POST_ONLY, outside=False),
    "party/alliance/units/<int:unit_id>/": _page(MANAGERS),
    "party/alliance/units/<int:unit_id>/pacts/new/": _page(MANAGERS, accept=POST_ONLY),
    "party/alliance/units/<int:unit_id>/leave/": _page(MANAGERS, accept=POST_ONLY),
    "party/alliance/units/<int:unit_id>/offers/new/": _page(MANAGERS, accept=POST_ONLY),
    "party/alliance/pacts/<int:pact_id>/": _page(MANAGERS),
    "party/alliance/pacts/<int:pact_id>/document/": _page(MANAGERS),
    "party/alliance/pacts/<int:pact_id>/deliveries/new/": _page(MANAGERS, accept=POST_ONLY),
    "party/alliance/pacts/<int:pact_id>/evaluation/": _page(MANAGERS, accept=POST_ONLY),
    "party/alliance/needs/<int:need_id>/": _page(MANAGERS),
    "party/alliance/needs/<int:need_id>/claim/": _page(MANAGERS, accept=POST_ONLY),
    "party/alliance/needs/<int:need_id>/project/": _page(MANAGERS, accept=POST_ONLY),
    "party/alliance/projects/<int:project_id>/done/": _page(MANAGERS, accept=POST_ONLY),
    # joint meetings: the office; a unit's representative is invited to those of its alliance
    "party/joint/": _page(MANAGERS | {"other_admin", "partner"}, outside=False),
    "party/joint/new/": _page(MANAGERS | {"other_admin"}, accept=POST_ONLY, outside=False),
    "party/joint/<int:meeting_id>/": _page(MANAGERS, params=JOINT),
    "party/joint/<int:meeting_id>/qr/": _page(MANAGERS, params=JOINT),
    "party/joint/<int:meeting_id>/attendance/": _page(MANAGERS, params=JOINT, accept=POST_ONLY),
    "party/joint/<int:meeting_id>/held/": _page(MANAGERS, params=JOINT, accept=POST_ONLY),
    "party/joint/<int:meeting_id>/resolutions/": _page(MANAGERS, params=JOINT, accept=POST_ONLY),
    "party/joint/<int:meeting_id>/invitation.ics": _page(MANAGERS, params=JOINT),
    "party/joint/<int:meeting_id>/minutes.docx": _page(MANAGERS, params=JOINT),
    "party/joint/<int:meeting_id>/minutes.pdf": _page(MANAGERS, params=JOINT),
    "party/joint/sign-in/<str:token>/": _page(
        EVERYONE, params={"token": "missing"}, public=True, outside=False, accept=frozenset({400}), note="a bad code"
    ),
    # resolution tasks: the office, the owner (unit representatives, the staff member), and
    # every signed-in viewer once the result is published
    "party/points/": _page(MANAGERS | {"other_admin"}, outside=False, note="a party member sees their own too"),
    # the phone pages: a party member's own branch, a member unit's representative's pact (no
    # persona here is either; party/tests/test_phone.py has both)
    "party/me/": _page(NOBODY, outside=False, note="no persona is a party member here"),
    "party/me/meetings/<int:meeting_id>/reply/": _page(NOBODY, accept=POST_ONLY, note="a member's own branch only"),
    "party/our-unit/": _page(NOBODY, outside=False, note="the matrix's partner speaks for a unit in no alliance"),
    "party/points/rules/<int:community_id>/": _page(MANAGERS, accept=POST_ONLY),
    "party/tasks/": _page(SIGNED_IN, outside=False),
    "party/tasks.xlsx": _page(SIGNED_IN, outside=False),
    "party/tasks/<int:task_id>/": _page(MANAGERS),
    "party/tasks/<int:task_id>/report/": _page(MANAGERS, accept=POST_ONLY),
    "party/tasks/<int:task_id>/verify/": _page(MANAGERS, accept=POST_ONLY),
    "party/tasks/<int:task_id>/publish/": _page(MANAGERS, accept=POST_ONLY),
    "party/tasks/<int:task_id>/reports/<int:report_id>/photo/": _page(MANAGERS),
    "party/two-new/<int:record_id>/cover/": _page(MANAGERS, params={"record_id": "two_new_id"}, accept=POST_ONLY),
    "party/two-new/<int:record_id>/founding/": _page(MANAGERS, params={"record_id": "two_new_id"}, accept=POST_ONLY),
    # residents' voice: the office answers; the field enters for someone; the giver follows theirs
    "voice/": _page(LISTERS, outside=False),
    "voice/new/": _page(
        {"resident", "rider", "community_admin", "community_staff", "system_admin", "other_admin"},
        outside=False,
        note="voice.give at a community: residents, riders, the community office",
    ),
    "voice/mine/": _page(SIGNED_IN, outside=False),
    "voice/record/": _page(FIELD | {"grid2_worker", "other_admin"}, outside=False),
    "voice/<int:opinion_id>/": _page(VIEWERS | {"resident"}, note="the resident gave it"),
    "voice/<int:opinion_id>/photo/": _page(VIEWERS | {"resident"}),
    "voice/<int:opinion_id>/answer/": _page(MANAGERS, accept=POST_ONLY),
    "voice/<int:opinion_id>/decline/": _page(MANAGERS, accept=POST_ONLY),
    "voice/<int:opinion_id>/case/": _page(MANAGERS, accept=POST_ONLY),
    "voice/<int:opinion_id>/need/": _page(MANAGERS, accept=POST_ONLY),
    "voice/<int:opinion_id>/rate/": _page({"resident"}, accept=POST_ONLY, note="whoever gave it"),
    "voice/wall/<int:community_id>/": _page(
        EVERYONE, public=True, outside=False, note="every community's wall is public"
    ),
    "stations/": _page(EVERYONE, public=True, outside=False),
    "stations/near/": _page(EVERYONE, public=True, outside=False),
    "stations/meals/": _page(EVERYONE, public=True, outside=False),
    "stations/meals/new/": _page(MANAGERS | {"other_admin"}, outside=False),
    "stations/meals/<int:offer_id>/edit/": _page(MANAGERS),
    "stations/parking/": _page(EVERYONE, public=True, outside=False),
    "stations/parking/new/": _page(MANAGERS | {"other_admin"}, outside=False),
    "stations/parking/<int:point_id>/edit/": _page(MANAGERS),
    "stations/channels/": _page(EVERYONE, public=True, outside=False),
    "stations/channels/new/": _page(MANAGERS | {"other_admin"}, outside=False),
    "stations/channels/<int:channel_id>/edit/": _page(MANAGERS),
    "stations/manage/": _page(MANAGERS | {"other_admin"}, outside=False),
    "stations/manage/new/": _page(MANAGERS | {"other_admin"}, outside=False),
    "stations/<str:code>/": _page(EVERYONE, params=STATION, public=True, outside=False),
    "stations/<str:code>/checkin/": _page(SIGNED_IN - {"auditor"}, params=STATION, accept=POST_ONLY, outside=False),
    "stations/<str:code>/feedback/": _page(SIGNED_IN - {"auditor"}, params=STATION, accept=POST_ONLY, outside=False),
    "stations/<str:code>/report/": _page(SIGNED_IN, params=STATION, outside=False),
    "stations/<str:code>/photos/<int:photo_id>/": _page(
        EVERYONE, params={"code": "station", "photo_id": "station_photo"}, public=True, outside=False
    ),
    "stations/<str:code>/use/": _page(LISTERS, params=STATION, accept=POST_ONLY, outside=False),
    "stations/<str:code>/qr.svg": _page(MANAGERS, params=STATION),
    "stations/<str:code>/edit/": _page(MANAGERS, params=STATION),
    "insights/period/": _page(LISTERS, outside=False),
    "open311/discovery.<fmt:fmt>": _page(EVERYONE, public=True, outside=False),
    "open311/v2/services.<fmt:fmt>": _page(EVERYONE, public=True, outside=False),
    "open311/v2/services/<str:service_code>.<fmt:fmt>": _page(
        EVERYONE, public=True, outside=False, accept=frozenset({200, 404})
    ),
    "open311/v2/requests.<fmt:fmt>": _page(EVERYONE, public=True, outside=False),
    "open311/v2/requests/<str:request_id>.<fmt:fmt>": _page(
        EVERYONE, params={"request_id": "case_number"}, public=True, outside=False, accept=frozenset({200, 404})
    ),
    "open311/v2/tokens/<str:token>.<fmt:fmt>": _page(
        EVERYONE, params={"token": "missing"}, public=True, outside=False, accept=frozenset({404})
    ),
    "open311/v2/servicerequestupdates.<fmt:fmt>": _page(
        EVERYONE, public=True, outside=False, accept=frozenset({403}), note="needs an Open311 key"
    ),
    "audit/": _page({"system_admin", "auditor"}, outside=False),
    "notifications/": _page(SIGNED_IN, outside=False),
    "notifications/read-all/": _page(SIGNED_IN - {"auditor"}, accept=POST_ONLY, outside=False),
    "notifications/<int:notification_id>/read/": _page(
        {"grid1_worker"}, accept=POST_ONLY, outside_allowed=frozenset({"other_admin"})
    ),
    "i18n/setlang/": _page(EVERYONE, public=True, accept=frozenset({302, 405}), outside=False),
}
