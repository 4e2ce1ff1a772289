"""The authorisation matrix and the leak canary (issue 14 §2; docs/scope.md).

Every operation of /api/v1/ (read from the OpenAPI document) is declared in
`matrix_support.API`: who may act, how its path parameters are filled with an object inside
grid 1 and one outside (the other community), and for a write a minimal valid body. Each
operation is sent by every persona and anonymously, on both objects:

- a persona not allowed gets 401 (anonymous), 403 or 404; an allowed one 2xx (or a declared
  business-rule 4xx that is not 401/403/404);
- on the outside object every persona without a global role gets 404 (out of scope is 404);
- a refused write writes nothing: the operation's model keeps its row count and the audit log
  gets nothing but `access.denied` entries.

Every page (URL pattern, `matrix_support.PAGES`, the Django admin left out) is opened the
same way: a GET, or an empty POST for a form's target; refused means 403/404 (or a field
user's redirect home), anonymous a redirect to sign in unless the page is public.

Each request runs in a transaction rolled back after it, so the objects (built once per module
by `build_objects`, through the actions and the apps' test factories) stay as they were.
The leak canary collects every answer (the parts inside a .docx or .xlsx included) and every
log record and fails if a raw ID number or phone of the sample appears in one, also without
separators.
"""

import io
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings

from nuanxin.testing import PASSWORD, SYSTEM_SCOPE, World, build_world, photo_upload
from nuanxin.tests.matrix_support import (
    ANONYMOUS,
    API,
    MISSING,
    OUTSIDE_REACH,
    PAGE_PREFIXES_LEFT_OUT,
    PAGES,
    PERSONAS,
    Op,
    Page,
)

DENIED = {403, 404}


@dataclass
class Objects:
    """Ids by fill key: `inside` in grid 1 (community C01), `outside` in the other community."""

    inside: dict[str, Any]
    outside: dict[str, Any]
    users: dict[str, int]
    secrets: list[str]  # raw ID numbers and phones of the sample (the leak canary's list)


