from datetime import UTC, date, datetime, timedelta
from itertools import combinations

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings
from shapely.geometry import shape
from shapely.ops import unary_union

from nuanxin.accounts.models import RoleGrant, User
from nuanxin.cases.models import Case, CaseEvent
from nuanxin.core.audit import verify_chain
from nuanxin.core.validators import normalize_id_number, normalize_mobile
from nuanxin.demo.builder import DEMO_PASSWORD, build_demo
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place, StaffAssignment
from nuanxin.territory.queries import formula_gaps, staff_on

# The seed's figures compressed into July 2023, then a living history to the build day.
TODAY = date(2023, 9, 6)
SMALL = {"residents": 40, "merchants": 12, "history": (date(2023, 7, 1), date(2023, 7, 31)), "today": TODAY}
# The demo's present: 08:00 in Kunming on the build day.
PRESENT = datetime(2023, 9, 6, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One small demo for the whole module (its history makes it slow to build), rolled back
    at the end; each test still runs in its own transaction on top of it. The clock stands at
    the demo's present, and runs on from there."""
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
    )
    clock = time_machine.travel(PRESENT, tick=True)
    with django_db_blocker.unblock(), fast, clock, transaction.atomic():
        yield build_demo(seed=7, **SMALL)
        transaction.set_rollback(True)


def test_six_grids_tile_the_community(demo):
    community = Area.objects.get(level="community", name="怡心桥社区")
    grids = [shape(g.boundary) for g in Area.objects.filter(level="grid", parent=community)]
    assert len(grids) == 6
    outline = shape(community.boundary)
    assert abs(outline.centroid.x - 102.70) < 0.005 and abs(outline.centroid.y - 24.98) < 0.005
    assert outline.symmetric_difference(unary_union(grids)).area < 1e-12
    for a, b in combinations(grids, 2):
        assert a.intersection(b).area < 1e-12
    assert shape(community.parent.boundary).contains(outline)
    assert community.parent.parent.name == "西山区"


def test_places_are_those_of_the_seed(demo):
    def count(kind):
        return Place.objects.filter(kind=kind).count()

    assert count("compound") == 13
    assert set(Place.objects.filter(kind="commercial_centre").values_list("name", flat=True)) == {
        "南亚风情第壹城",
        "滇池时代广场",
    }
    assert count("public_unit") == 9
    assert Place.objects.filter(kind="public_unit", name="星秀文化传媒(昆明)有限公司").exists()
    assert count("merchant") + count("enterprise") == SMALL["merchants"]
    stations = Place.objects.filter(kind="station")
    assert stations.count() == 8
    for station in stations:
        assert station.name.startswith("温新驿站·")
        assert {"热水", "无线网络", "充电"} <= set(station.attributes["amenities"])
        assert station.attributes["opening_hours"]
    for building in Place.objects.filter(kind="building").select_related("parent"):
        assert building.parent.kind == "compound" and building.grid_id == building.parent.grid_id
    assert 2 * 13 <= count("building") <= 6 * 13


def test_every_grid_is_staffed_by_the_formula_in_2024(demo):
    grids = list(Area.objects.filter(level="grid"))
    for grid in grids:
        assert formula_gaps(grid, date(2024, 6, 1)) == []
        assert formula_gaps(grid, date(2023, 6, 30)) != []  # before the community was founded
    # One handover shows history: who was the part-time worker depends on the day.
    ended = StaffAssignment.objects.get(ends_on__isnull=False)
    before = {a.person_id for a in staff_on(ended.grid, date(2024, 3, 1))}
    after = {a.person_id for a in staff_on(ended.grid, date(2024, 6, 1))}
    assert ended.person_id in before and ended.person_id not in after
    assert ended.ends_on.year == 2024


