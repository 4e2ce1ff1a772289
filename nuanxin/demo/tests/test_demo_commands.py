"""The demo's commands and its determinism: each test builds into an empty database."""

import hashlib
import io
import json
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from nuanxin.accounts.models import User
from nuanxin.cases.models import Case
from nuanxin.demo.builder import DEMO_PASSWORD, build_demo
from nuanxin.people.models import Resident, ResidentTag
from nuanxin.territory.models import Area, Place

SMALL = {"residents": 40, "merchants": 12, "history": (date(2023, 7, 1), date(2023, 7, 31))}


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


def test_a_few_percent_of_residents_belong_to_special_groups(db):
    build_demo(seed=7, residents=600, merchants=0, history=None)
    share = ResidentTag.objects.filter(kind="special_group").count() / Resident.objects.count()
    assert 0.02 < share < 0.09


def test_same_seed_builds_the_same_demo_and_another_seed_differs(db):
    digests = []
    for seed in (7, 7, 8):
        # The same moment for every build: the last days' open cases are timed from now and
        # their time limits run on the work calendar, so a build just before noon and one
        # just after would differ (the seed is what must decide, not the clock).
        with time_machine.travel(datetime(2026, 6, 10, 1, 0, tzinfo=UTC), tick=False), transaction.atomic():
            build_demo(seed=seed, **SMALL)
            digests.append(digest())
            transaction.set_rollback(True)
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_load_demo_refuses_outside_demo_mode(db, settings):
    settings.NUANXIN_DEMO = False
    with pytest.raises(CommandError):
        call_command("load_demo", "--residents", "10", "--merchants", "5", "--no-history", stdout=io.StringIO())
    assert not Area.objects.exists()


def test_load_demo_builds_an_empty_database_and_prints_the_logins(db, settings):
    settings.NUANXIN_DEMO = True
    out = io.StringIO()
    call_command("load_demo", "--residents", "10", "--merchants", "5", "--no-history", stdout=out)
    assert Area.objects.filter(level="grid").count() == 6
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for username in ("admin", "grid1-worker", "resident1", "auditor"):
        assert username in text


def test_load_demo_leaves_a_database_with_a_territory_alone(world, settings):
    settings.NUANXIN_DEMO = True
    out = io.StringIO()
    areas = Area.objects.count()
    call_command("load_demo", "--residents", "10", "--merchants", "5", "--no-history", stdout=out)
    assert Area.objects.count() == areas
    assert not User.objects.filter(username="admin").exists()
    assert "kept as it is" in out.getvalue()
