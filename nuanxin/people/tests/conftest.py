import pytest

from nuanxin.people.tests.sample import People, build_people
from nuanxin.testing import World


@pytest.fixture
def people(world: World) -> People:
    return build_people(world)
