from datetime import date

import pytest

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.inspections import actions
from nuanxin.inspections.models import Frequency, Visit, WatchChange, WatchTarget
from nuanxin.inspections.tests.conftest import MONDAY, Watch
from nuanxin.testing import SYSTEM_SCOPE, World


def test_adding_a_place_takes_its_grid_and_the_frequency_of_its_tier(world: World, watch: Watch) -> None:
    target = watch.restaurant_target
    assert target.grid == world.grid1
    assert target.frequency == Frequency.WEEKLY
    assert watch.hotel_target.frequency == Frequency.QUARTERLY
    assert watch.special_target.frequency == Frequency.MONTHLY
    first = WatchChange.objects.get(target=target)
    assert (first.old_tier, first.new_tier, first.new_frequency, first.reason) == ("", "high", "weekly", "added")
    assert AuditEntry.objects.filter(action="inspections.target_added", object_id=str(target.pk)).exists()


def test_adding_a_target_plans_its_first_visit(world: World, watch: Watch) -> None:
    visit = Visit.objects.get(target=watch.restaurant_target)
    assert (visit.due_on, visit.worker, visit.grid, visit.state) == (
        date(2024, 3, 10),
        world.grid1_worker,
        world.grid1,
        "due",
    )
    assert visit.version is not None and visit.version.template.code == "food-safety"


def test_the_frequency_table_can_be_configured_per_category(world: World, watch: Watch, settings: object) -> None:
    settings.NUANXIN_VISIT_FREQUENCIES = {"catering": {"low": "monthly"}}  # type: ignore[attr-defined]
    shop = actions.add_target(
        actor=None,
        scope=SYSTEM_SCOPE,
        category="catering",
        tier="low",
        worker=world.grid2_worker,
        place=watch.hotel,
        today=MONDAY,
    )
    assert shop.frequency == Frequency.MONTHLY
    assert actions.frequency_for("small_hotel", "low") == Frequency.QUARTERLY


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"category": "bakery", "tier": "high"}, "category"),
        ({"category": "catering", "tier": "extreme"}, "tier"),
        ({"category": "key_person", "tier": "high"}, "resident"),
        ({"category": "catering", "tier": "high", "note": "x" * 501}, "note"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world: World, watch: Watch, kwargs: dict, field: str) -> None:
    before = (WatchTarget.objects.count(), WatchChange.objects.count(), Visit.objects.count())
    with pytest.raises(DomainError) as refused:
        actions.add_target(
            actor=None, scope=SYSTEM_SCOPE, worker=world.grid2_worker, place=watch.hotel, today=MONDAY, **kwargs
        )
    assert refused.value.field == field
    assert (WatchTarget.objects.count(), WatchChange.objects.count(), Visit.objects.count()) == before


def test_a_resident_is_watched_only_in_a_category_they_are_tagged_with(world: World, watch: Watch) -> None:
    with pytest.raises(DomainError) as refused:
        actions.add_target(
            actor=None,
            scope=SYSTEM_SCOPE,
            category="key_person",
            tier="high",
            worker=world.grid1_leader,
            resident=watch.people.li,
        )
    assert refused.value.field == "resident"


def test_a_target_is_watched_once_per_category(world: World, watch: Watch) -> None:
    with pytest.raises(DomainError) as refused:
        actions.add_target(
            actor=None,
            scope=SYSTEM_SCOPE,
            category="catering",
            tier="low",
            worker=world.grid1_worker,
            place=watch.restaurant,
        )
    assert refused.value.field == "category"


def test_the_worker_must_be_on_the_staff_of_the_targets_grid(world: World, watch: Watch) -> None:
    with pytest.raises(DomainError) as refused:
        actions.add_target(
            actor=None,
            scope=SYSTEM_SCOPE,
            category="crowded_venue",
            tier="high",
            worker=world.grid2_worker,
            place=watch.restaurant,
        )
    assert refused.value.field == "worker"


@pytest.mark.parametrize("persona", ["other_admin", "grid1_worker", "community_staff"])
def test_a_target_outside_the_actors_scope_is_refused(world: World, watch: Watch, persona: str) -> None:
    actor = world.users[persona]
    with pytest.raises(DomainError) as refused:
        actions.add_target(
            actor=actor,
            scope=scope_of(actor),
            category="crowded_venue",
            tier="high",
            worker=world.grid1_worker,
            place=watch.restaurant,
        )
    assert refused.value.field == "place"
    assert not WatchTarget.objects.filter(category="crowded_venue").exists()


def test_a_community_admin_manages_the_watchlist_of_the_community(world: World, watch: Watch) -> None:
    admin = world.community_admin
    target = actions.add_target(
        actor=admin,
        scope=scope_of(admin),
        category="crowded_venue",
        tier="medium",
        worker=world.grid1_worker,
        place=watch.restaurant,
    )
    assert target.frequency == Frequency.MONTHLY


