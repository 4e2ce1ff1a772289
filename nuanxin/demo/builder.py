"""The demo community of the seed article: 怡心桥社区 in 西山区, Kunming.

Everything comes from one `random.Random(seed)` and is written through the actions users
trigger (territory, accounts, people), so the demo obeys the same rules as real data and
leaves a complete, verifiable audit trail. Shapes, names and numbers are synthetic:
plausible, not survey data, and no real person's ID number or phone.

What happened in the community, from its founding to the day the demo is built, is written
by the steps registered in nuanxin.core.demo_history (this app's own: cases, inspections,
stations, volunteers, rewards; registered in apps.py): the seed article's period with its
exact figures, then a lighter living history up to the build day, which finds work to do.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from shapely.geometry import Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from nuanxin.accounts import actions as account_actions
from nuanxin.accounts.models import User
from nuanxin.accounts.roles import Role
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.core import demo_history
from nuanxin.core.audit import SYSTEM
from nuanxin.core.validators import id_check_digit
from nuanxin.demo.basemap import import_demo_basemap
from nuanxin.demo.scopes import Scopes
from nuanxin.demo.words import (
    AMENITIES,
    BRAND_FIRST,
    BRAND_SECOND,
    COMMERCIAL_CENTRES,
    COMPOUNDS,
    ENTERPRISE_TRADES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    MOBILE_PREFIXES,
    ROADS,
    SPECIAL_NOTES,
    STATIONS,
    SURNAME_WEIGHTS,
    SURNAMES,
    TRADES,
)
from nuanxin.inspections.checklists import install_demo_templates
from nuanxin.open311.actions import issue_api_key
from nuanxin.people import actions as people_actions
from nuanxin.people.models import KeyPersonCategory, Resident, ResidentTag, SpecialGroup
from nuanxin.territory import actions as territory_actions
from nuanxin.territory.models import Area, Place, StaffAssignment

DEMO_PASSWORD = "nuanxin-demo"
# The demo's Open311 API key, published in README.md: demo mode only, like the password.
DEMO_OPEN311_KEY = "nuanxin-demo-open311-key"
DEFAULT_SEED = 20230701
DEFAULT_RESIDENTS = 3000
DEFAULT_MERCHANTS = 1050
# The community was founded in July 2023; staffing starts then. The seed article's figures
# are those of FOUNDED..HISTORY_END; the living history goes on from there to the build day.
FOUNDED = date(2023, 7, 1)
HISTORY_END = date(2024, 12, 31)
# The history stops at this time of the build day (Beijing time), before the office opens: the
# day's work is still to do, and nothing is dated after a build made later in the day.
PRESENT_TIME = time(8, 0)
# Ages are counted on a fixed day, not today, so a seed gives the same people on any day.
AGE_REFERENCE = date(2024, 12, 1)
# 西山区's division code: the first six digits of the demo residents' ID numbers.
REGION = "530112"

# About 1.2 km east-west by 0.9 km north-south around 24.98 N, 102.70 E; 3 × 2 grids.
CENTRE_LNG, CENTRE_LAT = 102.700, 24.980
WIDTH, HEIGHT = 0.0119, 0.0081
COLUMNS, ROWS = 3, 2

Say = Callable[[str], None]


# --- names ------------------------------------------------------------------------------


class Names:
    """Chinese personal names: a weighted common surname and one or two given characters."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def surname(self) -> str:
        return self.rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]

    def given(self, gender: str) -> str:
        pool = GIVEN_MALE if gender == Resident.Gender.MALE else GIVEN_FEMALE
        return "".join(self.rng.choice(pool) for _ in range(self.rng.choice((1, 2, 2, 2))))

    def person(self, gender: str | None = None, surname: str | None = None) -> tuple[str, str]:
        """(name, gender)."""
        gender = gender or self.rng.choice(Resident.Gender.values)
        return (surname or self.surname()) + self.given(gender), gender


# --- geometry ---------------------------------------------------------------------------


def _r(value: float) -> float:
    # Six decimals (about 0.1 m): what is stored is exactly what was checked.
    return round(value, 6)


