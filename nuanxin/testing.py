"""Shared test data: a small territory and the personas of DESIGN.md §4, built through actions.

Territory: 测试区 → 测试街道 → 测试社区 with grid 1 and grid 2 side by side, plus a second
community (另一社区) with one grid, to prove cross-community isolation.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any, TypeVar

from django.test import override_settings
from PIL import Image

from nuanxin.accounts import actions as account_actions
from nuanxin.core.audit import SYSTEM
from nuanxin.core.scoping import system_scope
from nuanxin.territory import actions as territory_actions
from nuanxin.territory.models import Area, Place

PASSWORD = "a-long-test-passphrase-42"
# The scope of a test that sets things up as the installation itself (whose actions' checks
# are not what it tests): the actions take no call without a scope.
SYSTEM_SCOPE = system_scope("a test setting up its world")

# The keys of World.users: one account per persona, each with its role (see build_world).
PERSONAS = (
    "system_admin",
    "street_staff",
    "community_admin",
    "community_staff",
    "grid1_leader",
    "grid1_worker",
    "grid2_worker",
    "grid1_helper",
    "other_admin",
    "rider",
    "resident",
    "partner",
    "auditor",
    "stranger",
)


def square(lng: float, lat: float, size: float = 0.002) -> dict[str, Any]:
    """A GeoJSON square with its south-west corner at (lng, lat)."""
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def rectangle(lng: float, lat: float, width: float, height: float) -> dict[str, Any]:
    ring = [[lng, lat], [lng + width, lat], [lng + width, lat + height], [lng, lat + height], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


@dataclass
class World:
    district: Area
    street: Area
    community: Area
    grid1: Area
    grid2: Area
    other_community: Area
    other_grid: Area
    compound1: Place  # in grid 1
    compound2: Place  # in grid 2
    station: Place  # in grid 2, public
    other_compound: Place  # in the other community
    users: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def build_world() -> World:
    """The territory, places and one user per persona, each with their role."""
    district = territory_actions.create_area(
        actor=None,
        scope=SYSTEM_SCOPE,
        level="district",
        code="T01",
        name="测试区",
        boundary=rectangle(102.69, 24.97, 0.03, 0.03),
        parent=None,
    )
    street = territory_actions.create_area(
        actor=None,
        scope=SYSTEM_SCOPE,
        level="street",
        code="S01",
        name="测试街道",
        boundary=rectangle(102.69, 24.97, 0.03, 0.03),
        parent=district,
    )
    community = territory_actions.create_area(
        actor=None,
        scope=SYSTEM_SCOPE,
        level="community",
        code="C01",
        name="测试社区",
        boundary=rectangle(102.70, 24.98, 0.004, 0.002),
        parent=street,
    )
    grid1 = territory_actions.create_area(
        actor=None,
        scope=SYSTEM_SCOPE,
        level="grid",
        code="G1",
        name="一网格",
        boundary=square(102.700, 24.980),
        parent=community,
    )
    grid2 = territory_actions.create_area(
        actor=None,
        scope=SYSTEM_SCOPE,
        level="grid",
        code="G2",
        name="二网格",
        boundary=square(102.702, 24.980),
        parent=community,
    )
    other_community = territory_actions.create_area(
        actor=None,
        scope=SYSTEM_SCOPE,
        level="community",
        code="C02",
        name="另一社区",
        boundary=square(102.71, 24.99),
        parent=street,
    )
    other_grid = territory_actions.create_area(
        actor=None,
        scope=SYSTEM_SCOPE,
        level="grid",
        code="G1",
        name="另一网格",
        boundary=square(102.71, 24.99),
        parent=other_community,
    )
    compound1 = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="compound", name="一号院", lng=102.701, lat=24.981
    )
    compound2 = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="compound", name="二号院", lng=102.703, lat=24.981
    )
    station = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="station", name="温新驿站一号", lng=102.7035, lat=24.9815
    )
    other_compound = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="compound", name="外社区院", lng=102.711, lat=24.991
    )

    users: dict[str, Any] = {}

    def persona(key: str, role: str | None, area: Area | None = None, unit: Place | None = None) -> None:
        user = account_actions.create_user(
            actor=None, username=key.replace("_", "-"), password=PASSWORD, display_name=key
        )
        if role:
            account_actions.grant_role(actor=SYSTEM, user=user, role=role, area=area, unit=unit)
        users[key] = user

    persona("system_admin", "system_admin")
    persona("street_staff", "street_staff", street)
    persona("community_admin", "community_admin", community)
    persona("community_staff", "community_staff", community)
    persona("grid1_leader", "grid_leader", grid1)
    persona("grid1_worker", "grid_worker", grid1)
    persona("grid2_worker", "grid_worker", grid2)
    persona("grid1_helper", "grid_helper", grid1)
    persona("other_admin", "community_admin", other_community)
    persona("rider", "mobile_reporter", community)
    persona("resident", "resident", community)
    persona("partner", "partner_rep", unit=station)
    persona("auditor", "auditor")
    persona("stranger", None)
    territory_actions.assign_staff(
        actor=None,
        scope=SYSTEM_SCOPE,
        grid=grid1,
        person=users["grid1_leader"],
        duty="grid_leader",
        starts_on=date(2024, 1, 1),
    )
    territory_actions.assign_staff(
        actor=None,
        scope=SYSTEM_SCOPE,
        grid=grid1,
        person=users["grid1_worker"],
        duty="grid_worker",
        starts_on=date(2024, 1, 1),
    )
    territory_actions.assign_staff(
        actor=None,
        scope=SYSTEM_SCOPE,
        grid=grid2,
        person=users["grid2_worker"],
        duty="grid_worker",
        starts_on=date(2024, 1, 1),
    )
    return World(
        district=district,
        street=street,
        community=community,
        grid1=grid1,
        grid2=grid2,
        other_community=other_community,
        other_grid=other_grid,
        compound1=compound1,
        compound2=compound2,
        station=station,
        other_compound=other_compound,
        users=users,
    )


T = TypeVar("T")

# What every test runs under (a fast password hash, tasks run at once, files on disk, Chinese),
# and so also the data a module shares, which is built before any test's own settings apply.
FAST_SETTINGS: dict[str, Any] = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
    "LANGUAGE_CODE": "zh-hans",
    "NUANXIN_MFA_REQUIRED": False,  # the MFA tests (accounts/tests/test_mfa.py) turn it on
}


@dataclass
class Shared:
    """A module's outer transaction: data built here (`shared.build`) is read by every test of
    the module, each inside its own savepoint that pytest-django's `db` rolls back after it, and
    is itself rolled back when the module ends (Django's TestCase.setUpTestData, per module).

    Not open (`open` False, `build` returns None: each test builds its own) in a module where
    any test commits, since a committing test cannot run inside another transaction. A fixture
    other than the world is shared only where every test of the module that reads the world
    asks for it too (`everyone`): no test sees rows that it did not ask for, whatever the order."""

    open: bool
    blocker: Any
    settings: dict[str, Any]
    everyone: frozenset[str] = frozenset()

    def build(self, fixture: str, make: Callable[[], T]) -> T | None:
        if not self.open or fixture not in self.everyone:
            return None
        with self.blocker.unblock(), override_settings(**self.settings):
            return make()


def own_copy(value: T, copies: dict[int, Any]) -> T:
    return copy.deepcopy(value, copies)


GPS_IFD = 0x8825


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] = (200, 30, 30),
    exif: Any = None,
    mode: str = "RGB",
) -> bytes:
    """An image file in memory, optionally with EXIF (for photo tests)."""
    buffer = BytesIO()
    extra = {"exif": exif} if exif is not None else {}
    Image.new(mode, size, color).save(buffer, fmt, **extra)
    return buffer.getvalue()


def gps_exif() -> Any:
    """EXIF with a GPS position and a camera model: what a phone photo carries."""
    exif = Image.Exif()
    exif[0x0110] = "NuanxinPhone X1"  # camera model: device metadata
    exif[GPS_IFD] = {
        1: "N",
        2: (24.0, 58.0, 52.0),
        3: "E",
        4: (102.0, 42.0, 4.0),
        0x1B: b"ASCII\x00\x00\x00GPS",  # GPSProcessingMethod, so the raw bytes say "GPS"
    }
    return exif


def photo_upload(name: str = "photo.jpg") -> Any:
    """A small JPEG as an uploaded file, e.g. the after-photo that resolving a case needs."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, image_bytes(), content_type="image/jpeg")


def table_schema(tables: list[str]) -> set[tuple[str, str]]:
    """PostgreSQL: every index and constraint of the tables, by name and definition (to check
    that a bulk load put them all back)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid::regclass::text = ANY(%s)",
            [tables],
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        return indexes | set(cursor.fetchall())
