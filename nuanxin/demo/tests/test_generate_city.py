"""The city generator (nuanxin/demo/city/): a small city on the test database, its
determinism, the top-up of cases, the scope of a generated grid worker, and the refusal of a
database holding another territory. Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from nuanxin.accounts.models import RoleGrant, User
from nuanxin.accounts.roles import Role
from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions as case_actions
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseClass, CaseCounter, CaseEvent
from nuanxin.core.audit import verify_chain
from nuanxin.core.validators import normalize_id_number
from nuanxin.demo.city import database_digest, generate_city, sink
from nuanxin.demo.city.moments import BEIJING, dt, moment, moment_at
from nuanxin.demo.city.plan import CityPlan
from nuanxin.inspections.checklists import install_demo_templates
from nuanxin.inspections.models import Visit, WatchTarget
from nuanxin.people.models import Household, Resident, ResidentTag
from nuanxin.stations.models import Station
from nuanxin.territory import actions as territory_actions
from nuanxin.territory.models import Area, Place, StaffAssignment
from nuanxin.testing import SYSTEM_SCOPE, table_schema

pytestmark = pytest.mark.django_db

UNTIL = date(2025, 6, 30)
SMALL = CityPlan(
    districts=1,
    streets=2,
    communities=2,
    grids=2,
    residents=400,
    cases=500,
    targets=120,
    stations=6,
    seed=7,
    until=UNTIL,
)


def small(**changes: object) -> CityPlan:
    return CityPlan(**{**SMALL.__dict__, **changes})  # type: ignore[arg-type]


def test_small_city_matches_the_flags() -> None:
    out = io.StringIO()
    call_command(
        "generate_city",
        "--districts=1",
        "--streets=2",
        "--communities=2",
        "--grids=2",
        "--residents=400",
        "--cases=500",
        "--targets=120",
        "--stations=6",
        "--seed=7",
        f"--until={UNTIL}",
        stdout=out,
    )
    levels = dict.fromkeys(Area.Level.values, 0)
    for level in Area.objects.values_list("level", flat=True):
        levels[level] += 1
    assert levels == {"city": 1, "district": 1, "street": 2, "community": 4, "grid": 8}
    assert Case.objects.count() == 500
    assert Resident.objects.count() == 400
    assert WatchTarget.objects.count() == 120
    assert Station.objects.count() == 6
    # Staff: a worker per grid on duty there, an admin per community and street, one city admin.
    roles = {role: 0 for role in Role.values}
    for role in RoleGrant.objects.values_list("role", flat=True):
        roles[role] += 1
    assert roles[Role.GRID_WORKER] == 8
    assert roles[Role.COMMUNITY_ADMIN] == 4
    assert roles[Role.STREET_ADMIN] == 2
    assert roles[Role.SYSTEM_ADMIN] == 1
    assert StaffAssignment.objects.filter(duty=StaffAssignment.Duty.GRID_WORKER).count() == 8
    # One password hash, made once, for every account.
    assert User.objects.values("password").distinct().count() == 1
    assert User.objects.get(username="grid-d01-s02-c02-g2").check_password(SMALL.password)
    # Every case in a grid, its numbers unique, its timeline starting with the report.
    grids = set(Area.objects.filter(level="grid").values_list("id", flat=True))
    assert set(Case.objects.values_list("grid_id", flat=True)) <= grids
    assert Case.objects.values("number").distinct().count() == 500
    assert CaseEvent.objects.filter(kind="reported").count() == 500
    states = set(Case.objects.values_list("state", flat=True))
    assert {"closed", "rejected"} <= states and states & {"dispatched", "in_progress", "resolved", "verified"}
    assert Case.objects.filter(state="closed").count() > Case.objects.exclude(state="closed").count()
    # Residents: encrypted ID numbers read back through the field, with the blind index filled.
    resident = Resident.objects.exclude(phone="").first()
    assert resident is not None and len(resident.id_number) == 18 and resident.id_number_index
    assert resident.phone.isdigit() and resident.phone_index
    # Timestamps shared by a table's rows, written as text once, read back as the moment
    # they name: people at 11:00, places at 10:00 Beijing time on the history's first day.
    moved_in = timezone.localtime(resident.created_at)
    assert (moved_in.hour, moved_in.minute) == (11, 0) and moved_in.utcoffset() == timedelta(hours=8)
    assert resident.household.created_at == resident.created_at
    assert timezone.localtime(resident.household.place.created_at) == moved_in - timedelta(hours=1)
    assert Household.objects.count() > 100
    # Every target has a visit; the visits are in their target's grid.
    assert WatchTarget.objects.filter(visits__isnull=True).count() == 0
    assert Visit.objects.filter(grid_id__in=grids).count() == Visit.objects.count()
    # Resident targets are tagged in their category.
    for target in WatchTarget.objects.filter(resident__isnull=False):
        assert ResidentTag.objects.filter(resident=target.resident, kind=target.category).exists()
    assert "rows/s" in out.getvalue()
    # Bulk data writes no audit entry, and the chain is whole.
    assert verify_chain() == []
    call_command("audit_verify", stdout=io.StringIO())


def test_same_seed_same_rows_and_the_tables_hold_them() -> None:
    install_catalogue(actor=None)
    install_demo_templates(actor=None)
    first = generate_city(SMALL, dry=True).digests
    again = generate_city(SMALL, dry=True).digests
    other = generate_city(small(seed=8), dry=True).digests
    assert first == again
    assert first["cases_case"] != other["cases_case"] and first["people_resident"] != other["people_resident"]
    assert Case.objects.count() == 0  # a dry run writes nothing
    built = generate_city(SMALL, digest=True).digests
    assert built == first
    stored = database_digest(SMALL.seed)
    assert stored == {table: digest for table, digest in built.items() if table in stored}
    assert {"cases_case", "people_resident", "inspections_watchtarget", "inspections_visit"} <= set(stored)


def test_top_up_adds_exactly_the_missing_cases_as_a_direct_build_would() -> None:
    install_catalogue(actor=None)
    install_demo_templates(actor=None)
    direct = generate_city(small(cases=700), dry=True).digests
    generate_city(small(cases=300))
    residents = Resident.objects.count()
    result = generate_city(small(cases=700, residents=999))
    assert not result.created
    assert result.counts["cases"] == 400
    assert Case.objects.count() == 700
    assert Resident.objects.count() == residents  # other tables stay
    assert database_digest(SMALL.seed)["cases_case"] == direct["cases_case"]
    assert database_digest(SMALL.seed)["cases_caseevent"] == direct["cases_caseevent"]
    assert generate_city(small(cases=700)).counts["cases"] == 0
    # The day counters follow the numbers given out.
    for counter in CaseCounter.objects.all():
        numbers = Case.objects.filter(number__startswith=f"{counter.day:%Y%m%d}-").values_list("number", flat=True)
        assert counter.last == max(int(n.split("-")[1]) for n in numbers)


def test_a_grid_worker_sees_only_their_grid() -> None:
    generate_city(SMALL)
    worker = User.objects.get(username="grid-d01-s01-c01-g2")
    grid = Area.objects.get(path="bench7/D01/S01/C01/G2/")
    visible = Case.objects.visible_to(scope_of(worker))
    assert visible.count() == Case.objects.filter(grid=grid).count() > 0
    assert set(visible.values_list("grid_id", flat=True)) == {grid.pk}
    # Through the pages; every account has the shared password.
    assert worker.check_password(SMALL.password)
    client = Client()
    client.force_login(worker)
    own = Case.objects.filter(grid=grid).first()
    other = Case.objects.exclude(grid=grid).first()
    assert own is not None and other is not None
    assert client.get(f"/cases/{own.pk}/").status_code == 200
    assert client.get(f"/cases/{other.pk}/").status_code == 404
    listed = client.get("/cases/")
    assert listed.status_code == 200


def test_the_app_writes_on_after_a_build() -> None:
    """Sequences and day counters continue after the bulk ids: a case reported through the
    action lands in the generated grid with the day's next number."""
    generate_city(SMALL)
    grid = Area.objects.get(path="bench7/D01/S02/C02/G1/")
    day = UNTIL - timedelta(days=1)
    last = CaseCounter.objects.filter(day=day).values_list("last", flat=True).first() or 0
    reporter = User.objects.get(username="rider-d01-s02-1")
    case = case_actions.report_case(
        actor=reporter,
        case_class=CaseClass.objects.get(code="sanitation"),
        description="垃圾桶满了没人清运",
        lng=grid.center_lng,
        lat=grid.center_lat,
        channel=Case.Channel.PHONE_PAGE,
        now=datetime(day.year, day.month, day.day, 15, tzinfo=BEIJING),
    )
    assert case.grid_id == grid.pk
    assert case.number == f"{day:%Y%m%d}-{last + 1:04d}"
    assert Place.objects.create(kind="merchant", name="新店", lng=grid.center_lng, lat=grid.center_lat, grid=grid).pk


