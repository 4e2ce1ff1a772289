import pytest
from django.http import Http404

from nuanxin.accounts.scope import scope_of
from nuanxin.inspections import queries
from nuanxin.inspections.models import Visit, WatchTarget
from nuanxin.inspections.tests.conftest import Watch
from nuanxin.testing import SYSTEM_SCOPE, World


def _seen(world: World, persona: str) -> set[int]:
    return set(queries.targets_for(scope_of(world.users[persona])).values_list("pk", flat=True))


def test_grid_staff_see_the_targets_of_their_grid_only(world: World, watch: Watch) -> None:
    assert _seen(world, "grid1_worker") == {watch.restaurant_target.pk, watch.special_target.pk}
    assert _seen(world, "grid2_worker") == {watch.hotel_target.pk}


def test_community_and_street_see_their_subtree(world: World, watch: Watch) -> None:
    everything = set(WatchTarget.objects.values_list("pk", flat=True))
    assert _seen(world, "community_admin") == everything
    assert _seen(world, "system_admin") == everything
    # Street staff view inspections but hold no people.view_special / view_key_person.
    assert _seen(world, "street_staff") == {watch.restaurant_target.pk, watch.hotel_target.pk}
    assert _seen(world, "other_admin") == set()


@pytest.mark.parametrize("persona", ["grid1_helper", "rider", "resident", "partner", "stranger", "auditor"])
def test_people_without_inspections_view_see_no_target(world: World, watch: Watch, persona: str) -> None:
    assert _seen(world, persona) == set()
    scope = scope_of(world.users[persona])
    assert not Visit.objects.visible_to(scope).exists()
    with pytest.raises(Http404):
        queries.target_or_404(scope, watch.restaurant_target.pk)


def test_a_worker_without_the_key_person_permission_never_learns_of_a_key_person_target(
    world: World, watch: Watch
) -> None:
    scope = scope_of(world.grid1_worker)
    key = watch.key_target
    assert key.pk not in _seen(world, "grid1_worker")
    assert queries.targets_for(scope).filter(resident=watch.people.zhang).count() == 1  # the special-group one
    assert not WatchTarget.objects.visible_to(scope).filter(category="key_person").exists()
    assert not queries.visits_for(scope).filter(target=key).exists()
    assert not Visit.objects.visible_to(scope).filter(target__category="key_person").exists()
    with pytest.raises(Http404):
        queries.target_or_404(scope, key.pk)
    # The same answer as for a target that does not exist.
    with pytest.raises(Http404):
        queries.target_or_404(scope, 10**9)


@pytest.mark.parametrize("persona", ["grid1_leader", "community_admin"])
def test_roles_with_the_key_person_permission_see_key_person_targets(world: World, watch: Watch, persona: str) -> None:
    scope = scope_of(world.users[persona])
    assert watch.key_target.pk in _seen(world, persona)
    assert queries.target_or_404(scope, watch.key_target.pk) == watch.key_target
    assert queries.visits_for(scope).filter(target=watch.key_target).count() == 1


def test_a_target_of_another_grid_is_a_404(world: World, watch: Watch) -> None:
    with pytest.raises(Http404):
        queries.target_or_404(scope_of(world.grid2_worker), watch.restaurant_target.pk)
    assert queries.target_or_404(scope_of(world.grid1_worker), watch.restaurant_target.pk) == watch.restaurant_target


def test_ended_targets_leave_the_list_but_stay_readable_in_history(world: World, watch: Watch) -> None:
    from nuanxin.inspections import actions

    actions.end_target(actor=None, scope=SYSTEM_SCOPE, target=watch.restaurant_target, reason="已停业")
    scope = scope_of(world.grid1_worker)
    assert watch.restaurant_target.pk not in _seen(world, "grid1_worker")
    assert watch.restaurant_target.pk in set(queries.targets_for(scope, active_only=False).values_list("pk", flat=True))
    assert [c.new_tier for c in queries.changes_of(watch.restaurant_target)] == ["high"]
