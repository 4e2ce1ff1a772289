"""The scope's helpers that every app uses: a row a payload names by id (sent_row)."""

import pytest

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import sent_row
from nuanxin.territory.models import Place
from nuanxin.testing import World


def test_a_row_named_by_id_is_found_among_those_the_caller_may_choose(world: World) -> None:
    places = Place.objects.visible_to(scope_of(world.grid1_worker))
    mine = places.filter(kind="compound").first()
    hidden = Place.objects.exclude(pk__in=places.values("pk")).first()
    assert mine is not None and hidden is not None  # the world has both
    assert sent_row(places, mine.pk, field="place_id", message="Unknown place.") == mine
    assert sent_row(places, None, field="place_id", message="Unknown place.") is None
    # Out of reach and missing are the same bad input, naming the field: no hint the row exists.
    refusals = []
    for pk in (hidden.pk, 10**9):
        with pytest.raises(DomainError) as refused:
            sent_row(places, pk, field="place_id", message="Unknown place.")
        refusals.append((refused.value.field, refused.value.message, refused.value.code))
    assert refusals == [("place_id", "Unknown place.", "invalid")] * 2