def grid_cells(rng: random.Random) -> list[Polygon]:
    """Six grid polygons: the cells of a jittered 3 × 2 lattice, north row first, west to east.

    Each lattice edge gets one bent midpoint; neighbouring cells use the very same corner and
    midpoint coordinates, so the cells tile their union with no gap and no overlap."""
    dx, dy = WIDTH / COLUMNS, HEIGHT / ROWS
    x0, y0 = CENTRE_LNG - WIDTH / 2, CENTRE_LAT - HEIGHT / 2
    corner = {
        (i, j): (_r(x0 + (i + rng.uniform(-0.12, 0.12)) * dx), _r(y0 + (j + rng.uniform(-0.12, 0.12)) * dy))
        for j in range(ROWS + 1)
        for i in range(COLUMNS + 1)
    }

    def bend(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
        t, k = rng.uniform(0.35, 0.65), rng.uniform(-0.08, 0.08)
        return _r(a[0] + t * (b[0] - a[0]) - k * (b[1] - a[1])), _r(a[1] + t * (b[1] - a[1]) + k * (b[0] - a[0]))

    across = {(i, j): bend(corner[i, j], corner[i + 1, j]) for j in range(ROWS + 1) for i in range(COLUMNS)}
    upward = {(i, j): bend(corner[i, j], corner[i, j + 1]) for j in range(ROWS) for i in range(COLUMNS + 1)}
    cells = []
    for j in reversed(range(ROWS)):
        for i in range(COLUMNS):
            ring = [
                corner[i, j],
                across[i, j],
                corner[i + 1, j],
                upward[i + 1, j],
                corner[i + 1, j + 1],
                across[i, j + 1],
                corner[i, j + 1],
                upward[i, j],
            ]
            cell = Polygon(ring)
            assert cell.is_valid, "the jitter is small enough to keep every cell simple"
            cells.append(cell)
    return cells


def _geojson(geometry: BaseGeometry) -> dict[str, Any]:
    raw = mapping(geometry)
    return {"type": raw["type"], "coordinates": [[[_r(x), _r(y)] for x, y in ring] for ring in raw["coordinates"]]}


def _box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[_r(x), _r(y)] for x, y in ring]]}


def _point_in(
    rng: random.Random,
    area: BaseGeometry,
    *,
    margin: float,
    near: tuple[float, float] | None = None,
    spread: float = 0.0,
) -> tuple[float, float]:
    """A point inside `area` at least `margin` degrees from its edge (near a point if given)."""
    inner = area.buffer(-margin)
    west, south, east, north = inner.bounds
    for _ in range(500):
        if near is None:
            lng, lat = rng.uniform(west, east), rng.uniform(south, north)
        else:
            lng, lat = near[0] + rng.uniform(-spread, spread), near[1] + rng.uniform(-spread, spread) * 0.8
        lng, lat = _r(lng), _r(lat)
        if inner.contains(Point(lng, lat)):
            return lng, lat
    if near is not None:
        return _point_in(rng, area, margin=margin)
    raise ValueError("no room for a point in this area")


# --- what the community holds -------------------------------------------------------------


# 9 public units (name, grid, category, extra attributes).
PUBLIC_UNITS: tuple[tuple[str, int, str, dict[str, Any]], ...] = (
    ("星秀文化传媒(昆明)有限公司", 2, "企业", {"employees": 200}),
    ("工商银行日新中路支行", 2, "银行", {}),
    ("建设银行滇池路支行", 5, "银行", {}),
    ("怡心桥小学", 4, "学校", {}),
    ("滇池路幼儿园", 6, "学校", {}),
    ("怡心桥社区卫生服务中心", 3, "医疗", {}),
    ("前卫派出所怡心桥警务室", 1, "公安", {}),
    ("怡心物业服务有限公司", 6, "物业", {}),
    ("西山区图书馆怡心桥分馆", 5, "文化", {}),
)


@dataclass
class DemoLogin:
    username: str
    role: str
    where: str


@dataclass
class Demo:
    community: Area
    grids: list[Area]
    logins: list[DemoLogin]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Building:
    place: Place
    number: int
    floors: int
    units: int