def test_changing_the_tier_records_old_and_new_with_the_reason(world: World, watch: Watch) -> None:
    admin = world.community_admin
    target = watch.hotel_target
    change = actions.change_tier(
        actor=admin, scope=scope_of(admin), target=target, tier="high", reason="发现重大隐患", today=MONDAY
    )
    target.refresh_from_db()
    assert (target.tier, target.frequency) == ("high", "weekly")
    assert (change.old_tier, change.new_tier, change.old_frequency, change.new_frequency) == (
        "low",
        "high",
        "quarterly",
        "weekly",
    )
    assert (change.reason, change.actor) == ("发现重大隐患", admin)
    entry = AuditEntry.objects.get(action="inspections.tier_changed")
    assert entry.detail == {"tier": ["low", "high"], "frequency": ["quarterly", "weekly"]}
    # The quarter's visit is planned again for the week.
    assert list(target.visits.values_list("due_on", flat=True)) == [date(2024, 3, 10)]


@pytest.mark.parametrize(
    ("tier", "reason", "field"),
    [("high", "", "reason"), ("high", "   ", "reason"), ("low", "原因", "tier"), ("x", "原因", "tier")],
)
def test_a_tier_change_needs_a_reason_and_a_new_tier(
    world: World, watch: Watch, tier: str, reason: str, field: str
) -> None:
    target = watch.hotel_target
    with pytest.raises(DomainError) as refused:
        actions.change_tier(actor=None, scope=SYSTEM_SCOPE, target=target, tier=tier, reason=reason)
    assert refused.value.field == field
    target.refresh_from_db()
    assert target.tier == "low"
    assert WatchChange.objects.filter(target=target).count() == 1


@pytest.mark.parametrize("persona", ["grid1_worker", "grid2_worker", "other_admin"])
def test_only_a_manager_of_the_targets_grid_changes_its_tier(world: World, watch: Watch, persona: str) -> None:
    actor = world.users[persona]
    with pytest.raises(DomainError):
        actions.change_tier(actor=actor, scope=scope_of(actor), target=watch.hotel_target, tier="high", reason="原因")
    assert WatchChange.objects.filter(target=watch.hotel_target).count() == 1


def test_watch_changes_are_append_only(watch: Watch) -> None:
    change = WatchChange.objects.get(target=watch.hotel_target)
    change.reason = "edited"
    with pytest.raises(PermissionError):
        change.save()
    with pytest.raises(PermissionError):
        WatchChange.objects.update(reason="edited")
    with pytest.raises(PermissionError):
        WatchChange.objects.all().delete()


def test_ending_a_target_drops_its_due_visits_and_keeps_the_record(world: World, watch: Watch) -> None:
    admin = world.community_admin
    target = watch.restaurant_target
    actions.end_target(actor=admin, scope=scope_of(admin), target=target, reason="已停业", today=MONDAY)
    target.refresh_from_db()
    assert target.ended_on == MONDAY
    assert not target.visits.exists()
    entry = AuditEntry.objects.get(action="inspections.target_ended")
    assert entry.detail == {"reason": "已停业", "visits_dropped": 1}
    with pytest.raises(DomainError):
        actions.end_target(actor=admin, scope=SYSTEM_SCOPE, target=target, reason="again")
    with pytest.raises(DomainError):
        actions.change_tier(actor=admin, scope=SYSTEM_SCOPE, target=target, tier="low", reason="原因")


def test_ending_needs_a_reason_and_the_right_to_manage(world: World, watch: Watch) -> None:
    target = watch.restaurant_target
    with pytest.raises(DomainError) as refused:
        actions.end_target(actor=None, scope=SYSTEM_SCOPE, target=target, reason="")
    assert refused.value.field == "reason"
    worker = world.grid1_worker
    with pytest.raises(DomainError):
        actions.end_target(actor=worker, scope=scope_of(worker), target=target, reason="已停业")
    target.refresh_from_db()
    assert target.ended_on is None and target.visits.count() == 1


@pytest.mark.parametrize(
    ("frequency", "day", "period"),
    [
        ("weekly", date(2024, 3, 6), (date(2024, 3, 4), date(2024, 3, 10))),
        ("monthly", date(2024, 2, 10), (date(2024, 2, 1), date(2024, 2, 29))),
        ("quarterly", date(2024, 11, 5), (date(2024, 10, 1), date(2024, 12, 31))),
    ],
)
def test_periods_are_iso_weeks_calendar_months_and_quarters(frequency: str, day: date, period: tuple) -> None:
    assert actions.period_of(frequency, day) == period
