import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_search_allowance() -> None:
    # The exact-search counters live in the cache, which outlives a test's database; user
    # ids are reused from test to test.
    cache.clear()