class Builder:
    """The demo being built, and what a history step (nuanxin.core.demo_history) gets as its
    context: `rng`, `community`, `grids`, `users` (the demo logins and the accounts made for
    the history, by username), `admin`, `scope(user)`, `names`, `reporter()`, `mobile()`,
    `say`, `seed_period` (None without history), `today` (the build day) and `present`."""

    def __init__(self, rng: random.Random, say: Say, *, today: date, seed_period: tuple[date, date] | None) -> None:
        self.rng = rng
        self.say = say
        self.today = today
        self.seed_period = seed_period
        self.present = datetime.combine(today, PRESENT_TIME, tzinfo=ZoneInfo("Asia/Shanghai"))
        self.names = Names(rng)
        self.admin: Any = None
        self.scope = Scopes()
        self.logins: list[DemoLogin] = []
        self.users: dict[str, User] = {}
        self.grids: list[Area] = []
        self.shapes: list[BaseGeometry] = []
        self.places: dict[str, Place] = {}
        self.buildings: list[_Building] = []
        self.phones: set[str] = set()
        self.ids: set[str] = set()

    # accounts

    def login(
        self, username: str, display_name: str, role: str, *, area: Area | None = None, unit: Place | None = None
    ) -> User:
        user = account_actions.create_user(
            actor=self.admin, username=username, password=DEMO_PASSWORD, display_name=display_name
        )
        account_actions.grant_role(actor=self.admin, user=user, role=role, area=area, unit=unit)
        self.logins.append(DemoLogin(username, role, str(area or unit or "—")))
        self.users[username] = user
        return user

    def create_admin(self) -> None:
        # The first account has no one to create it: its own creation is recorded without an actor.
        self.admin = account_actions.create_user(
            actor=None, username="admin", password=DEMO_PASSWORD, display_name="系统管理员"
        )
        # Nor its role: the installation grants it (SYSTEM), as createsuperuser does.
        account_actions.grant_role(actor=SYSTEM, user=self.admin, role=Role.SYSTEM_ADMIN)
        self.logins.append(DemoLogin("admin", Role.SYSTEM_ADMIN, "—"))

    # territory

    def territory(self) -> None:
        cells = grid_cells(self.rng)
        outline = unary_union(cells)
        west, south, east, north = outline.bounds
        create = territory_actions.create_area
        district = create(
            actor=self.admin,
            scope=self.scope(self.admin),
            level="district",
            code=REGION,
            name="西山区",
            boundary=_box(102.55, 24.80, 102.74, 25.12),
            parent=None,
        )
        self.street = create(
            actor=self.admin,
            scope=self.scope(self.admin),
            level="street",
            code="001",
            name="前卫街道",
            boundary=_box(west - 0.009, south - 0.007, east + 0.011, north + 0.006),
            parent=district,
        )
        self.community = create(
            actor=self.admin,
            scope=self.scope(self.admin),
            level="community",
            code="001",
            name="怡心桥社区",
            boundary=_geojson(outline),
            parent=self.street,
        )
        for n, cell in enumerate(cells, start=1):
            grid = create(
                actor=self.admin,
                scope=self.scope(self.admin),
                level="grid",
                code=f"G{n}",
                name=f"第{'一二三四五六'[n - 1]}网格",
                boundary=_geojson(cell),
                parent=self.community,
            )
            self.grids.append(grid)
            self.shapes.append(cell)
        lines = import_demo_basemap(
            actor=self.admin, scope=self.scope(self.admin), community=self.community, cells=cells, columns=COLUMNS
        )
        self.say(f"territory: 西山区 → 前卫街道 → 怡心桥社区, {len(self.grids)} grids, {lines} basemap lines")

    # places

    def place(
        self,
        kind: str,
        name: str,
        grid: int,
        *,
        near: Place | None = None,
        spread: float = 0.0,
        margin: float = 0.0003,
        address: str = "",
        attributes: dict | None = None,
        parent: Place | None = None,
    ) -> Place:
        lng, lat = _point_in(
            self.rng, self.shapes[grid - 1], margin=margin, near=(near.lng, near.lat) if near else None, spread=spread
        )
        place = territory_actions.create_place(
            actor=self.admin,
            scope=self.scope(self.admin),
            kind=kind,
            name=name,
            lng=lng,
            lat=lat,
            parent=parent,
            attributes=attributes,
            address=address or f"{ROADS[grid]}{self.rng.randint(1, 300)}号",
        )
        self.places[name] = place
        return place

    def landline(self) -> str:
        return f"0871-6{self.rng.randint(0, 9999999):07d}"

    def fixed_places(self) -> None:
        for name, grid in COMMERCIAL_CENTRES:
            self.place(
                Place.Kind.COMMERCIAL_CENTRE,
                name,
                grid,
                margin=0.0009,
                attributes={"category": "商业综合体", "floors": self.rng.randint(5, 9), "contact": self.landline()},
            )
        for name, grid, category, extra in PUBLIC_UNITS:
            self.place(
                Place.Kind.PUBLIC_UNIT,
                name,
                grid,
                attributes={"category": category, "contact": self.landline(), **extra},
            )
        for name, grid in COMPOUNDS:
            compound = self.place(
                Place.Kind.COMPOUND, name, grid, margin=0.0006, attributes={"built_year": self.rng.randint(1998, 2019)}
            )
            for number in range(1, self.rng.randint(2, 6) + 1):
                floors, units = self.rng.choice((6, 7, 11, 18, 24, 32)), self.rng.randint(1, 4)
                building = self.place(
                    Place.Kind.BUILDING,
                    f"{name}{number}栋",
                    grid,
                    near=compound,
                    spread=0.0004,
                    margin=0.0001,
                    address=f"{compound.address}{name}{number}栋",
                    parent=compound,
                    attributes={"floors": floors, "units": units},
                )
                self.buildings.append(_Building(building, number, floors, units))
        for suffix, grid, host, hours in STATIONS:
            centre = self.places[host] if host in dict(COMMERCIAL_CENTRES) else None
            amenities = [a for a in AMENITIES if a != "微波炉" or self.rng.random() < 0.75]
            self.place(
                Place.Kind.STATION,
                f"温新驿站·{suffix}",
                grid,
                parent=centre,
                near=self.places.get(host),
                spread=0.0003,
                attributes={"amenities": amenities, "opening_hours": hours, "host": host},
            )
        self.say(
            f"places: {len(COMMERCIAL_CENTRES)} commercial centres, {len(PUBLIC_UNITS)} public units, "
            f"{len(COMPOUNDS)} compounds with {len(self.buildings)} buildings, {len(STATIONS)} warm stations"
        )

    def merchants(self, count: int) -> None:
        categories = list(TRADES)
        weights = [TRADES[c][1] for c in categories]
        taken = set(self.places)
        centres = [(self.places[name], grid) for name, grid in COMMERCIAL_CENTRES]
        for i in range(count):
            enterprise = self.rng.random() < 0.15
            for attempt in range(50):
                brand = self.rng.choice(BRAND_FIRST) + self.rng.choice(BRAND_SECOND)
                if enterprise:
                    category = "企业"
                    name = f"昆明{brand}{self.rng.choice(ENTERPRISE_TRADES)}有限公司"
                else:
                    category = self.rng.choices(categories, weights=weights)[0]
                    name = brand + self.rng.choice(TRADES[category][0])
                if attempt > 20:
                    name += f"({self.rng.randint(2, 9)}号店)"
                if name not in taken:
                    break
            taken.add(name)
            attributes: dict[str, Any] = {"category": category, "contact": self.landline()}
            if enterprise:
                attributes["employees"] = self.rng.randint(3, 120)
            where = self.rng.random()
            kind = Place.Kind.ENTERPRISE if enterprise else Place.Kind.MERCHANT
            if where < 0.65:
                centre, grid = centres[0] if where < 0.4 else centres[1]
                self.place(
                    kind,
                    name,
                    grid,
                    near=centre,
                    spread=0.0008,
                    margin=0.0001,
                    parent=centre,
                    attributes=attributes,
                    address=f"{centre.name}{self.rng.randint(1, 6)}楼{self.rng.randint(101, 199)}号",
                )
            else:
                self.place(kind, name, self.rng.randint(1, 6), margin=0.0001, attributes=attributes)
            if (i + 1) % 250 == 0:
                self.say(f"merchants and enterprises: {i + 1}/{count}")
        self.say(f"merchants and enterprises: {count}")

    # staffing

    def staff_user(self, username: str, role: str, area: Area) -> User:
        name, _gender = self.names.person()
        user = account_actions.create_user(actor=self.admin, username=username, password=None, display_name=name)
        account_actions.grant_role(actor=self.admin, user=user, role=role, area=area)
        return user

    def staffing(self) -> None:
        """Every grid by "2+3(1)+N": a leader and an advisor, two full-time workers and one
        part-time, and two to four helpers, all from the founding day."""
        assign = territory_actions.assign_staff
        duty = StaffAssignment.Duty
        for n, grid in enumerate(self.grids, start=1):
            leader = self.users.get(f"grid{n}-leader") or self.staff_user(f"staff-g{n}-leader", Role.GRID_LEADER, grid)
            assign(
                actor=self.admin,
                scope=self.scope(self.admin),
                grid=grid,
                person=leader,
                duty=duty.GRID_LEADER,
                starts_on=FOUNDED,
            )
            # Advisors are community cadres: they work across the community.
            advisor = self.staff_user(f"staff-g{n}-advisor", Role.COMMUNITY_STAFF, self.community)
            assign(
                actor=self.admin,
                scope=self.scope(self.admin),
                grid=grid,
                person=advisor,
                duty=duty.GRID_ADVISOR,
                starts_on=FOUNDED,
            )
            for k in (1, 2):
                worker = (self.users.get(f"grid{n}-worker") if k == 1 else None) or self.staff_user(
                    f"staff-g{n}-worker{k}", Role.GRID_WORKER, grid
                )
                assign(
                    actor=self.admin,
                    scope=self.scope(self.admin),
                    grid=grid,
                    person=worker,
                    duty=duty.GRID_WORKER,
                    starts_on=FOUNDED,
                )
            part_timer = self.staff_user(f"staff-g{n}-parttime", Role.GRID_WORKER, grid)
            first = assign(
                actor=self.admin,
                scope=self.scope(self.admin),
                grid=grid,
                person=part_timer,
                duty=duty.PART_TIME_WORKER,
                starts_on=FOUNDED,
            )
            if n == 3:
                # History: grid 3's first part-time worker handed over in spring 2024.
                handover = date(2024, 3, 31)
                territory_actions.end_assignment(
                    actor=self.admin, scope=self.scope(self.admin), assignment=first, ends_on=handover
                )
                successor = self.staff_user(f"staff-g{n}-parttime2", Role.GRID_WORKER, grid)
                assign(
                    actor=self.admin,
                    scope=self.scope(self.admin),
                    grid=grid,
                    person=successor,
                    duty=duty.PART_TIME_WORKER,
                    starts_on=handover + timedelta(days=1),
                )
            for k in range(1, self.rng.randint(2, 4) + 1):
                helper = self.staff_user(f"staff-g{n}-helper{k}", Role.GRID_HELPER, grid)
                assign(
                    actor=self.admin,
                    scope=self.scope(self.admin),
                    grid=grid,
                    person=helper,
                    duty=duty.GRID_HELPER,
                    starts_on=FOUNDED,
                )
        self.say("staffing: every grid by 2+3(1)+N from 2023-07-01")

    def demo_logins(self) -> None:
        person = self.names.person
        self.login("street", person()[0], Role.STREET_ADMIN, area=self.street)
        self.login("community", person()[0], Role.COMMUNITY_ADMIN, area=self.community)
        self.login("grid1-leader", person()[0], Role.GRID_LEADER, area=self.grids[0])
        self.login("grid1-worker", person()[0], Role.GRID_WORKER, area=self.grids[0])
        self.login("grid2-worker", person()[0], Role.GRID_WORKER, area=self.grids[1])
        self.login("rider1", "何伟", Role.MOBILE_REPORTER, area=self.community)
        self.resident1_name, self.resident1_gender = person()
        self.login("resident1", self.resident1_name, Role.RESIDENT, area=self.community)
        self.login("partner1", person()[0], Role.PARTNER_REP, unit=self.places["星秀文化传媒(昆明)有限公司"])
        self.login("auditor", person()[0], Role.AUDITOR)

    # history

    def history(self) -> dict[str, int]:
        """Every registered history step, from the founding day (the build day without a
        history) to the build day."""
        start = self.seed_period[0] if self.seed_period else self.today
        counts: dict[str, int] = {}
        for step in demo_history.steps():
            made = step.run(self, start, self.today)
            self.say(f"{step.name}: " + ", ".join(f"{what} {n}" for what, n in made.items()))
            counts |= made
        return counts

    def reporter(self, username: str, role: str) -> User:
        """A rider or resident who reports from the phone (no password: not a demo login)."""
        user = account_actions.create_user(
            actor=self.admin, username=username, password=None, display_name=self.names.person()[0]
        )
        account_actions.grant_role(actor=self.admin, user=user, role=role, area=self.community)
        self.users[username] = user
        return user

    # people

    def id_number(self, born: date, gender: str) -> str:
        while True:
            sequence = self.rng.randint(0, 499) * 2 + (1 if gender == Resident.Gender.MALE else 0)
            first17 = f"{REGION}{born:%Y%m%d}{sequence:03d}"
            if first17 not in self.ids:
                self.ids.add(first17)
                return first17 + id_check_digit(first17)

    def mobile(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99999999):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def birth_date(self, age: int) -> date:
        return AGE_REFERENCE - timedelta(days=age * 365 + self.rng.randint(0, 364))

    def household_members(self, size: int, head: tuple[str, str] | None = None) -> list[tuple[str, str, int]]:
        """(name, gender, age) of a plausible household: a head (given or generated), a
        spouse, children, and in the largest households a grandparent."""
        rng, names = self.rng, self.names
        head_name, head_gender = head or names.person()
        head_age = rng.randint(22, 90) if size == 1 else rng.randint(25, 85) if size == 2 else rng.randint(30, 58)
        members = [(head_name, head_gender, head_age)]
        if size >= 2:
            other = Resident.Gender.FEMALE if head_gender == Resident.Gender.MALE else Resident.Gender.MALE
            spouse_name, _ = names.person(other)
            members.append((spouse_name, other, max(20, head_age + rng.randint(-4, 4))))
        father = head_name if head_gender == Resident.Gender.MALE else members[-1][0]
        # A naive split of the father's name: most surnames are one character.
        family = father[0]
        for _ in range(min(size, 4) - 2):
            child, gender = names.person(surname=family)
            members.append((child, gender, rng.randint(max(0, head_age - 36), max(0, head_age - 22))))
        if size == 5:
            elder, gender = names.person(surname=family)
            members.append((elder, gender, min(95, head_age + rng.randint(25, 32))))
        return members

    def special_group(self, age: int, gender: str, size: int) -> str | None:
        chance = self.rng.random()
        if age >= 70 and size == 1 and chance < 0.8:
            return SpecialGroup.ELDERLY_ALONE
        if age < 14 and chance < 0.03:
            return SpecialGroup.LEFT_BEHIND_CHILD
        if gender == Resident.Gender.MALE and 45 <= age <= 85 and chance < 0.03:
            return SpecialGroup.VETERAN
        if chance < 0.02:
            return SpecialGroup.DISABLED
        if chance < 0.04:
            return SpecialGroup.LOW_INCOME
        return None

    def rooms(self) -> list[tuple[_Building, str]]:
        slots = [
            (b, f"{b.number}-{unit}-{floor}{door:02d}")
            for b in self.buildings
            for unit in range(1, b.units + 1)
            for floor in range(1, b.floors + 1)
            for door in (1, 2)
        ]
        self.rng.shuffle(slots)
        # resident1's household first, in grid 1.
        first = next(i for i, (b, _number) in enumerate(slots) if b.place.grid_id == self.grids[0].pk)
        slots.insert(0, slots.pop(first))
        return slots

    def residents(self, count: int) -> dict[str, int]:
        rooms = self.rooms()
        made = households = special = key = 0
        while made < count or households == 0:
            if households >= len(rooms):
                raise ValueError("more residents than the demo's buildings can house")
            building, number = rooms[households]
            size = self.rng.choices((1, 2, 3, 4, 5), weights=(15, 25, 30, 20, 10))[0]
            household = people_actions.register_household(
                actor=self.admin, scope=self.scope(self.admin), place=building.place, number=number
            )
            households += 1
            # The first household is resident1's, who heads it.
            head = (self.resident1_name, self.resident1_gender) if households == 1 else None
            for position, (name, gender, age) in enumerate(self.household_members(size, head)):
                user = self.users["resident1"] if head and position == 0 else None
                resident = people_actions.register_resident(
                    actor=self.admin,
                    scope=self.scope(self.admin),
                    name=name,
                    place=building.place,
                    household=household,
                    gender=gender,
                    id_number=self.id_number(self.birth_date(age), gender),
                    phone=self.mobile() if age >= 14 else "",
                    user=user,
                )
                made += 1
                group = self.special_group(age, gender, size)
                if group:
                    people_actions.tag_resident(
                        actor=self.admin,
                        scope=self.scope(self.admin),
                        resident=resident,
                        kind=ResidentTag.Kind.SPECIAL_GROUP,
                        category=group,
                        note=self.rng.choice(SPECIAL_NOTES[group]),
                    )
                    special += 1
                elif 20 <= age <= 60 and self.rng.random() < 0.004:
                    people_actions.tag_resident(
                        actor=self.admin,
                        scope=self.scope(self.admin),
                        resident=resident,
                        kind=ResidentTag.Kind.KEY_PERSON,
                        category=self.rng.choice(KeyPersonCategory.values),
                    )
                    key += 1
            if households % 250 == 0:
                self.say(f"residents: {made}/{count}")
        self.say(f"residents: {made} in {households} households; {special} special-group and {key} key-person tags")
        return {"residents": made, "households": households, "special_group": special, "key_person": key}