def test_refuses_a_database_holding_another_territory() -> None:
    territory_actions.create_area(
        actor=None,
        scope=SYSTEM_SCOPE,
        level="district",
        code="530112",
        name="西山区",
        boundary={"type": "Polygon", "coordinates": [[[102.5, 24.8], [102.7, 24.8], [102.7, 25.0], [102.5, 24.8]]]},
        parent=None,
    )
    with pytest.raises(CommandError, match="another territory"):
        call_command(
            "generate_city", "--districts=1", "--streets=1", "--communities=1", "--grids=1", stdout=io.StringIO()
        )
    # A city of another seed is another territory too.
    Area.objects.all().delete()
    generate_city(small(cases=10, residents=20, targets=5, stations=1))
    with pytest.raises(CommandError, match="another territory"):
        call_command("generate_city", "--seed=8", "--cases=20", stdout=io.StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="bulk loading drops indexes on PostgreSQL only")
def test_bulk_loading_puts_every_index_and_constraint_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sink, "BULK_MINIMUM", 1)
    tables = ["cases_case", "cases_caseevent", "people_resident", "inspections_visit", "territory_place"]
    before = table_schema(tables)
    assert len(before) > 30
    said: list[str] = []
    generate_city(SMALL, say=said.append)
    # The patch reached the sink (where the threshold is read): the indexes were dropped and rebuilt.
    assert any("constraints rebuilt" in line for line in said)
    assert table_schema(tables) == before
    with pytest.raises(IntegrityError), transaction.atomic():
        # The rebuilt unique constraint holds.
        existing = Case.objects.first()
        assert existing is not None
        Case.objects.filter(pk=Case.objects.last().pk).update(number=existing.number)  # type: ignore[union-attr]


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="worker processes hand back COPY text: PostgreSQL only"
)


