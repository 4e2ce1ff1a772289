import hashlib
import io
import json
from datetime import date
from itertools import combinations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from shapely.geometry import shape
from shapely.ops import unary_union

from nuanxin.accounts.models import RoleGrant, User
from nuanxin.cases.models import Case, CaseEvent
from nuanxin.core.audit import verify_chain
from nuanxin.core.validators import normalize_id_number, normalize_mobile
from nuanxin.demo.builder import DEMO_PASSWORD, build_demo
from nuanxin.people.models import Resident, ResidentTag
from nuanxin.territory.models import Area, Place, StaffAssignment
from nuanxin.territory.queries import formula_gaps, staff_on

SMALL = {"residents": 40, "merchants": 12, "case_history": (date(2023, 7, 1), date(2023, 7, 31))}


@pytest.fixture
def demo(db):
    return build_demo(seed=7, **SMALL)


def digest() -> str:
    """Everything a viewer would name: areas with their boundaries, places, people, staff."""
    content = {
        "areas": list(Area.objects.order_by("path").values_list("path", "name", "boundary")),
        "places": list(Place.objects.order_by("id").values_list("kind", "name", "lng", "lat", "address")),
        "users": list(User.objects.order_by("username").values_list("username", "display_name")),
        "residents": list(Resident.objects.order_by("id").values_list("name", "household__number", "birth_year")),
        "cases": list(Case.objects.order_by("id").values_list("case_class__code", "description", "state", "lng")),
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


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
        grant = RoleGrant.objects.get(user=user, role=role)
        assert (grant.area.level if grant.area else None) == level
    grid1 = Area.objects.get(level="grid", code="G1")
    assert RoleGrant.objects.get(user__username="grid1-worker").area == grid1
    assert RoleGrant.objects.get(user__username="grid2-worker").area.code == "G2"
    assert staff_on(grid1, date(2024, 6, 1)).filter(person__username="grid1-leader", duty="grid_leader").exists()
    assert User.objects.get(username="rider1").display_name == "何伟"
    assert RoleGrant.objects.get(user__username="partner1").unit.name == "星秀文化传媒(昆明)有限公司"
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


def test_a_few_percent_of_residents_belong_to_special_groups(db):
    build_demo(seed=7, residents=600, merchants=0, case_history=None)
    share = ResidentTag.objects.filter(kind="special_group").count() / Resident.objects.count()
    assert 0.02 < share < 0.09


def test_same_seed_builds_the_same_demo_and_another_seed_differs(db):
    digests = []
    for seed in (7, 7, 8):
        with transaction.atomic():
            build_demo(seed=seed, **SMALL)
            digests.append(digest())
            transaction.set_rollback(True)
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_audit_chain_verifies_after_the_build(demo):
    assert verify_chain() == []


def test_load_demo_refuses_outside_demo_mode(db, settings):
    settings.NUANXIN_DEMO = False
    with pytest.raises(CommandError):
        call_command("load_demo", "--residents", "10", "--merchants", "5", "--no-cases", stdout=io.StringIO())
    assert not Area.objects.exists()


def test_load_demo_builds_an_empty_database_and_prints_the_logins(db, settings):
    settings.NUANXIN_DEMO = True
    out = io.StringIO()
    call_command("load_demo", "--residents", "10", "--merchants", "5", "--no-cases", stdout=out)
    assert Area.objects.filter(level="grid").count() == 6
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for username in ("admin", "grid1-worker", "resident1", "auditor"):
        assert username in text


def test_load_demo_leaves_a_database_with_a_territory_alone(world, settings):
    settings.NUANXIN_DEMO = True
    out = io.StringIO()
    areas = Area.objects.count()
    call_command("load_demo", "--residents", "10", "--merchants", "5", "--no-cases", stdout=out)
    assert Area.objects.count() == areas
    assert not User.objects.filter(username="admin").exists()
    assert "kept as it is" in out.getvalue()


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
