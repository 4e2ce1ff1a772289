import pytest

from nuanxin.core.errors import DomainError
from nuanxin.territory import actions
from nuanxin.territory.queries import locate_grid
from nuanxin.testing import SYSTEM_SCOPE, square


def test_place_is_assigned_to_the_grid_containing_it(world):
    assert world.compound1.grid == world.grid1
    assert world.compound2.grid == world.grid2
    assert locate_grid(102.7031, 24.9811) == world.grid2


def test_place_outside_every_grid_is_refused(world):
    with pytest.raises(DomainError) as err:
        actions.create_place(actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="远方小店", lng=100.0, lat=20.0)
    assert err.value.field == "location"
    assert "outside every grid" in err.value.message or "网格" in err.value.message


def test_self_intersecting_boundary_is_refused(world):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(DomainError) as err:
        actions.create_area(
            actor=None,
            scope=SYSTEM_SCOPE,
            level="grid",
            code="G9",
            name="坏网格",
            boundary=bowtie,
            parent=world.community,
        )
    assert err.value.field == "boundary"


def test_overlapping_grid_is_refused(world):
    with pytest.raises(DomainError) as err:
        actions.create_area(
            actor=None,
            scope=SYSTEM_SCOPE,
            level="grid",
            code="G3",
            name="重叠网格",
            boundary=square(102.701, 24.980),
            parent=world.community,
        )
    assert err.value.field == "boundary"


def test_new_grid_is_found_by_the_index_after_creation(world):
    grid3 = actions.create_area(
        actor=None,
        scope=SYSTEM_SCOPE,
        level="grid",
        code="G3",
        name="三网格",
        boundary=square(102.704, 24.980),
        parent=world.community,
    )
    assert locate_grid(102.705, 24.981) == grid3


def test_moving_a_place_to_another_grid_moves_its_residents_and_households(world):
    from nuanxin.people.actions import register_household, register_resident

    household = register_household(actor=None, scope=SYSTEM_SCOPE, place=world.compound1, number="1-1-101")
    resident = register_resident(
        actor=None, scope=SYSTEM_SCOPE, name="移居者", place=world.compound1, household=household
    )
    actions.change_place(actor=None, scope=SYSTEM_SCOPE, place=world.compound1, lng=102.7031, lat=24.9811)
    resident.refresh_from_db()
    household.refresh_from_db()
    assert resident.grid == world.grid2 and household.grid == world.grid2


def test_sibling_codes_differing_only_in_case_are_refused(world):
    with pytest.raises(DomainError) as err:
        actions.create_area(
            actor=None,
            scope=SYSTEM_SCOPE,
            level="grid",
            code="g1",
            name="小写网格",
            boundary=square(102.704, 24.980),
            parent=world.community,
        )
    assert err.value.field == "code"