@postgres_only
def test_worker_processes_write_the_rows_one_process_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    install_catalogue(actor=None)
    install_demo_templates(actor=None)
    one_process = generate_city(SMALL, dry=True).digests
    monkeypatch.setattr(sink, "PARALLEL_MINIMUM", 1)
    monkeypatch.setattr(sink, "WORKERS", 2)
    # What the worker processes hand back is written by write_encoded: seen here, the rows were made there.
    handed_back: list[str] = []
    write_encoded = sink.Sink.write_encoded

    def seen(self: sink.Sink, model: type[Model], columns: Sequence[str], parts: Iterable[sink.Encoded]) -> int:
        handed_back.append(model._meta.db_table)
        return write_encoded(self, model, columns, parts)

    monkeypatch.setattr(sink.Sink, "write_encoded", seen)
    made_in_workers = generate_city(SMALL, digest=True).digests
    assert {"people_resident", "inspections_visit"} <= set(handed_back)
    assert made_in_workers == one_process
    stored = database_digest(SMALL.seed)
    assert stored["people_resident"] == one_process["people_resident"]
    assert Resident.objects.count() == SMALL.residents
    # The ID numbers are valid and unique, and each gives its resident's year of birth.
    residents = list(Resident.objects.all())
    assert all(normalize_id_number(r.id_number) == r.id_number for r in residents)
    assert len({r.id_number for r in residents}) == len(residents)
    assert all(int(r.id_number[6:10]) == r.birth_year for r in residents)


@postgres_only
def test_copy_text_carries_tabs_newlines_backslashes_and_nulls() -> None:
    from nuanxin.core.models import PeriodicClaim

    awkward = ["tab\there", "line\nbreak\r", "back\\slash \\N", "\\N", "普通"]
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=BEIJING)
    writer = sink.Sink(lambda _m: None, digest=True)
    rows = [(k + 1, job, k, at, "") for k, job in enumerate(awkward)]
    columns = ("id", "job", "period", "claimed_at", "claimed_by")
    assert writer.write_encoded(PeriodicClaim, columns, [writer.encode(PeriodicClaim, columns, rows)]) == len(rows)
    stored = list(PeriodicClaim.objects.order_by("id").values_list("job", "period", "claimed_at", "claimed_by"))
    assert stored == [(job, k, at, "") for k, job in enumerate(awkward)]


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31)),
    st.integers(min_value=0, max_value=2 * 86400),
    st.booleans(),
)
def test_a_moment_made_as_text_is_the_text_of_its_datetime(day: date, seconds: int, postgres: bool) -> None:
    # Visits carry their moments as text made without a datetime; the digests and the
    # columns read them back as datetimes, so the two texts must agree to the character.
    expected = moment(dt(day, seconds), postgres=postgres)
    assert moment_at(day, seconds, postgres=postgres) == expected


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_run_leaves_the_tables_vacuumed_and_analysed() -> None:
    # VACUUM runs only outside a transaction, so this test commits (transaction=True). A bulk
    # load leaves the visibility map empty: without the vacuum, index-only scans read the heap.
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        started = cursor.fetchone()[0]
    out = io.StringIO()
    call_command(
        "generate_city",
        "--districts=1",
        "--streets=1",
        "--communities=1",
        "--grids=2",
        "--residents=50",
        "--cases=200",
        "--targets=10",
        "--stations=1",
        f"--until={UNTIL}",
        stdout=out,
    )
    assert "VACUUM (ANALYZE)" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.relname, s.last_vacuum, s.last_analyze, c.relpages, c.relallvisible"
            " FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
            " WHERE s.relname IN ('cases_case', 'cases_caseevent', 'people_resident')"
        )
        rows = cursor.fetchall()
    assert len(rows) == 3
    for table, vacuumed, analysed, pages, all_visible in rows:
        assert vacuumed is not None and vacuumed >= started, table
        assert analysed is not None and analysed >= started, table
        # Every page is marked all-visible, so an index-only scan need not visit it.
        assert pages > 0 and all_visible == pages, table