def build_objects(world: World) -> Objects:
    from datetime import time

    from nuanxin.accounts import actions as account_actions
    from nuanxin.accounts.models import ApiToken
    from nuanxin.cases.actions import report_case
    from nuanxin.cases.catalogue import install_catalogue
    from nuanxin.cases.follow_links import follow_link_token
    from nuanxin.cases.models import Case, CaseClass
    from nuanxin.core.notifications import notify
    from nuanxin.insights.tests import factories
    from nuanxin.inspections import actions as inspection_actions
    from nuanxin.inspections.checklists import install_demo_templates
    from nuanxin.ledgers.tests.disputes_support import register
    from nuanxin.party import actions as party_actions
    from nuanxin.party.life import plan_meeting
    from nuanxin.party.models import PartyMember
    from nuanxin.people import actions as people_actions
    from nuanxin.people.models import Resident
    from nuanxin.people.tests.sample import build_people, make_id
    from nuanxin.stations import actions as station_actions
    from nuanxin.territory import actions as territory_actions
    from nuanxin.territory.models import StaffAssignment
    from nuanxin.volunteers.activities.actions import add_participant, create_activity
    from nuanxin.volunteers.hours import actions as hours
    from nuanxin.volunteers.models import Activity, Partner, SignUp, Volunteer
    from nuanxin.volunteers.tests.test_hours import DAY, at, attend, make_activity, make_volunteer

    install_catalogue(actor=None)
    install_demo_templates(actor=None)
    people = build_people(world)
    zhao = people_actions.register_resident(
        actor=None,
        scope=SYSTEM_SCOPE,
        name="赵六",
        place=world.other_compound,
        id_number=make_id("53011219660606123"),
        phone="13677778888",
    )
    zhao_tag = people_actions.tag_resident(
        actor=None, scope=SYSTEM_SCOPE, resident=zhao, kind="special_group", category="elderly_alone"
    )
    # inspections: a restaurant in grid 1 and one in the other community, each on the watchlist
    restaurant = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="小面馆", lng=102.7005, lat=24.9805
    )
    far_restaurant = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="外面馆", lng=102.7105, lat=24.9905
    )
    target = inspection_actions.add_target(
        actor=world.community_admin,
        scope=SYSTEM_SCOPE,
        category="catering",
        tier="high",
        worker=world.grid1_worker,
        place=restaurant,
        today=date(2024, 3, 4),
    )
    territory_actions.assign_staff(
        actor=None,
        scope=SYSTEM_SCOPE,
        grid=world.other_grid,
        person=world.other_admin,
        duty="grid_worker",
        starts_on=date(2024, 1, 1),
    )
    far_target = inspection_actions.add_target(
        actor=world.other_admin,
        scope=SYSTEM_SCOPE,
        category="catering",
        tier="high",
        worker=world.other_admin,
        place=far_restaurant,
        today=date(2024, 3, 4),
    )
    visit = target.visits.order_by("pk").first() or factories.visit(
        grid=world.grid1, worker=world.grid1_worker, due_on=date(2024, 3, 8), target=target, state="planned"
    )
    far_visit = far_target.visits.order_by("pk").first() or factories.visit(
        grid=world.other_grid, worker=world.other_admin, due_on=date(2024, 3, 8), target=far_target, state="planned"
    )
    done = factories.visit(grid=world.grid1, worker=world.grid1_worker, due_on=date(2024, 3, 5), target=target)
    far_done = factories.visit(
        grid=world.other_grid, worker=world.other_admin, due_on=date(2024, 3, 5), target=far_target
    )
    order = factories.rectification(visit=done, issued_on=date(2024, 3, 5), fixed=(False,))
    far_order = factories.rectification(visit=far_done, issued_on=date(2024, 3, 5), fixed=(False,))
    # disputes
    dispute = register(world)
    far_dispute = register(world, by=world.other_admin, grid=world.other_grid)
    # cases: reported by the rider (with a phone) in grid 1, and in the other community
    catalogue = {c.code: c for c in CaseClass.objects.all()}
    case = report_case(
        actor=world.rider,
        photos=[photo_upload()],
        case_class=catalogue["sanitation"],
        lng=102.7011,
        lat=24.9811,
        description="楼道里堆满了纸箱",
        channel="phone_page",
        reporter_name="赵小骑",
        reporter_phone="13755556666",
    )
    far_case = report_case(
        actor=None,
        photos=[photo_upload()],
        case_class=catalogue["sanitation"],
        lng=102.7111,
        lat=24.9911,
        description="路边垃圾",
        channel="phone_page",
        reporter_name="孙路人",
        reporter_phone="13544443333",
    )
    # activities: a grid 1 clean-up with served hours, and one in the other community
    activity = make_activity(world)
    far_activity = create_activity(
        actor=world.other_admin,
        scope=SYSTEM_SCOPE,
        kind="festival",
        title="中秋游园",
        area=world.other_community,
        starts_on=DAY,
        ends_on=DAY,
    )
    Activity.objects.filter(pk=far_activity.pk).update(start_time=time(9), end_time=time(11, 30))
    participant = add_participant(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=activity, group="resident", name="老张"
    )
    far_participant = add_participant(
        actor=world.other_admin, scope=SYSTEM_SCOPE, activity=far_activity, group="resident", name="老孙"
    )
    rider_volunteer = make_volunteer(world.rider, "李小龙", world.grid1, 1)
    resident_volunteer = make_volunteer(world.resident, "王芳", world.grid2, 2)  # its phone: for the canary
    far_user = account_actions.create_user(actor=None, username="far-volunteer", password="x" * 20, display_name="孙")
    far_volunteer = make_volunteer(far_user, "孙志愿", world.other_grid, 3)
    record = hours.record_service(
        actor=world.rider, attendance=attend(activity, rider_volunteer, at(DAY, 8, 30), at(DAY, 12, 15))
    )
    far_record = hours.record_service(
        actor=far_user, attendance=attend(far_activity, far_volunteer, at(DAY, 9, 30), at(DAY, 10, 30))
    )
    correction = hours.request_correction(actor=world.rider, record=record, minutes=120, reason="提前到场")
    far_correction = hours.request_correction(actor=far_user, record=far_record, minutes=50, reason="提前")
    signup = SignUp.objects.create(activity=activity, volunteer=rider_volunteer, state="confirmed")
    far_signup = SignUp.objects.create(activity=far_activity, volunteer=far_volunteer, state="confirmed")
    partner = Partner.objects.create(name="一号物业", kind="property")
    far_partner = Partner.objects.create(name="外物业", kind="property")
    # stations: one in grid 1, one in the other community; a merchant, parking and a channel each
    station_place = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="station", name="一网格驿站", lng=102.7008, lat=24.9808
    )
    far_place = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="station", name="外驿站", lng=102.7108, lat=24.9908
    )
    bare = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="station", name="空驿站", lng=102.7009, lat=24.9809
    )
    station = station_actions.create_station(
        actor=None, scope=SYSTEM_SCOPE, place=station_place, code="IN-01", opening_hours_text="24h", amenities=[]
    )
    far_station = station_actions.create_station(
        actor=None, scope=SYSTEM_SCOPE, place=far_place, code="OUT-01", opening_hours_text="24h", amenities=[]
    )
    offer = station_actions.create_meal_offer(
        actor=None,
        scope=SYSTEM_SCOPE,
        merchant=restaurant,
        title="套餐",
        hours_text="11:00-14:00",
        valid_from=date(2024, 1, 1),
        discount="九折",
    )
    far_offer = station_actions.create_meal_offer(
        actor=None,
        scope=SYSTEM_SCOPE,
        merchant=far_restaurant,
        title="套餐",
        hours_text="11:00-14:00",
        valid_from=date(2024, 1, 1),
        discount="九折",
    )
    point = station_actions.create_parking_point(
        actor=None, scope=SYSTEM_SCOPE, name="临停", lng=102.7011, lat=24.9811, capacity=4
    )
    far_point = station_actions.create_parking_point(
        actor=None, scope=SYSTEM_SCOPE, name="外临停", lng=102.7111, lat=24.9911, capacity=4
    )
    channel = station_actions.create_green_channel(
        actor=None, scope=SYSTEM_SCOPE, compound=world.compound1, gate="东门", route="直行", hours_text="00:00-24:00"
    )
    far_channel = station_actions.create_green_channel(
        actor=None,
        scope=SYSTEM_SCOPE,
        compound=world.other_compound,
        gate="东门",
        route="直行",
        hours_text="00:00-24:00",
    )
    # party: a committee with grid 1's branch, and the other community's committee
    committee = party_actions.create_org(
        actor=None, scope=SYSTEM_SCOPE, name="社区党委", kind="committee", area=world.community, founded_on=DAY
    )
    branch = party_actions.create_org(
        actor=None,
        scope=SYSTEM_SCOPE,
        name="一网格支部",
        kind="branch",
        area=world.grid1,
        founded_on=DAY,
        parent=committee,
    )
    far_committee = party_actions.create_org(
        actor=None, scope=SYSTEM_SCOPE, name="外社区党委", kind="committee", area=world.other_community, founded_on=DAY
    )
    party_member = party_actions.register_member(
        actor=None,
        scope=SYSTEM_SCOPE,
        org=branch,
        name="党员甲",
        standing="full",
        status="registered",
        since=DAY,
        phone="13987654321",
    )
    far_party_member = party_actions.register_member(
        actor=None,
        scope=SYSTEM_SCOPE,
        org=far_committee,
        name="党员乙",
        standing="full",
        status="registered",
        since=DAY,
        phone="13987654322",
    )
    meeting = plan_meeting(actor=None, scope=SYSTEM_SCOPE, org=branch, kind="members", planned_on=DAY, topics="学习")
    far_meeting = plan_meeting(
        actor=None, scope=SYSTEM_SCOPE, org=far_committee, kind="members", planned_on=DAY, topics="学习"
    )
    two_new = party_actions.survey_two_new(
        actor=None, scope=SYSTEM_SCOPE, place=restaurant, kind="enterprise", employees=20, surveyed_on=DAY
    )
    far_two_new = party_actions.survey_two_new(
        actor=None, scope=SYSTEM_SCOPE, place=far_restaurant, kind="enterprise", employees=20, surveyed_on=DAY
    )
    notice = notify(recipients=[world.grid1_worker], kind="test", title="通知", body="内容")[0]
    far_notice = notify(recipients=[world.other_admin], kind="test", title="通知", body="内容")[0]
    token = ApiToken.objects.create(user=world.grid1_worker, digest="matrix-inside", expires_at=at(date(2099, 1, 1), 0))
    far_token = ApiToken.objects.create(
        user=world.other_admin, digest="matrix-outside", expires_at=at(date(2099, 1, 1), 0)
    )

    inside = {
        "area_id": world.grid1.pk,
        "place_id": world.compound1.pk,
        "resident_id": people.zhang.pk,
        "tag_id": people.special_tag.pk,
        "target_id": target.pk,
        "visit_id": visit.pk,
        "order_id": order.pk,
        "dispute_id": dispute.pk,
        "ledger": "fire-safety",
        "activity_id": activity.pk,
        "participant_id": participant.pk,
        "signup_id": signup.pk,
        "record_id": record.pk,
        "correction_id": correction.pk,
        "volunteer_id": rider_volunteer.pk,
        "partner_id": partner.pk,
        "station": station.code,
        "bare_station": bare.pk,
        "merchant": restaurant.pk,
        "offer_id": offer.pk,
        "point_id": point.pk,
        "channel_id": channel.pk,
        "case_id": case.pk,
        "notification_id": notice.pk,
        "token_id": token.pk,
        "assignment_id": StaffAssignment.objects.get(grid=world.grid1, person=world.grid1_worker).pk,
        "capability": "servicedesk",
        "org_id": branch.pk,
        "member_id": party_member.pk,
        "two_new_id": two_new.pk,
        "meeting_id": meeting.pk,
        "service_code": "sanitation",
        "fmt": "json",
        "missing": MISSING,
        "case_number": case.number,
        "follow_token": follow_link_token(far_case),
    }
    outside = {
        "area_id": world.other_grid.pk,
        "place_id": world.other_compound.pk,
        "resident_id": zhao.pk,
        "tag_id": zhao_tag.pk,
        "target_id": far_target.pk,
        "visit_id": far_visit.pk,
        "order_id": far_order.pk,
        "dispute_id": far_dispute.pk,
        "ledger": "fire-safety",
        "activity_id": far_activity.pk,
        "participant_id": far_participant.pk,
        "signup_id": far_signup.pk,
        "record_id": far_record.pk,
        "correction_id": far_correction.pk,
        "volunteer_id": far_volunteer.pk,
        "partner_id": far_partner.pk,
        "station": far_station.code,
        "bare_station": far_place.pk,
        "merchant": far_restaurant.pk,
        "offer_id": far_offer.pk,
        "point_id": far_point.pk,
        "channel_id": far_channel.pk,
        "case_id": far_case.pk,
        "notification_id": far_notice.pk,
        "token_id": far_token.pk,
        "assignment_id": StaffAssignment.objects.get(grid=world.other_grid, person=world.other_admin).pk,
        "capability": "servicedesk",
        "org_id": far_committee.pk,
        "member_id": far_party_member.pk,
        "two_new_id": far_two_new.pk,
        "meeting_id": far_meeting.pk,
        "service_code": "sanitation",
        "fmt": "json",
        "missing": MISSING,
        "case_number": far_case.number,
        "follow_token": follow_link_token(far_case),
    }
    more_inside, more_outside = _build_more(
        world,
        activities=(activity, far_activity),
        volunteers=(rider_volunteer, resident_volunteer, far_volunteer),
        visits=(visit, far_visit),
        stations=(station, far_station),
        cases=(case, far_case),
    )
    inside |= more_inside
    outside |= more_outside
    inside |= _build_alliance(committee, restaurant, world.grid1, world.community_admin)
    outside |= _build_alliance(far_committee, far_restaurant, world.other_grid, world.other_admin)
    inside["opinion_id"], outside["opinion_id"] = _build_voice(world)
    # The canary's sample, read through the models (which decrypt).
    secrets: list[str] = []
    for resident in Resident.objects.all():
        secrets += [resident.id_number, resident.phone]
    for volunteer in Volunteer.objects.all():
        secrets.append(volunteer.phone)
    for row in Case.objects.all():
        secrets.append(row.reporter_phone)
    for party_row in PartyMember.objects.all():
        secrets.append(party_row.phone)
    return Objects(
        inside=inside,
        outside=outside,
        users={key: user.pk for key, user in world.users.items()},
        secrets=sorted({s for s in secrets if s}),
    )


