"""Exact searches (by phone or ID number) confirm a guessed value: they need people.reveal,
are limited per user, and are audited without the value."""

import pytest
import time_machine

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.people import actions
from nuanxin.people.queries import parse_search
from nuanxin.people.tests.sample import LI_ID, LI_PHONE, WANG_PHONE, ZHANG_ID


def look_up(world, persona, text):
    user = world.users[persona]
    return [r.name for r in actions.look_up_residents(actor=user, scope=scope_of(user), text=text)]


@pytest.mark.parametrize(
    ("text", "by"),
    [(LI_PHONE, "phone"), ("+86 138 1234 5678", "phone"), (LI_ID.lower(), "id_number"), ("张三", "name"), ("", "name")],
)
def test_search_texts_are_told_apart(text, by):
    assert parse_search(text)[0] == by


@pytest.mark.parametrize("text", [LI_PHONE, ZHANG_ID])
def test_a_helper_without_reveal_may_not_search_exactly(people, world, text):
    with pytest.raises(DomainError) as error:
        look_up(world, "grid1_helper", text)
    assert error.value.field == "text"
    assert not AuditEntry.objects.filter(action="people.searched").exists()


def test_a_helper_may_still_search_by_name(people, world):
    assert look_up(world, "grid1_helper", "zs") == ["张三"]
    assert not AuditEntry.objects.filter(action="people.searched").exists()


def test_exact_searches_are_audited_with_kind_and_count_never_the_value(people, world):
    assert look_up(world, "grid1_worker", LI_PHONE) == ["李四"]
    assert look_up(world, "grid1_worker", ZHANG_ID) == ["张三"]
    assert look_up(world, "grid1_worker", WANG_PHONE) == []  # outside the grid: no match, still audited
    entries = AuditEntry.objects.filter(action="people.searched").order_by("id")
    assert [e.detail for e in entries] == [
        {"by": "phone", "matches": 1},
        {"by": "id_number", "matches": 1},
        {"by": "phone", "matches": 0},
    ]
    assert all(e.actor_id == world.grid1_worker.pk for e in entries)
    text = " ".join(f"{e.object_repr} {e.detail}" for e in entries)
    for value in (LI_PHONE, ZHANG_ID, WANG_PHONE, ZHANG_ID[-4:]):
        assert value not in text


def test_exact_searches_are_limited_to_thirty_in_ten_minutes(people, world):
    with time_machine.travel("2026-03-02 09:00:00+08:00", tick=False) as clock:
        for _ in range(30):
            look_up(world, "grid1_worker", LI_PHONE)
        look_up(world, "grid1_leader", LI_PHONE)  # counted per user
        with pytest.raises(actions.SearchRateLimited) as error:
            look_up(world, "grid1_worker", LI_PHONE)
        assert error.value.field == "text" and error.value.retry_after == 600
        assert look_up(world, "grid1_worker", "lisi") == ["李四"]  # names are not limited
        clock.shift(599)
        with pytest.raises(actions.SearchRateLimited) as error:
            look_up(world, "grid1_worker", LI_ID)
        assert error.value.retry_after == 1
        clock.shift(1)
        assert look_up(world, "grid1_worker", LI_ID) == ["李四"]
    assert AuditEntry.objects.filter(action="people.searched", actor_id=world.grid1_worker.pk).count() == 31