def test_demo_logins_exist_with_their_roles(demo):
    expected = {
        "admin": ("system_admin", None),
        "street": ("street_admin", "street"),
        "community": ("community_admin", "community"),
        "grid1-leader": ("grid_leader", "grid"),
        "grid1-worker": ("grid_worker", "grid"),
        "grid2-worker": ("grid_worker", "grid"),
        "rider1": ("mobile_reporter", "community"),
        "resident1": ("resident", "community"),
        "partner1": ("partner_rep", None),
        "auditor": ("auditor", None),
    }
    for username, (role, level) in expected.items():
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD), username
        # The login's own grant, the first; partner1 also speaks for a merchant partner.
        grant = RoleGrant.objects.filter(user=user, role=role).order_by("pk").first()
        assert grant is not None, username
        assert (grant.area.level if grant.area else None) == level
    grid1 = Area.objects.get(level="grid", code="G1")
    assert RoleGrant.objects.get(user__username="grid1-worker").area == grid1
    assert RoleGrant.objects.get(user__username="grid2-worker").area.code == "G2"
    assert staff_on(grid1, date(2024, 6, 1)).filter(person__username="grid1-leader", duty="grid_leader").exists()
    assert User.objects.get(username="rider1").display_name == "何伟"
    assert (
        RoleGrant.objects.filter(user__username="partner1").order_by("pk").first().unit.name
        == "星秀文化传媒(昆明)有限公司"
    )
    resident = Resident.objects.get(user__username="resident1")
    assert resident.grid == grid1 and resident.name == resident.user.display_name
    # Staff who are not demo logins cannot sign in.
    assert not User.objects.get(username="staff-g3-leader").has_usable_password()


def test_residents_live_in_households_with_valid_numbers(demo):
    residents = list(Resident.objects.select_related("household", "place"))
    assert SMALL["residents"] <= len(residents) < SMALL["residents"] + 5
    for resident in residents:
        assert resident.household is not None and resident.household.place == resident.place
        assert resident.place.kind == "building"
        assert normalize_id_number(resident.id_number).startswith("530112")
        assert resident.gender == ("male" if int(resident.id_number[16]) % 2 else "female")
        if resident.phone:
            normalize_mobile(resident.phone)
        assert 2 <= len(resident.name) <= 3


def test_audit_chain_verifies_after_the_build(demo):
    assert verify_chain() == []


def test_demo_installs_the_case_catalogue(demo):
    from nuanxin.cases.models import CaseClass

    assert CaseClass.objects.filter(code="stove-left-on", emergency=True).exists()


def test_case_history_goes_round_the_closed_loop(demo):
    history = Case.objects.filter(reported_at__date__lte=date(2023, 7, 31))
    assert history.count() >= 15
    fixed = history.filter(closure="fixed")
    assert fixed.count() >= 0.7 * history.count()
    for case in fixed.prefetch_related("events", "photos"):
        kinds = [e.kind for e in case.events.all()]
        assert kinds[0] == "reported" and "closed" in kinds
        assert kinds.index("dispatched") < kinds.index("resolved") < kinds.index("verified")
        assert {"accepted", "escalated"} & set(kinds[: kinds.index("dispatched")])  # taken on first
        verified = next(e for e in case.events.all() if e.kind == "verified")
        assert verified.actor_id != case.handler_id  # someone else verified the work
        assert any(p.stage == "after" for p in case.photos.all())
        times = [e.at for e in case.events.all()]
        assert times == sorted(times)
    for case in history.filter(anonymous=True):
        assert (case.reporter_name, case.reporter_phone) == ("", "")
        if case.channel != "staff":  # on the staff channel the actor is the staff member, not the caller
            assert not CaseEvent.objects.filter(case=case, kind="reported", actor__isnull=False).exists()
    refused = set(history.filter(state="rejected").values_list("closure", flat=True))
    assert refused <= {"referred", "no_action"}


def test_case_history_leaves_some_recent_cases_open(demo):
    from datetime import timedelta

    from django.utils import timezone

    recent = Case.objects.filter(reported_at__gte=timezone.now() - timedelta(days=2, hours=1))
    assert 0 < recent.count() <= 8
    assert recent.exclude(state__in=["closed", "rejected"]).exists()


def test_inspection_history_reproduces_the_seed_figures(demo):
    """The period figures, counted from what the actions wrote, say what the seed says of
    怡心桥社区 (here compressed into one month, with the demo's 12 merchants)."""
    from nuanxin.accounts.scope import scope_of
    from nuanxin.insights.queries import period_figures
    from nuanxin.territory.models import Place

    manager = User.objects.get(username="community")
    figures = period_figures(scope_of(manager), demo.community, date(2023, 7, 1), date(2023, 7, 31))
    assert figures.disputes.resolved == 49
    assert figures.fire_checks == 62
    assert figures.cleanups == 50
    assert (figures.new_employment_fire_checks, figures.new_employment_cleanups) == (14, 21)
    enterprises = Place.objects.filter(kind__in=["merchant", "enterprise"]).count()
    assert figures.food_safety_enterprises == enterprises == 12
    assert figures.visits_done > 0 and figures.visits_missed >= 0


