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
from nuanxin.inspections.models import Visit
from nuanxin.people.models import Resident, ResidentTag
from nuanxin.territory.models import Area, Place
from nuanxin.volunteers.models import Activity

# The seed's figures compressed into July 2023, and a short living history after it.
TODAY = date(2023, 8, 10)
SMALL = {"residents": 40, "merchants": 12, "history": (date(2023, 7, 1), date(2023, 7, 31))}


def digest() -> str:
    """Everything a viewer would name: areas with their boundaries, places, people, staff."""
    content = {
        "areas": list(Area.objects.order_by("path").values_list("path", "name", "boundary")),
        "places": list(Place.objects.order_by("id").values_list("kind", "name", "lng", "lat", "address")),
        "users": list(User.objects.order_by("username").values_list("username", "display_name")),
        "residents": list(Resident.objects.order_by("id").values_list("name", "household__number", "birth_year")),
        "cases": list(Case.objects.order_by("id").values_list("case_class__code", "description", "state", "lng")),
        "visits": list(Visit.objects.order_by("id").values_list("worker__username", "due_on", "state")),
        "activities": list(Activity.objects.order_by("id").values_list("kind", "title", "starts_on")),
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, default=str).encode()).hexdigest()


def test_a_few_percent_of_residents_belong_to_special_groups(db):
    build_demo(seed=7, residents=600, merchants=0, history=None)
    share = ResidentTag.objects.filter(kind="special_group").count() / Resident.objects.count()
    assert 0.02 < share < 0.09


def test_same_seed_and_day_build_the_same_demo_and_another_seed_differs(db):
    digests = []
    # The seed and the build day decide, not the clock: the same seed and day built at two
    # different times of day give the same demo (its history stops at 08:00 on the build day).
    for seed, clock in (
        (7, datetime(2026, 6, 10, 1, 0, tzinfo=UTC)),
        (7, datetime(2026, 6, 10, 9, 30, tzinfo=UTC)),
        (8, datetime(2026, 6, 10, 1, 0, tzinfo=UTC)),
    ):
        with time_machine.travel(clock, tick=False), transaction.atomic():
            build_demo(seed=seed, today=TODAY, **SMALL)
            digests.append(digest())
            transaction.set_rollback(True)
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_load_demo_refuses_a_build_day_before_the_end_of_the_seed_period(db, settings):
    settings.NUANXIN_DEMO = True
    with pytest.raises(CommandError, match="2024-12-31"):
        call_command("load_demo", "--residents", "10", "--today", "2024-06-01", stdout=io.StringIO())
    assert not Area.objects.exists()


def test_build_demo_runs_each_registered_history_step_once(db, monkeypatch):
    """An app's step (registered as party or voice would) gets the builder and the days, and
    its counts come back with the demo's; without history it has the build day alone."""
    from nuanxin.core import demo_history

    calls = []

    def meetings(builder, start, end):
        calls.append((builder.community.name, builder.seed_period, start, end))
        return {"joint meetings": 3}

    monkeypatch.setattr(demo_history, "_steps", dict(demo_history._steps))
    demo_history.register("party", meetings, order=60)
    demo = build_demo(seed=7, residents=10, merchants=5, history=None, today=TODAY)
    assert calls == [("怡心桥社区", None, TODAY, TODAY)]
    assert demo.counts["joint meetings"] == 3 and demo.counts["stations"] == 8


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
