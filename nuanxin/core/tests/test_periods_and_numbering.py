"""The shared helpers of core: days and periods, record numbers, API field names."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from nuanxin.core.errors import DomainError, api_field_names, renamed_field
from nuanxin.core.numbering import create_numbered, next_in_sequence
from nuanxin.core.periods import day_start, days_q, filter_period, moments_q, parse_day, parse_period
from nuanxin.ledgers.models import Dispute


def test_parse_day_takes_only_yyyy_mm_dd() -> None:
    assert parse_day("2024-02-29") == date(2024, 2, 29)
    for bad in ("", "2024-02-30", "20240229", "2024-W09-4", "2024-2-9", " 2024-02-29", "2024-02-29x"):
        assert parse_day(bad) is None, bad


def test_day_start_is_local_midnight() -> None:
    assert day_start(date(2024, 3, 1)) == datetime(2024, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_filter_period_names_the_callers_parameters() -> None:
    assert filter_period({"from": " 2024-01-01 ", "to": "2024-01-31"}, "from", "to") == (
        date(2024, 1, 1),
        date(2024, 1, 31),
        {},
    )
    since, until, errors = filter_period({"from": "nope", "to": "2024-01-31"}, "from", "to")
    assert (since, until) == (None, date(2024, 1, 31)) and set(errors) == {"from"}
    # A period ending before it starts: the error at the end, and the end dropped.
    since, until, errors = filter_period({"since": "2024-02-01", "until": "2024-01-31"})
    assert (since, until) == (date(2024, 2, 1), None) and set(errors) == {"until"}
    assert filter_period({}) == (None, None, {})


def test_parse_period_defaults_errors_and_cap() -> None:
    assert parse_period(None, None, today=date(2024, 7, 9)) == (date(2024, 1, 1), date(2024, 7, 9))
    assert parse_period("2024-03-01", "", today=date(2024, 7, 9)) == (date(2024, 3, 1), date(2024, 7, 9))
    for since, until, field in (
        ("2024-03-01", "x", "to"),
        ("x", "2024-03-01", "from"),
        ("2024-03-02", "2024-03-01", "from"),
    ):
        with pytest.raises(DomainError) as refused:
            parse_period(since, until)
        assert refused.value.field == field
    assert parse_period("2024-01-01", "2024-01-10", max_days=10) == (date(2024, 1, 1), date(2024, 1, 10))
    with pytest.raises(DomainError) as refused:
        parse_period("2024-01-01", "2024-01-11", max_days=10, too_long="Too long.")
    assert (refused.value.field, refused.value.message) == ("from", "Too long.")


def test_period_q_leaves_open_bounds_open() -> None:
    assert not days_q("on", None, None) and not moments_q("at", None, None)
    assert str(days_q("on", date(2024, 1, 1), date(2024, 1, 2))) == str(
        days_q("on", date(2024, 1, 1), None) & days_q("on", None, date(2024, 1, 2))
    )
    q = moments_q("at", None, date(2024, 1, 31))
    assert q.children == [("at__lt", day_start(date(2024, 2, 1)))]


@pytest.mark.django_db
def _dispute_fields(world) -> dict:
    return dict(
        kind="neighbour",
        summary="x",
        source="walk_in",
        grid=world.grid1,
        received_on=date(2031, 1, 1),
        recorded_by=world.grid1_worker,
    )


def test_next_in_sequence_counts_per_prefix_and_past_the_width(world) -> None:
    disputes = Dispute.objects.all()
    assert next_in_sequence(disputes, "JF2031") == "JF203100001"
    make = _dispute_fields(world)
    Dispute.objects.create(number="JF203199999", **make)
    Dispute.objects.create(number="JF203000007", **make)
    assert next_in_sequence(disputes, "JF2031") == "JF2031100000"
    Dispute.objects.create(number="JF2031100000", **make)
    assert next_in_sequence(disputes, "JF2031") == "JF2031100001"
    assert next_in_sequence(disputes, "JF2030") == "JF203000008"
    assert next_in_sequence(disputes.none(), "HD2031", width=3) == "HD2031001"


def test_create_numbered_takes_the_next_number_when_one_was_taken_meanwhile(world) -> None:
    make = _dispute_fields(world)
    Dispute.objects.create(number="JF203100001", **make)
    offered = iter(["JF203100001", "JF203100001", "JF203100002"])  # as two racing writers would see it
    made = create_numbered(Dispute, lambda: next(offered), **make)
    assert made.number == "JF203100002" and Dispute.objects.filter(number__startswith="JF2031").count() == 2
    with pytest.raises(DomainError) as refused:
        create_numbered(Dispute, lambda: "JF203100001", attempts=3, **make)
    assert refused.value.code == "stale"
    assert Dispute.objects.filter(number__startswith="JF2031").count() == 2  # nothing half-written


def test_api_field_names_renames_fields_and_list_entries() -> None:
    names = {"place": "place_id", "grid": "grid_id"}
    assert renamed_field("place", names) == "place_id"
    assert renamed_field("parties.2.place", names) == "parties.2.place_id"
    assert renamed_field("answers.place", names) == "answers.place"
    assert renamed_field("note", names) == "note"
    assert renamed_field(None, names) is None
    with pytest.raises(DomainError) as refused, api_field_names(names):
        raise DomainError("Choose a grid.", field="grid")
    assert refused.value.field == "grid_id"