def test_inspection_history_visits_the_watchlist_and_closes_what_it_finds(demo):
    from nuanxin.inspections.models import Rectification, Visit, WatchChange, WatchTarget

    targets = WatchTarget.objects.all()
    assert targets.filter(category="catering").exists() and targets.filter(category="special_group").exists()
    done = Visit.objects.filter(state="done")
    assert done.filter(kind="routine").exists() and done.filter(kind="campaign", activity__isnull=False).exists()
    assert all(v.version_id is not None for v in done.filter(kind="routine"))
    orders = Rectification.objects.filter(deadline__lte=date(2023, 7, 31))
    assert orders.exists()
    # Every order whose re-check fell within the month is closed by it.
    for order in orders:
        assert order.state == "fixed", order.number
        assert order.rechecks.filter(state="done").exists()
    # Each change of frequency is on record with its reason, dated within the history.
    assert WatchChange.objects.exclude(reason="").count() == WatchChange.objects.count() >= targets.count()
    assert not WatchChange.objects.filter(at__date__gt=TODAY).exists()


# --- the living history: what the build day finds ----------------------------------------


def test_each_demo_grid_worker_has_a_visit_due_on_the_build_day_and_one_overdue(demo):
    from nuanxin.inspections.models import Visit

    for username in ("grid1-worker", "grid2-worker"):
        visits = Visit.objects.filter(worker__username=username)
        assert visits.filter(state="due", due_on=TODAY).exists(), username
        overdue = visits.filter(state="missed", due_on__gte=TODAY - timedelta(days=30))
        assert overdue.exists(), username
    # Nothing was done after the present.
    assert not Visit.objects.filter(done_at__gte=PRESENT).exists()


def test_an_activity_is_under_way_on_the_build_day_and_checks_in_by_its_code(demo):
    from nuanxin.accounts.scope import scope_of
    from nuanxin.volunteers.models import Activity
    from nuanxin.volunteers.signups.checkins import check_in

    running = Activity.objects.get(published=True, starts_on=TODAY)
    rider = User.objects.get(username="rider1")
    during = datetime(2023, 9, 6, 3, 0, tzinfo=UTC)  # 11:00 in Kunming
    attendance = check_in(actor=rider, activity=running, scope=scope_of(rider), now=during)
    assert attendance.method == "qr"
    assert Activity.objects.filter(published=True, starts_on__gt=TODAY).exists()


def test_the_last_weeks_leave_cases_in_every_state_some_overdue_and_an_emergency(demo):
    recent = Case.objects.filter(reported_at__gte=PRESENT - timedelta(days=21))
    states = set(recent.values_list("state", flat=True))
    assert {"reported", "accepted", "dispatched", "in_progress", "resolved", "closed"} <= states
    open_cases = recent.exclude(state__in=["closed", "rejected"])
    assert open_cases.filter(case_class__emergency=True).exists()
    # Some went past their time limit: supervised by the time-limit job, and still open.
    assert CaseEvent.objects.filter(case__in=open_cases, kind="supervised").exists()
    assert not CaseEvent.objects.filter(at__gt=PRESENT).exists()


def test_the_figures_of_the_build_month_are_not_zero(demo):
    from nuanxin.accounts.scope import scope_of
    from nuanxin.insights.queries import period_figures

    manager = User.objects.get(username="community")
    figures = period_figures(scope_of(manager), demo.community, date(2023, 9, 1), TODAY)
    assert figures.visits_done > 0
    assert figures.fire_checks > 0 and figures.hazards.found > 0
    assert figures.disputes.received + figures.cleanups + figures.food_safety_checks > 0


@pytest.fixture(autouse=True)
def _database(demo, db):
    """Every test here reads the module's demo (built first, being module-scoped)."""