def _build_voice(world: World) -> tuple[int, int]:
    """An opinion the resident gave about grid 1's compound, with a photo, answered; and one
    heard on the other community's hotline, with a photo, open."""
    from nuanxin.accounts.scope import scope_of
    from nuanxin.voice import actions as voice_actions

    given = voice_actions.give_opinion(
        actor=world.resident,
        scope=scope_of(world.resident),
        community=world.community,
        place=world.compound1,
        category="parking",
        text="小区晚上电动车充电不方便",
        photo=photo_upload(),
    )
    voice_actions.answer(actor=None, scope=SYSTEM_SCOPE, opinion=given, reply="已增设充电桩")
    far = voice_actions.enter_opinion(
        actor=None,
        scope=SYSTEM_SCOPE,
        community=world.other_community,
        channel="hotline",
        category="noise",
        text="夜市噪音大",
        photo=photo_upload(),
    )
    return given.pk, far.pk


def _build_alliance(committee: Any, place: Any, grid: Any, office: Any) -> dict[str, Any]:
    """A member unit of the committee's alliance with a pact (its signed document a photo), a
    need, a project meeting another need, and a unit beside it not in the alliance yet: their
    fill keys."""
    from django.utils import timezone

    from nuanxin.party import alliance
    from nuanxin.territory import actions as territory_actions

    unit = alliance.join_alliance(
        actor=None, scope=SYSTEM_SCOPE, committee=committee, place=place, joined_on=date(2024, 7, 1)
    )
    pact = alliance.sign_pact(
        actor=None,
        scope=SYSTEM_SCOPE,
        unit=unit,
        signed_on=date(2024, 7, 2),
        starts_on=date(2024, 7, 1),
        ends_on=date(2099, 12, 31),
        commitments=[alliance.CommitmentIn("venue_hours", "会议室", "10", "quarter")],
        document=photo_upload(),
    )

    def need(title: str) -> Any:
        return alliance.raise_need(
            actor=None,
            scope=SYSTEM_SCOPE,
            committee=committee,
            area=grid,
            title=title,
            source="residents",
            raised_on=date(2024, 8, 1),
        )

    project = alliance.start_project(
        actor=None,
        scope=SYSTEM_SCOPE,
        need=need("楼道照明"),
        title="楼道照明",
        owner=unit,
        deadline=date(2099, 1, 1),
        started_on=date(2024, 8, 2),
    )
    from datetime import datetime, time
    from io import BytesIO

    from nuanxin.party import meetings
    from nuanxin.testing import image_bytes

    starts = timezone.make_aware(datetime.combine(date(2024, 9, 2), time(9)))
    joint = meetings.plan_joint_meeting(
        actor=None,
        scope=SYSTEM_SCOPE,
        committee=committee,
        kind="joint",
        title="联席会议",
        starts_at=starts,
        ends_at=starts + (starts - starts.replace(hour=7)),
        location="会议室",
        agenda=[meetings.AgendaIn("议题")],
    )
    task = meetings.add_resolution(
        actor=None,
        scope=SYSTEM_SCOPE,
        meeting=joint,
        title="楼道照明",
        deadline=date(2099, 1, 1),
        owner_unit=unit,
        milestones=[meetings.MilestoneIn("采购", date(2098, 1, 1))],
    )
    progress = meetings.report_progress(
        actor=office, scope=SYSTEM_SCOPE, task=task, note="已采购", progress=30, photo=BytesIO(image_bytes())
    )
    newcomer = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="public_unit", name=f"{place.name}旁的银行", lng=place.lng, lat=place.lat
    )
    return {
        "committee_id": committee.pk,
        "community_id": committee.area_id,
        "unit_id": unit.pk,
        "unit_place_id": newcomer.pk,
        "pact_id": pact.pk,
        "commitment_id": pact.commitments.get().pk,
        "need_id": need("助老餐").pk,
        "project_id": project.pk,
        "joint_meeting_id": joint.pk,
        "task_id": task.pk,
        "report_id": progress.pk,
    }


