import pytest
from django.core.cache import cache

from nuanxin.people.tests.sample import People, build_people
from nuanxin.testing import World


@pytest.fixture
def people(world: World) -> People:
    return build_people(world)


@pytest.fixture(autouse=True)
def _fresh_search_allowance() -> None:
    # The exact-search counters live in the cache, which outlives a test's database; user
    # ids are reused from test to test.
    cache.clear()
