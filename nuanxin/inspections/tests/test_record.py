"""Recording visits: answers checked against the checklist, check-in distance, photos,
hazards opening rectification orders, adaptive frequency, and campaign checks."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.inspections import actions
from nuanxin.inspections.models import (
    ChecklistTemplate,
    Frequency,
    Hazard,
    Rectification,
    Visit,
    VisitPhoto,
    WatchChange,
    WatchTarget,
)
from nuanxin.inspections.tests.conftest import Watch
from nuanxin.testing import SYSTEM_SCOPE, World, photo_upload

SH = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2024, 3, 5, 10, 0, tzinfo=SH)

FOOD_CLEAN = {
    "licence_shown": True,
    "health_certificates": True,
    "raw_cooked_apart": True,
    "expired_food": False,
    "gas_alarm_ok": True,
}
FIRE_CLEAN = {
    "exits_clear": True,
    "extinguishers_ok": True,
    "extinguisher_count": 2,
    "emergency_lights_ok": True,
    "ebike_indoor": False,
    "wiring": "ok",
}
FIRE_HAZARD = FIRE_CLEAN | {"exits_clear": False, "wiring": "messy", "extinguishers_ok": False}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def due(target: WatchTarget) -> Visit:
    return Visit.objects.filter(target=target, kind="routine").exclude(state="done").order_by("due_on").first()  # type: ignore[return-value]


def test_a_clean_visit_is_recorded_with_its_answers_and_distance(world: World, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    done = actions.record_visit(
        actor=world.grid1_worker,
        visit=visit,
        answers=FOOD_CLEAN,
        note="一切正常",
        lng=watch.restaurant.lng,
        lat=watch.restaurant.lat,
        scope=scope_of(world.grid1_worker),
        now=TUESDAY,
    )
    assert done.state == "done" and done.done_at == TUESDAY
    assert done.answers == FOOD_CLEAN and done.note == "一切正常"
    assert done.checked_in_distance == 0 and not actions.is_far(done)
    assert not Rectification.objects.exists()
    assert AuditEntry.objects.filter(action="inspections.visit_recorded", object_id=str(visit.pk)).exists()


def test_a_far_check_in_is_recorded_and_flagged(world: World, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    done = actions.record_visit(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        visit=visit,
        answers=FOOD_CLEAN,
        lng=watch.restaurant.lng + 0.01,
        lat=24.9805,
    )
    assert done.state == "done"
    assert 950 < done.checked_in_distance < 1050  # type: ignore[operator]
    assert actions.is_far(done)


def test_the_radius_comes_from_the_settings(world: World, watch: Watch, settings: Any) -> None:
    settings.NUANXIN_VISIT_CHECKIN_RADIUS_M = 2000
    done = actions.record_visit(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.restaurant_target),
        answers=FOOD_CLEAN,
        lng=102.7105,
        lat=24.9805,
    )
    assert not actions.is_far(done)


def test_without_a_location_there_is_no_distance(world: World, watch: Watch) -> None:
    done = actions.record_visit(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, visit=due(watch.restaurant_target), answers=FOOD_CLEAN
    )
    assert done.checked_in_distance is None and not actions.is_far(done)


def test_a_resident_visit_measures_from_their_home(world: World, watch: Watch) -> None:
    visit = due(watch.special_target)
    answers = {"met_in_person": True, "health": "good", "gas_safe": True, "needs_help": False}
    done = actions.record_visit(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        visit=visit,
        answers=answers,
        lng=world.compound1.lng,
        lat=world.compound1.lat,
    )
    assert done.checked_in_distance == 0
    for entry in AuditEntry.objects.filter(action="inspections.visit_recorded"):
        text = f"{entry.object_repr} {entry.detail}"
        assert "张" not in text and "special" not in text


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        (FOOD_CLEAN | {"licence_shown": "yes"}, "answers.licence_shown"),
        (FOOD_CLEAN | {"licence_shown": 1}, "answers.licence_shown"),
        ({k: v for k, v in FOOD_CLEAN.items() if k != "gas_alarm_ok"}, "answers.gas_alarm_ok"),
        (FOOD_CLEAN | {"bogus": True}, "answers.bogus"),
        (FOOD_CLEAN | {"note": "x" * 1001}, "answers.note"),
        (FOOD_CLEAN | {"note": 5}, "answers.note"),
        (["not", "a", "dict"], "answers"),
    ],
)
def test_bad_answers_name_the_item_and_write_nothing(world: World, watch: Watch, answers: Any, field: str) -> None:
    visit = due(watch.restaurant_target)
    with pytest.raises(DomainError) as error:
        actions.record_visit(actor=world.grid1_worker, scope=SYSTEM_SCOPE, visit=visit, answers=answers)
    assert error.value.field == field
    visit.refresh_from_db()
    assert visit.state == "due" and visit.answers == {}
    assert not AuditEntry.objects.filter(action="inspections.visit_recorded").exists()


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        (FIRE_CLEAN | {"extinguisher_count": True}, "answers.extinguisher_count"),
        (FIRE_CLEAN | {"extinguisher_count": "3"}, "answers.extinguisher_count"),
        (FIRE_CLEAN | {"extinguisher_count": float("nan")}, "answers.extinguisher_count"),
        (FIRE_CLEAN | {"wiring": "sparkly"}, "answers.wiring"),
    ],
)
def test_numbers_and_choices_are_checked(world: World, watch: Watch, answers: Any, field: str) -> None:
    visit = due(watch.hotel_target)
    with pytest.raises(DomainError) as error:
        actions.record_visit(actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=visit, answers=answers)
    assert error.value.field == field


def test_a_float_number_is_accepted(world: World, watch: Watch) -> None:
    done = actions.record_visit(
        actor=world.grid2_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.hotel_target),
        answers=FIRE_CLEAN | {"extinguisher_count": 2.0},
    )
    assert done.answers["extinguisher_count"] == 2.0


@pytest.mark.parametrize(
    ("lng", "lat", "field"),
    [(102.7, None, "lat"), (None, 24.98, "lng"), (500.0, 24.98, "lng"), (102.7, 95.0, "lat"), ("x", 24.98, "lng")],
)
def test_a_bad_location_names_the_coordinate(world: World, watch: Watch, lng: Any, lat: Any, field: str) -> None:
    visit = due(watch.restaurant_target)
    with pytest.raises(DomainError) as error:
        actions.record_visit(
            actor=world.grid1_worker, scope=SYSTEM_SCOPE, visit=visit, answers=FOOD_CLEAN, lng=lng, lat=lat
        )
    assert error.value.field == field
    assert Visit.objects.get(pk=visit.pk).state == "due"


def test_a_long_note_is_refused(world: World, watch: Watch) -> None:
    with pytest.raises(DomainError) as error:
        actions.record_visit(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            visit=due(watch.restaurant_target),
            answers=FOOD_CLEAN,
            note="x" * 2001,
        )
    assert error.value.field == "note"


def test_photos_are_kept_for_their_item(world: World, watch: Watch) -> None:
    done = actions.record_visit(
        actor=world.grid2_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.hotel_target),
        answers=FIRE_CLEAN,
        photos=[("photo", photo_upload()), ("", photo_upload())],
    )
    photos = list(VisitPhoto.objects.filter(visit=done).order_by("id"))
    assert [p.item for p in photos] == ["photo", ""]
    assert photos[0].name.startswith("inspections/") and photos[0].content_type == "image/jpeg"
    assert done.answers["photo"] == 1


def test_a_required_photo_item_needs_a_photo(world: World, watch: Watch) -> None:
    template = ChecklistTemplate.objects.get(code="generic")
    items = [
        {"code": "ok", "label": "正常", "kind": "yes_no", "required": True},
        {"code": "pic", "label": "门头照片", "kind": "photo", "required": True},
    ]
    actions.publish_checklist_version(actor=None, scope=SYSTEM_SCOPE, template=template, items=items)
    with pytest.raises(DomainError) as error:
        actions.record_check(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            activity=None,
            place=watch.restaurant,
            template=template,
            answers={"ok": True},
        )
    assert error.value.field == "answers.pic"
    visit = actions.record_check(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        activity=None,
        place=watch.restaurant,
        template=template,
        answers={"ok": True},
        photos=[("pic", photo_upload())],
    )
    assert visit.answers == {"ok": True, "pic": 1}


def test_a_photo_for_an_item_that_takes_none_is_refused(world: World, watch: Watch) -> None:
    visit = due(watch.hotel_target)
    for code, field in (("exits_clear", "answers.exits_clear"), ("nothing", "photos")):
        with pytest.raises(DomainError) as error:
            actions.record_visit(
                actor=world.grid2_worker,
                scope=SYSTEM_SCOPE,
                visit=visit,
                answers=FIRE_CLEAN,
                photos=[(code, photo_upload())],
            )
        assert error.value.field == field
    assert not VisitPhoto.objects.exists()


def test_a_visit_is_recorded_once(world: World, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    actions.record_visit(actor=world.grid1_worker, scope=SYSTEM_SCOPE, visit=visit, answers=FOOD_CLEAN)
    with pytest.raises(DomainError):
        actions.record_visit(actor=world.grid1_worker, scope=SYSTEM_SCOPE, visit=visit, answers=FOOD_CLEAN)


def test_a_missed_visit_may_still_be_recorded_late(world: World, watch: Watch) -> None:
    visit = due(watch.restaurant_target)
    actions.generate_due_visits(today=date(2024, 3, 11))
    visit.refresh_from_db()
    assert visit.state == "missed"
    done = actions.record_visit(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        visit=visit,
        answers=FOOD_CLEAN,
        now=datetime(2024, 3, 11, 9, tzinfo=SH),
    )
    assert done.state == "done"


def test_a_visit_outside_the_workers_grid_is_refused(world: World, watch: Watch) -> None:
    visit = due(watch.restaurant_target)  # grid 1
    with pytest.raises(DomainError) as error:
        actions.record_visit(
            actor=world.grid2_worker, visit=visit, answers=FOOD_CLEAN, scope=scope_of(world.grid2_worker)
        )
    assert error.value.code == "forbidden"
    assert Visit.objects.get(pk=visit.pk).state == "due"
    # Someone else holding inspections.record at the grid may record it.
    done = actions.record_visit(
        actor=world.community_staff, visit=visit, answers=FOOD_CLEAN, scope=scope_of(world.community_staff)
    )
    assert done.state == "done"


def test_a_worker_without_the_key_person_permission_cannot_record_such_a_visit(world: World, watch: Watch) -> None:
    visit = due(watch.key_target)
    with pytest.raises(DomainError) as error:
        actions.record_visit(
            actor=world.grid1_worker,
            visit=visit,
            answers={"met_in_person": True, "stable": True, "address_same": True},
            scope=scope_of(world.grid1_worker),
        )
    assert error.value.code == "forbidden"


# Hazards and rectification orders


def test_a_hazard_opens_an_order_with_a_recheck(world: World, watch: Watch) -> None:
    visit = due(watch.hotel_target)
    actions.record_visit(actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=visit, answers=FIRE_HAZARD, now=TUESDAY)
    order = Rectification.objects.get(visit=visit)
    assert order.number == "ZG202400001"
    assert (order.responsible_party, order.severity, order.state) == ("快捷旅馆", "major", "open")
    assert (order.issued_on, order.deadline) == (date(2024, 3, 5), date(2024, 3, 8))
    assert (order.grid, order.place, order.target, order.category) == (
        world.grid2,
        watch.hotel,
        watch.hotel_target,
        "small_hotel",
    )
    hazards = {(h.item, h.severity, h.fixed) for h in Hazard.objects.filter(rectification=order)}
    assert hazards == {
        ("exits_clear", "major", False),
        ("wiring", "major", False),
        ("extinguishers_ok", "minor", False),
    }
    recheck = Visit.objects.get(recheck_of=order)
    assert (recheck.kind, recheck.state, recheck.due_on, recheck.worker, recheck.target, recheck.version) == (
        "recheck",
        "due",
        date(2024, 3, 8),
        world.grid2_worker,
        watch.hotel_target,
        visit.version,
    )
    assert AuditEntry.objects.filter(action="inspections.rectification_issued", object_repr="ZG202400001").exists()


def test_a_minor_hazard_gets_the_longer_deadline_and_numbers_follow_on(
    world: World, watch: Watch, settings: Any
) -> None:
    settings.NUANXIN_RECTIFICATION_DAYS = {"major": 2, "minor": 10}
    actions.record_visit(
        actor=world.grid2_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.hotel_target),
        answers=FIRE_CLEAN | {"extinguishers_ok": False},
        now=TUESDAY,
    )
    actions.record_visit(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.restaurant_target),
        answers=FOOD_CLEAN | {"expired_food": True},
        now=TUESDAY,
    )
    orders = list(Rectification.objects.order_by("number"))
    assert [o.number for o in orders] == ["ZG202400001", "ZG202400002"]
    assert (orders[0].severity, orders[0].deadline) == ("minor", date(2024, 3, 15))
    assert (orders[1].severity, orders[1].deadline) == ("major", date(2024, 3, 7))


def test_a_number_below_its_limit_is_a_hazard(world: World, watch: Watch) -> None:
    visit = due(watch.hotel_target)
    actions.record_visit(
        actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=visit, answers=FIRE_CLEAN | {"extinguisher_count": 0}
    )
    assert Hazard.objects.get().item == "extinguisher_count"


def test_a_resident_order_names_the_party_masked(world: World, watch: Watch) -> None:
    visit = due(watch.special_target)
    answers = {"met_in_person": True, "health": "poor", "gas_safe": True, "needs_help": False}
    actions.record_visit(actor=world.grid1_worker, scope=SYSTEM_SCOPE, visit=visit, answers=answers)
    order = Rectification.objects.get(visit=visit)
    assert order.responsible_party == "张*" and order.place is None
    for entry in AuditEntry.objects.filter(action__startswith="inspections."):
        assert "张" not in f"{entry.object_repr} {entry.detail}"


# Adaptive frequency


def test_a_hazard_raises_the_frequency_and_clean_visits_lower_it(world: World, watch: Watch) -> None:
    target = watch.hotel_target  # low tier: quarterly
    actions.record_visit(
        actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=due(target), answers=FIRE_HAZARD, now=TUESDAY
    )
    target.refresh_from_db()
    assert (target.frequency, target.clean_streak) == (Frequency.MONTHLY, 0)
    change = WatchChange.objects.filter(target=target).order_by("-id").first()
    assert change is not None
    assert (change.old_frequency, change.new_frequency) == ("quarterly", "monthly")
    assert change.reason.startswith("hazard found on visit #")
    # The re-check does not move the frequency.
    recheck = Visit.objects.get(kind="recheck", target=target)
    actions.record_visit(
        actor=world.grid2_worker, scope=SYSTEM_SCOPE, visit=recheck, answers=FIRE_CLEAN, now=TUESDAY + timedelta(days=2)
    )
    target.refresh_from_db()
    assert (target.frequency, target.clean_streak) == (Frequency.MONTHLY, 0)
    # April and May visits (monthly now), both clean: back to quarterly.
    actions.generate_due_visits(today=date(2024, 4, 1))
    april = due(target)
    assert april.due_on == date(2024, 4, 30)
    actions.record_visit(
        actor=world.grid2_worker,
        scope=SYSTEM_SCOPE,
        visit=april,
        answers=FIRE_CLEAN,
        now=datetime(2024, 4, 20, tzinfo=SH),
    )
    target.refresh_from_db()
    assert (target.frequency, target.clean_streak) == (Frequency.MONTHLY, 1)
    actions.generate_due_visits(today=date(2024, 5, 1))
    actions.record_visit(
        actor=world.grid2_worker,
        scope=SYSTEM_SCOPE,
        visit=due(target),
        answers=FIRE_CLEAN,
        now=datetime(2024, 5, 20, tzinfo=SH),
    )
    target.refresh_from_db()
    assert (target.frequency, target.clean_streak) == (Frequency.QUARTERLY, 0)
    assert WatchChange.objects.filter(target=target).order_by("-id").first().reason == "2 clean visits"  # type: ignore[union-attr]
    assert AuditEntry.objects.filter(action="inspections.frequency_changed", object_id=str(target.pk)).count() == 2


def test_a_hazard_on_a_weekly_target_only_resets_the_streak(world: World, watch: Watch) -> None:
    target = watch.restaurant_target  # high tier: weekly already
    WatchTarget.objects.filter(pk=target.pk).update(clean_streak=1)
    before = WatchChange.objects.filter(target=target).count()
    actions.record_visit(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, visit=due(target), answers=FOOD_CLEAN | {"expired_food": True}
    )
    target.refresh_from_db()
    assert (target.frequency, target.clean_streak) == ("weekly", 0)
    assert WatchChange.objects.filter(target=target).count() == before


def test_clean_visits_never_go_below_the_tiers_frequency(world: World, watch: Watch) -> None:
    target = watch.restaurant_target
    actions.record_visit(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, visit=due(target), answers=FOOD_CLEAN, now=TUESDAY
    )
    actions.generate_due_visits(today=date(2024, 3, 11))
    actions.record_visit(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        visit=due(target),
        answers=FOOD_CLEAN,
        now=datetime(2024, 3, 12, tzinfo=SH),
    )
    target.refresh_from_db()
    assert target.frequency == "weekly" and target.clean_streak == 2


def test_raising_the_frequency_replans_the_due_visit(world: World, watch: Watch) -> None:
    """The quarterly visit due 31 March, done on 5 March with a hazard: monthly now, and the
    done visit already covers March, so nothing more is planned this month."""
    target = watch.hotel_target
    visit = due(target)
    assert visit.due_on == date(2024, 3, 31)
    actions.record_visit(
        actor=world.grid2_worker,
        scope=SYSTEM_SCOPE,
        visit=visit,
        answers=FIRE_HAZARD,
        now=datetime(2024, 3, 5, tzinfo=SH),
    )
    routine = Visit.objects.filter(target=target, kind="routine").order_by("due_on")
    assert [(v.state, v.due_on) for v in routine] == [("done", date(2024, 3, 31))]
    actions.generate_due_visits(today=date(2024, 4, 1))
    assert due(target).due_on == date(2024, 4, 30)


# Campaign checks


def test_a_campaign_check_records_a_done_visit_of_the_place(world: World, watch: Watch) -> None:
    template = ChecklistTemplate.objects.get(code="fire-safety")
    visit = actions.record_check(
        actor=world.grid1_worker,
        activity=None,
        place=watch.restaurant,
        template=template,
        answers=FIRE_CLEAN,
        lng=watch.restaurant.lng,
        lat=watch.restaurant.lat,
        scope=scope_of(world.grid1_worker),
        now=TUESDAY,
    )
    assert (visit.kind, visit.state, visit.place, visit.grid, visit.worker) == (
        "campaign",
        "done",
        watch.restaurant,
        world.grid1,
        world.grid1_worker,
    )
    assert visit.category == "catering"  # the place's watch target
    assert visit.version == template.current_version() and visit.due_on == date(2024, 3, 5)
    assert visit.target is None and visit.checked_in_distance == 0


def test_a_campaign_check_with_a_hazard_opens_an_order(world: World, watch: Watch) -> None:
    template = ChecklistTemplate.objects.get(code="fire-safety")
    shop = world.compound1  # not on the watchlist
    visit = actions.record_check(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        activity=None,
        place=shop,
        template=template,
        answers=FIRE_HAZARD,
        now=TUESDAY,
    )
    order = Rectification.objects.get(visit=visit)
    assert (order.place, order.category, order.responsible_party) == (shop, "", "一号院")
    recheck = Visit.objects.get(recheck_of=order)
    assert recheck.place == shop and recheck.activity is None


def test_a_campaign_check_outside_the_scope_is_refused(world: World, watch: Watch) -> None:
    template = ChecklistTemplate.objects.get(code="fire-safety")
    with pytest.raises(DomainError) as error:
        actions.record_check(
            actor=world.grid2_worker,
            activity=None,
            place=watch.restaurant,
            template=template,
            answers=FIRE_CLEAN,
            scope=scope_of(world.grid2_worker),
        )
    assert error.value.field == "place"
    assert not Visit.objects.filter(kind="campaign").exists()


def test_a_campaign_check_with_bad_answers_writes_nothing(world: World, watch: Watch) -> None:
    template = ChecklistTemplate.objects.get(code="fire-safety")
    with pytest.raises(DomainError) as error:
        actions.record_check(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            activity=None,
            place=watch.restaurant,
            template=template,
            answers={"wiring": 3},
        )
    assert error.value.field.startswith("answers.")  # type: ignore[union-attr]
    assert not Visit.objects.filter(kind="campaign").exists()