def test_the_party_history_is_whole_and_counted_by_the_rollups() -> None:
    from nuanxin.insights import queries as insight_queries
    from nuanxin.party import alliance
    from nuanxin.party.models import (
        AllianceUnit,
        BranchMeeting,
        Commitment,
        Delivery,
        JointMeeting,
        Pact,
        PartyMember,
        PartyOrg,
        Task,
        TwoNewOrg,
    )

    generate_city(SMALL)
    communities = Area.objects.filter(level="community")
    assert PartyOrg.objects.filter(kind="committee").count() == communities.count() == 4
    # A branch per grid, each led by one of its own members; and those founded in two-new organisations.
    grid_branches = PartyOrg.objects.filter(kind="branch", place__isnull=True)
    assert grid_branches.count() == 8
    for branch in grid_branches.select_related("secretary", "parent"):
        assert branch.secretary is not None and branch.secretary.org_id == branch.pk
        assert branch.parent.kind == "committee" and branch.area.parent_id == branch.parent.area_id
        assert branch.members.count() >= 3
    for record in TwoNewOrg.objects.filter(coverage="own_branch").select_related("covered_by"):
        assert record.stage == "founded" and record.covered_by.place_id == record.place_id
        assert record.covered_by.founded_on == record.founded_on == record.covered_on
    assert TwoNewOrg.objects.filter(coverage="joint_branch").exists()
    # Every row is one the forms and actions could have written.
    for model in (PartyOrg, PartyMember, BranchMeeting, TwoNewOrg, AllianceUnit, Pact, Commitment, JointMeeting):
        for row in model.objects.all():
            row.full_clean(validate_unique=False)
    member = PartyMember.objects.first()
    assert member is not None and member.phone.isdigit()
    assert not BranchMeeting.objects.filter(held_on__gt=UNTIL).exists()
    # Alliances: nine units a committee (as the grids' places allow), deliveries within the
    # pacts' terms and by the last day, verified tasks finished.
    assert 0 < AllianceUnit.objects.count() <= 9 * 4
    for delivery in Delivery.objects.select_related("commitment__pact"):
        pact = delivery.commitment.pact
        assert pact.starts_on <= delivery.delivered_on <= min(pact.ends_on, UNTIL)
    assert Task.objects.filter(state="verified", finished_on__isnull=True).count() == 0
    assert Task.objects.filter(state="verified").exists()
    # The pact's standing reads what was written.
    pact = Pact.objects.first()
    assert pact is not None and any(row.delivered for row in alliance.standing(pact, UNTIL))
    # The period figures of a street, read from the rebuilt rollups, equal a count from the records.
    street = Area.objects.filter(level="street").first()
    admin = User.objects.get(username="city-admin")
    period = (date(2024, 1, 1), date(2024, 12, 31))
    shown = insight_queries.period_figures(scope_of(admin), street, *period)
    counted = insight_queries.counted_figures(scope_of(admin), street, *period)
    party = {m: n for s in shown.sections for m, _l, n in s.figures if m.startswith("party_")}
    assert party == {m: n for s in counted.sections for m, _l, n in s.figures if m.startswith("party_")}
    assert party["party_meetings_held"] > 0 and party["party_jointmeetings_held"] == 4 * 2  # a street's two communities
    assert party["party_committed_funds"] > 0 and party["party_delivered_venue_hours"] > 0