def _build_more(
    world: World,
    *,
    activities: tuple[Any, Any],
    volunteers: tuple[Any, Any, Any],
    visits: tuple[Any, Any],
    stations: tuple[Any, Any],
    cases: tuple[Any, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Published activities (one ahead, one running), points and vouchers, a pending service
    record without a correction, and photos: the fill keys of each inside and outside."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from nuanxin.inspections.actions import add_visit_photos
    from nuanxin.inspections.models import VisitPhoto
    from nuanxin.stations.actions import add_station_photos
    from nuanxin.volunteers.activities.actions import create_activity
    from nuanxin.volunteers.hours import actions as hours
    from nuanxin.volunteers.models import Attendance, ServiceRecord
    from nuanxin.volunteers.points import actions as points
    from nuanxin.volunteers.signups import actions as signups
    from nuanxin.volunteers.tests.test_hours import at, attend

    activity, far_activity = activities
    rider, resident, far = volunteers
    today = timezone.localdate()
    before = timezone.make_aware(datetime.combine(today - timedelta(days=3), time(0)))

    def published(actor: Any, area: Any, first: date, last: date, start: time, end: time) -> Any:
        made = create_activity(
            actor=actor, scope=SYSTEM_SCOPE, kind="cleanup", title="志愿清扫", area=area, starts_on=first, ends_on=last
        )
        return signups.publish_activity(
            actor=actor, scope=SYSTEM_SCOPE, activity=made, start_time=start, end_time=end, capacity=None, now=before
        )

    ahead = today + timedelta(days=30)
    soon = published(world.grid1_worker, world.grid1, ahead, ahead, time(9), time(11))
    far_soon = published(world.other_admin, world.other_grid, ahead, ahead, time(9), time(11))
    # running from yesterday to tomorrow, the rider (and the far volunteer) signed up: check-in is open
    running = published(
        world.grid1_worker, world.grid1, today - timedelta(days=1), today + timedelta(days=1), time(0), time(23, 59)
    )
    far_running = published(
        world.other_admin,
        world.other_grid,
        today - timedelta(days=1),
        today + timedelta(days=1),
        time(0),
        time(23, 59),
    )
    signups.sign_up(actor=rider.user, activity=running, now=before)
    signups.sign_up(actor=far.user, activity=far_running, now=before)
    signups.sign_up(actor=rider.user, activity=far_running, now=before)
    # points: ten hours served each (approved, then awarded), a reward of a point in each community
    points.install_default_rules(actor=None, scope=SYSTEM_SCOPE)
    admin, far_admin = world.community_admin, world.other_admin
    for volunteer, where, by in ((rider, activity, admin), (resident, activity, admin), (far, far_activity, far_admin)):
        served = Attendance.objects.create(
            activity=create_activity(
                actor=by,
                scope=SYSTEM_SCOPE,
                kind="festival",
                title="游园",
                area=where.area,
                starts_on=date(2024, 9, 17),
                ends_on=date(2024, 9, 17),
            ),
            volunteer=volunteer,
            checked_in_at=at(date(2024, 9, 17), 8),
            method="qr",
        )
        record = ServiceRecord.objects.create(
            attendance=served,
            activity=served.activity,
            volunteer=volunteer,
            minutes=600,
            state=ServiceRecord.State.APPROVED,
        )
        points.award_service_points(actor=world.community_admin, record=record)
    reward = points.create_reward(
        actor=world.community_admin,
        scope=SYSTEM_SCOPE,
        name="洗衣皂",
        kind="goods",
        points=1,
        stock=5,
        area=world.community,
    )
    far_reward = points.create_reward(
        actor=world.other_admin,
        scope=SYSTEM_SCOPE,
        name="毛巾",
        kind="goods",
        points=1,
        stock=5,
        area=world.other_community,
    )
    voucher = points.redeem(actor=rider.user, reward=reward)
    far_voucher = points.redeem(actor=far.user, reward=far_reward)
    # the resident's pending record (no correction): approving it succeeds
    pending = hours.record_service(
        actor=world.resident,
        attendance=attend(activity, resident, at(activity.starts_on, 9), at(activity.starts_on, 11)),
    )
    far_day = create_activity(
        actor=world.other_admin,
        scope=SYSTEM_SCOPE,
        kind="festival",
        title="游园",
        area=world.other_grid,
        starts_on=activity.starts_on,
        ends_on=activity.starts_on,
    )
    far_day.start_time, far_day.end_time = time(9), time(12)
    far_day.save(update_fields=["start_time", "end_time"])
    far_pending = hours.record_service(
        actor=far.user, attendance=attend(far_day, far, at(far_day.starts_on, 9), at(far_day.starts_on, 11))
    )
    # photos, through the apps' photo actions (the case photos came with the reports)
    visit, far_visit = visits
    station, far_station = stations
    case, far_case = cases
    add_visit_photos(actor=world.grid1_worker, scope=SYSTEM_SCOPE, visit=visit, photos=[photo_upload()])
    add_visit_photos(actor=world.other_admin, scope=SYSTEM_SCOPE, visit=far_visit, photos=[photo_upload()])
    add_station_photos(actor=None, scope=SYSTEM_SCOPE, station=station, photos=[photo_upload()])
    add_station_photos(actor=None, scope=SYSTEM_SCOPE, station=far_station, photos=[photo_upload()])

    def first(rows: Any) -> int:
        return int(rows.order_by("pk").values_list("pk", flat=True)[0])

    inside = {
        "published": soon.pk,
        "running": running.pk,
        "reward_id": reward.pk,
        "redemption_id": voucher.pk,
        "approvable_record": pending.pk,
        "case_photo": first(case.photos),
        "visit_photo": first(VisitPhoto.objects.filter(visit=visit)),
        "station_photo": first(station.photos),
    }
    outside = {
        "published": far_soon.pk,
        "running": far_running.pk,
        "reward_id": far_reward.pk,
        "redemption_id": far_voucher.pk,
        "approvable_record": far_pending.pk,
        "case_photo": first(far_case.photos),
        "visit_photo": first(VisitPhoto.objects.filter(visit=far_visit)),
        "station_photo": first(far_station.photos),
    }
    return inside, outside


def _api_operations() -> set[str]:
    from nuanxin.api import api

    paths = api.get_openapi_schema()["paths"]
    return {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # noqa: BLE001 - a record that cannot format is still looked at
            self.lines.append(f"{record.msg!r} {record.args!r}")
        if record.exc_text:
            self.lines.append(record.exc_text)


@dataclass
class Matrix:
    world: World
    objects: Objects
    tokens: dict[str, str]
    sessions: dict[str, str]  # persona -> session key, signed in once (Client.force_login)


@pytest.fixture(scope="module")
def matrix(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Matrix]:
    """The world and the objects, built once per module in a transaction rolled back at the end;
    a bearer token per persona from POST /api/v1/auth/token."""
    from nuanxin.core import ratelimit

    limits = {limit.setting: (1_000_000, 600) for limit in ratelimit.LIMITS.values()}
    media = tmp_path_factory.mktemp("matrix-media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
            MEDIA_ROOT=str(media),
            NUANXIN_MFA_REQUIRED=False,
            NUANXIN_AUDIT_CHECKPOINT_FILE=str(media / "audit-checkpoints.log"),
            **limits,
        ),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world()
            objects = build_objects(world)
            tokens = {}
            for persona in PERSONAS:
                answer = Client().post(
                    "/api/v1/auth/token",
                    {"username": world.users[persona].username, "password": PASSWORD},
                    content_type="application/json",
                )
                assert answer.status_code == 200, (persona, answer.content)
                tokens[persona] = answer.json()["token"]
            sessions = {}
            for persona in PERSONAS:
                client = Client()
                client.force_login(world.users[persona])
                sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
            yield Matrix(world=world, objects=objects, tokens=tokens, sessions=sessions)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def rules(matrix: Matrix, settings: Any, db: Any) -> Matrix:
    from nuanxin.core import ratelimit

    for limit in ratelimit.LIMITS.values():
        setattr(settings, limit.setting, (1_000_000, 600))
    return matrix


@pytest.fixture
def canary() -> Iterator[_Collector]:
    collector = _Collector()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    try:
        yield collector
    finally:
        root.removeHandler(collector)
        root.setLevel(old_level)


def _path(template: str, op: Op, fills: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(fills[op.params.get(name, name)])

    return re.sub(r"\{(\w+)\}", fill, template)


def _count(model: str) -> int | None:
    if not model:
        return None
    return int(apps.get_model(model)._default_manager.count())


def _last_audit_id() -> int:
    from nuanxin.core.models import AuditEntry

    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@dataclass
class Answer:
    status: int
    body: str
    count_before: int | None
    count_after: int | None
    audit_actions: list[str]


def _send(matrix: Matrix, key: str, op: Op, persona: str, fills: dict[str, Any]) -> Answer:
    """Send `key` as `persona` on `fills` inside a transaction rolled back after it."""
    from nuanxin.core.models import AuditEntry

    method, template = key.split(" ", 1)
    path = _path(template, op, fills)
    headers = {} if persona == ANONYMOUS else {"Authorization": f"Bearer {matrix.tokens[persona]}"}
    body = op.body(matrix.objects) if op.body else None
    client = Client()
    with transaction.atomic():
        before, last = _count(op.model), _last_audit_id()
        if method == "GET":
            response = client.get(path, op.query, headers=headers)
        elif op.multipart:
            response = client.generic(method, path, **_multipart(body or {}), headers=headers)
        else:
            payload = json.dumps(body) if body is not None else ""
            response = client.generic(method, path, payload, content_type="application/json", headers=headers)
        after = _count(op.model)
        audit = list(AuditEntry.objects.filter(pk__gt=last).values_list("action", flat=True))
        transaction.set_rollback(True)
    content = _content(response)
    return Answer(response.status_code, content.decode("utf-8", "replace"), before, after, audit)


def _content(response: Any) -> bytes:
    """The answer's bytes; for a zip (a .docx or .xlsx) the text of every part inside, so the
    canary reads a workbook's cells and a document's paragraphs too. PDF streams are
    compressed and stay unread: the certificates' .docx twin holds the same words."""
    data = b"".join(response.streaming_content) if response.streaming else bytes(response.content)
    if data[:4] != b"PK\x03\x04":
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"\n".join(archive.read(name) for name in archive.namelist() if name.endswith((".xml", ".rels")))


def _multipart(body: dict[str, Any]) -> dict[str, Any]:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return {"data": encode_multipart(BOUNDARY, body), "content_type": MULTIPART_CONTENT}


def _expected(op: Op, persona: str, where: str) -> str:
    """'ok', 'denied', 'anonymous' or 'out' for this persona on this object. On the outside
    object the other community's admin stands where the community admin stands inside."""
    if where == "outside" and persona in op.outside_allowed:
        return "ok"
    if where == "outside" and persona != ANONYMOUS and persona not in OUTSIDE_REACH:
        return "out"
    if where == "outside" and persona == "other_admin":
        persona = "community_admin"
    if persona in op.allowed:
        return "ok"
    return "anonymous" if persona == ANONYMOUS else "denied"


def _check(op: Op, expected: str, answer: Answer, write: bool = True) -> str | None:
    status = answer.status
    if status >= 500:
        return f"server error {status}"
    if expected == "ok":
        good = status in op.accept if op.accept else 200 <= status < 300
        return None if good else f"expected success, got {status}: {answer.body[:160]}"
    if expected == "out" and status != 404:
        return f"outside its scope: expected 404, got {status}"
    if expected == "anonymous" and status != 401:
        return f"anonymous: expected 401, got {status}"
    if expected == "denied" and status not in DENIED | op.deny_also:
        return f"not allowed: expected 403/404, got {status}: {answer.body[:160]}"
    if expected != "ok" and op.model and answer.count_before != answer.count_after:
        return f"refused write changed {op.model}: {answer.count_before} -> {answer.count_after}"
    stray = [a for a in answer.audit_actions if a != "access.denied"]
    if expected != "ok" and write and stray:
        return f"refused write was audited as done: {stray}"
    return None


def _leaks(secrets: list[str], texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        plain = re.sub(r"[\s\-+()]", "", text)
        for secret in secrets:
            bare = re.sub(r"[\s\-+()]", "", secret)
            if secret in text or bare in plain:
                found.append(secret)
    return sorted(set(found))


# The declarations cover the API exactly


def test_every_api_operation_is_declared() -> None:
    operations = _api_operations()
    assert len(operations) > 100
    assert sorted(operations - set(API)) == [], "declare these in matrix_support.API"
    assert sorted(set(API) - operations) == [], "these declarations name no operation"


# The matrix


@pytest.mark.parametrize("key", sorted(API))
def test_operation_answers_each_persona_as_declared(rules: Matrix, canary: _Collector, key: str) -> None:
    op = API[key]
    problems: list[str] = []
    bodies: list[str] = []
    wheres = ["inside", "outside"] if op.outside and "{" in key else ["inside"]
    for where in wheres:
        fills = rules.objects.inside if where == "inside" else rules.objects.outside
        for persona in (*PERSONAS, ANONYMOUS):
            answer = _send(rules, key, op, persona, fills)
            if not op.reveals:
                bodies.append(answer.body)
            problem = _check(op, _expected(op, persona, where), answer, write=not key.startswith("GET "))
            if problem:
                problems.append(f"{persona} on the {where} object: {problem}")
    assert not problems, "\n".join(problems)
    assert _leaks(rules.objects.secrets, bodies + canary.lines) == []


def _page_routes(resolver: Any = None, prefix: str = "") -> list[str]:
    """Every URL pattern as its route (test_surfaces.py walks the same tree)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _page_routes(entry, route)
        elif isinstance(entry, URLPattern):
            routes.append(route)
    return routes


def test_every_page_is_declared() -> None:
    routes = {r for r in _page_routes() if not r.startswith(PAGE_PREFIXES_LEFT_OUT)}
    assert len(routes) > 100
    assert sorted(routes - set(PAGES)) == [], "declare these in matrix_support.PAGES"
    assert sorted(set(PAGES) - routes) == [], "these declarations name no page"


def _page_path(route: str, page: Page, fills: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(fills[page.params.get(name, name)])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route)


def _page_expected(page: Page, persona: str, where: str) -> str:
    if where == "outside" and persona in page.outside_allowed:
        return "ok"
    if where == "outside" and persona != ANONYMOUS and persona not in OUTSIDE_REACH:
        return "out"
    if where == "outside" and persona == "other_admin":
        persona = "community_admin"
    if persona in page.allowed:
        return "ok"
    return "anonymous" if persona == ANONYMOUS else "denied"


def _page_check(page: Page, expected: str, status: int, location: str) -> str | None:
    if status >= 500:
        return f"server error {status}"
    if expected == "ok":
        return None if status in page.accept else f"expected {sorted(page.accept)}, got {status}"
    if expected == "out":
        return None if status == 404 else f"outside its scope: expected 404, got {status}"
    if expected == "anonymous":
        if page.public:
            return None if status in page.accept | {404} else f"public page: got {status}"
        good = status == 302 and "/accounts/login/" in location
        return None if good else f"anonymous: expected a redirect to sign in, got {status} {location}"
    # Refused: 403/404, or a field user sent to their home page.
    good = status in DENIED or (status == 302 and "/accounts/login/" not in location)
    return None if good else f"not allowed: expected 403/404, got {status}"


def _open_page(matrix: Matrix, page: Page, persona: str, path: str) -> tuple[int, str, str, list[str]]:
    """GET the page (an empty POST for a form's target) as `persona`, rolled back after; with
    the actions the audit log got meanwhile."""
    from nuanxin.core.models import AuditEntry

    client = Client()
    if persona != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = matrix.sessions[persona]
    with transaction.atomic():
        last = _last_audit_id()
        response = client.post(path, {}) if page.post else client.get(path)
        audit = list(AuditEntry.objects.filter(pk__gt=last).values_list("action", flat=True))
        transaction.set_rollback(True)
    content = _content(response)
    return response.status_code, response.get("Location", ""), content.decode("utf-8", "replace"), audit


@pytest.mark.parametrize("route", sorted(PAGES))
def test_page_answers_each_persona_as_declared(rules: Matrix, canary: _Collector, route: str) -> None:
    page = PAGES[route]
    problems: list[str] = []
    bodies: list[str] = []
    wheres = ["inside", "outside"] if page.outside and "<" in route else ["inside"]
    for where in wheres:
        fills = rules.objects.inside if where == "inside" else rules.objects.outside
        path = _page_path(route, page, fills)
        for persona in (*PERSONAS, ANONYMOUS):
            status, location, body, audit = _open_page(rules, page, persona, path)
            bodies.append(body)
            expected = _page_expected(page, persona, where)
            problem = _page_check(page, expected, status, location)
            stray = [a for a in audit if a != "access.denied"]
            if not problem and page.post and expected != "ok" and stray:
                problem = f"refused form was audited as done: {stray}"
            if problem:
                problems.append(f"{persona} on the {where} object: {problem}")
    assert not problems, "\n".join(problems)
    assert _leaks(rules.objects.secrets, bodies + canary.lines) == []


# The leak canary sees what it looks for


def test_canary_sample_holds_ids_and_phones_the_answers_touch(rules: Matrix) -> None:
    secrets = rules.objects.secrets
    assert any(len(s) == 18 for s in secrets) and any(len(s) == 11 for s in secrets)
    assert "13755556666" in secrets  # the case reporter's phone
    assert "13800000001" in secrets  # a volunteer's phone
    detail = _send(
        rules,
        "GET /api/v1/people/residents/{resident_id}",
        API["GET /api/v1/people/residents/{resident_id}"],
        "community_admin",
        rules.objects.inside,
    )
    assert detail.status == 200 and json.loads(detail.body)["name"] == "张三"
    assert "13812345678" in secrets and "138****5678" in detail.body


def test_canary_sees_the_raw_value_a_reveal_answers(rules: Matrix) -> None:
    """The one answer that carries a raw value by design proves the sample is decrypted right."""
    key = "POST /api/v1/people/residents/{resident_id}/reveal"
    answer = _send(rules, key, API[key], "community_admin", rules.objects.inside)
    assert answer.status == 200
    assert _leaks(rules.objects.secrets, [answer.body]) == ["13812345678"]


def test_canary_catches_a_raw_value_even_with_separators(rules: Matrix) -> None:
    phone = rules.objects.secrets[0]
    spaced = f"{phone[:3]} {phone[3:7]}-{phone[7:]}"
    assert _leaks([phone], [f"x {spaced} y"]) == [phone]
    assert _leaks([phone], ["138****5678"]) == []


def test_canary_reads_the_cells_inside_a_workbook(rules: Matrix) -> None:
    from django.http import HttpResponse

    from nuanxin.core.spreadsheets import workbook_bytes

    phone = rules.objects.secrets[0]
    workbook = HttpResponse(workbook_bytes([["电话"], [phone]]))
    assert phone not in workbook.content.decode("utf-8", "replace")  # compressed as sent
    assert _leaks([phone], [_content(workbook).decode("utf-8", "replace")]) == [phone]
