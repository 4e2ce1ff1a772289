import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.test import Client

from nuanxin.core.workcalendar import forget_calendar
from nuanxin.people.tests.sample import People, build_people
from nuanxin.territory.queries import forget_grid_index, forget_rosters
from nuanxin.testing import FAST_SETTINGS, Shared, World, build_world, own_copy


@pytest.fixture(autouse=True)
def _fast_settings(settings: Any) -> None:
    for name, value in FAST_SETTINGS.items():
        setattr(settings, name, copy.deepcopy(value))


@pytest.fixture(autouse=True)
def _fresh_process_memories() -> None:
    """What a process keeps for a few seconds (the calendar, the rosters, the grid index and
    the local cache) may come from an earlier test's rolled-back rows: each test starts without it."""
    forget_calendar()
    forget_rosters()
    forget_grid_index()
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture(autouse=True)
def _audit_checkpoints(settings: Any, tmp_path: Any) -> None:
    """Each test's audit checkpoints in a file of its own, never the machine's var/."""
    settings.NUANXIN_AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit-checkpoints.log")


def _commits(item: pytest.Item) -> bool:
    """Whether a test commits (a live server, `transaction=True`): Django's TransactionTestCase,
    which empties the tables after it, instead of TestCase's rollback."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences") or (marker.args and marker.args[0])
    ):
        return True
    committing = {"transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}
    return bool(committing & set(getattr(item, "fixturenames", ())))


def _uses_db(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool({"db", "transactional_db", "live_server"} & names)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: Any, django_db_blocker: Any) -> Iterator[None]:
    """A test that commits leaves its rate-limit counters in the cache table, which the flush
    after it does not empty: empty it, so no later test in the same worker starts with an
    allowance spent."""
    yield
    if _commits(request.node):
        with django_db_blocker.unblock():
            caches["ratelimit"].clear()


@pytest.fixture(scope="module")
def shared(request: Any, django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Shared]:
    """The module's outer transaction (nuanxin.testing.Shared), opened before the first test that
    reads shared data and rolled back after the module's last test."""
    items = [item for item in request.session.items if item.getparent(pytest.Module) is request.node]
    if any(_commits(item) for item in items):
        yield Shared(open=False, blocker=django_db_blocker, settings={})
        return
    # What every test of the module that uses the database asks for: a test that does not ask
    # for the world (or for a fixture built on it) must not find it there.
    users = [set(item.fixturenames) for item in items if _uses_db(item)]
    checkpoints = tmp_path_factory.mktemp("shared") / "audit-checkpoints.log"
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # type: ignore[attr-defined]  # as TestCase's: atomic(durable=True) nests in it
        outer.__enter__()
    try:
        yield Shared(
            open=True,
            blocker=django_db_blocker,
            settings={**FAST_SETTINGS, "NUANXIN_AUDIT_CHECKPOINT_FILE": str(checkpoints)},
            everyone=frozenset(set.intersection(*users)) if users else frozenset(),
        )
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def copies() -> dict[int, Any]:
    """One test's memo of deep copies: the shared objects a test gets are its own copies (a
    test may change and save them, refresh them, cache things on them), and two fixtures that
    hold the same shared object hold the same copy, as when each test built them."""
    return {}


@pytest.fixture(scope="module")
def shared_world(shared: Shared) -> World | None:
    return shared.build("world", build_world)


@pytest.fixture
def world(shared_world: World | None, copies: dict[int, Any], db: Any) -> World:
    """The test world (nuanxin.testing.build_world): built once per module and shared, each test
    reading its own copy and its writes rolled back after it; built for each test in a module
    with a committing test."""
    if shared_world is None:
        return build_world()
    return own_copy(shared_world, copies)


@pytest.fixture
def client_for(world: World) -> Any:
    """client_for("grid1_worker") -> a test client signed in as that persona."""

    def make(persona: str) -> Client:
        client = Client()
        client.force_login(world.users[persona])
        return client

    return make


def _catalogue() -> dict[str, Any]:
    from nuanxin.cases.catalogue import install_catalogue
    from nuanxin.cases.models import CaseClass

    install_catalogue(actor=None)
    return {c.code: c for c in CaseClass.objects.all()}


@pytest.fixture(scope="module")
def shared_catalogue(shared: Shared, shared_world: World | None) -> dict[str, Any] | None:
    """The starting case catalogue, on the shared world (see `catalogue` in cases and open311)."""
    return shared.build("catalogue", _catalogue)


@pytest.fixture
def catalogue(world: World, shared_catalogue: dict[str, Any] | None, copies: dict[int, Any]) -> dict[str, Any]:
    """The starting case catalogue by code (cases.catalogue.install_catalogue), shared like the world."""
    if shared_catalogue is None:
        return _catalogue()
    return own_copy(shared_catalogue, copies)


@pytest.fixture(scope="module")
def shared_people(shared: Shared, shared_world: World | None) -> People | None:
    return shared.build("people", lambda: build_people(shared_world))  # type: ignore[arg-type]


@pytest.fixture
def people(world: World, shared_people: People | None, copies: dict[int, Any]) -> People:
    """The people of people/tests/sample.py on the world (a household, residents, tags), shared
    like the world."""
    return build_people(world) if shared_people is None else own_copy(shared_people, copies)