def test_party_history_builds_the_committee_its_branches_and_members(demo):
    from nuanxin.party.models import PartyMember, PartyOrg, TwoNewOrg

    committee = PartyOrg.objects.get(kind="committee", parent=None)
    assert committee.name == "怡心桥社区党委"
    branches = set(PartyOrg.objects.filter(parent=committee).values_list("name", flat=True))
    assert {f"第{n}网格党支部" for n in "一二三四五六"} | {"离退休党员党支部", "商圈联合党支部"} == branches
    # 星秀文化传媒's branch comes in 2024-10: after this small demo's build day; the business
    # district's survey has begun, and its pipeline has not reached a founding yet.
    assert not PartyOrg.objects.filter(name__startswith="星秀文化传媒").exists()
    xingxiu = TwoNewOrg.objects.get(place__name="星秀文化传媒(昆明)有限公司")
    assert (xingxiu.stage, xingxiu.guidance_on, xingxiu.employees) == ("guidance", date(2023, 8, 15), 200)
    assert TwoNewOrg.objects.count() > 1 and not TwoNewOrg.objects.filter(stage="founded").exists()
    veteran = PartyMember.objects.get(name="方力杰")
    assert (veteran.status, veteran.org.name) == ("retired", "离退休党员党支部")
    # Riders found by the survey are mobile members, linked to their own accounts.
    mobile = PartyMember.objects.filter(status="mobile_in")
    assert mobile.exists() and all(m.user.username.startswith("rider") and m.origin for m in mobile)
    # Grid members are the grid's residents, linked, never copied: the same name, one membership.
    linked = PartyMember.objects.filter(resident__isnull=False).select_related("resident", "org__area")
    assert linked.exists()
    assert all(m.name == m.resident.name and m.resident.grid.path.startswith(m.org.area.path) for m in linked)
    assert PartyMember.objects.filter(status="reporting", org=committee).count() == 14


def test_party_history_builds_the_alliance_of_nine_units_with_pacts_in_force(demo):
    from nuanxin.accounts.models import User
    from nuanxin.accounts.scope import scope_of
    from nuanxin.party import alliance
    from nuanxin.party.models import AllianceUnit, Delivery, Need, Pact

    units = AllianceUnit.objects.filter(left_on__isnull=True)
    assert units.count() == 9  # "与辖区9家企事业单位签订“大党委”结对共建协议"
    assert {"星秀文化传媒(昆明)有限公司", "前卫派出所怡心桥警务室", "工商银行日新中路支行"} <= {
        u.place.name for u in units
    }
    in_force = Pact.objects.filter(starts_on__lte=TODAY, ends_on__gte=TODAY)
    assert in_force.values("unit").distinct().count() == 9
    assert all(pact.commitments.exists() for pact in in_force)
    # Every delivery lies within what was committed by its day, or says why not.
    for delivery in Delivery.objects.select_related("commitment__pact"):
        commitment, pact = delivery.commitment, delivery.commitment.pact
        so_far = sum(d.quantity for d in commitment.deliveries.filter(delivered_on__lte=delivery.delivered_on))
        committed = commitment.quantity * alliance.periods_begun(commitment, pact, delivery.delivered_on)
        assert so_far <= committed or delivery.beyond_reason
    assert Need.objects.filter(raised_on__lte=TODAY).exists()
    # partner1 speaks for 星秀文化传媒: their own pact only.
    partner = scope_of(User.objects.get(username="partner1"))
    assert {p.unit.place.name for p in Pact.objects.visible_to(partner)} == {"星秀文化传媒(昆明)有限公司"}


def test_party_history_plans_the_alliances_first_joint_meeting(demo):
    from nuanxin.party.models import JointMeeting, Task

    # The build day (2023-09-06) comes before the first quarter's meeting: planned, not held.
    meeting = JointMeeting.objects.get()
    assert (meeting.title, meeting.held) == ("2023年第3季度大党委联席会议", False)
    assert meeting.starts_at.date() == date(2023, 9, 20) and meeting.agenda.count() == 2
    assert not Task.objects.exists()


def test_voice_history_gathers_opinions_from_every_channel_to_their_outcome(demo):
    from nuanxin.voice.models import Opinion

    channels = set(Opinion.objects.values_list("channel", flat=True))
    assert {"phone", "visit"} <= channels and len(channels) >= 4
    assert Opinion.objects.filter(anonymous=True, author__isnull=True).exists()
    assert Opinion.objects.filter(topic__isnull=False).exists()  # alike ones joined a topic
    closed = Opinion.objects.exclude(state="open")
    assert closed.count() > Opinion.objects.filter(state="open").count()
    assert {"answered", "declined"} <= set(closed.values_list("state", flat=True))
    assert Opinion.objects.filter(rating__isnull=False).exists()
    assert not Opinion.objects.filter(received_at__gt=PRESENT).exists()
    assert not closed.filter(replied_at__gt=PRESENT).exists()
