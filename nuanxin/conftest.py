from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from nuanxin.core.workcalendar import forget_calendar
from nuanxin.territory.queries import forget_rosters
from nuanxin.testing import World, build_world


@pytest.fixture(autouse=True)
def _fast_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.LANGUAGE_CODE = "zh-hans"
    settings.NUANXIN_MFA_REQUIRED = False  # the MFA tests (accounts/tests/test_mfa.py) turn it on


@pytest.fixture(autouse=True)
def _fresh_process_memories() -> None:
    """What a process keeps of the calendar and the rosters for a few seconds may come from an
    earlier test's rolled-back rows: each test starts without it."""
    forget_calendar()
    forget_rosters()


@pytest.fixture(autouse=True)
def _audit_checkpoints(settings: Any, tmp_path: Any) -> None:
    """Each test's audit checkpoints in a file of its own, never the machine's var/."""
    settings.NUANXIN_AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit-checkpoints.log")


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: Any, django_db_blocker: Any) -> Iterator[None]:
    """A test that commits (a live server, `transaction=True`) leaves its rate-limit counters in
    the cache table, which the flush after it does not empty: empty it, so no later test in
    the same worker starts with an allowance spent."""
    yield
    marker = request.node.get_closest_marker("django_db")
    committed = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if committed:
        with django_db_blocker.unblock():
            caches["ratelimit"].clear()


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def client_for(world: World) -> Any:
    """client_for("grid1_worker") -> a test client signed in as that persona."""

    def make(persona: str) -> Client:
        client = Client()
        client.force_login(world.users[persona])
        return client

    return make