def build_demo(
    *,
    seed: int = DEFAULT_SEED,
    residents: int = DEFAULT_RESIDENTS,
    merchants: int = DEFAULT_MERCHANTS,
    history: tuple[date, date] | None = (FOUNDED, HISTORY_END),
    today: date | None = None,
    say: Say | None = None,
) -> Demo:
    """Build the demo community in an empty database, all or nothing: the same seed and build
    day `today` (default: today) give the same territory, places, staff and people, and the
    history the registered steps write (nuanxin.core.demo_history): unless `history` is None,
    the seed article's period `history` with its figures, then a lighter living history up
    to the build day, which finds open cases, visits due and an activity under way.
    Raises ValueError for a build day before the end of `history`, DomainError if an action
    refuses (for instance when the demo accounts already exist)."""
    today = today or timezone.localdate()
    if history and today < history[1]:
        raise ValueError(f"The demo's build day cannot come before the end of its history ({history[1]}).")
    builder = Builder(random.Random(seed), say or (lambda _message: None), today=today, seed_period=history)
    with transaction.atomic():
        builder.create_admin()
        builder.territory()
        builder.fixed_places()
        builder.merchants(merchants)
        builder.demo_logins()
        builder.staffing()
        counts = builder.residents(residents)
        classes = install_catalogue(actor=builder.admin)
        builder.say(f"case catalogue: {classes} classes")
        install_demo_templates(actor=builder.admin)
        counts |= builder.history()
        issue_api_key(
            actor=builder.admin,
            scope=builder.scope(builder.admin),
            name="演示客户端 (demo)",
            area=builder.community,
            raw_key=DEMO_OPEN311_KEY,
        )
    return Demo(community=builder.community, grids=builder.grids, logins=builder.logins, counts=counts)
