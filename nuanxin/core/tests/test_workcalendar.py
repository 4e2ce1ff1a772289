"""The work calendar: working days, working hours and the official holiday table."""

import importlib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nuanxin.core import workcalendar
from nuanxin.core.models import AuditEntry, CalendarDay
from nuanxin.core.workcalendar import add_working_days, add_working_hours, is_working_day, working_hours_between

SHANGHAI = ZoneInfo("Asia/Shanghai")
holiday_table = importlib.import_module("nuanxin.core.migrations.0003_cn_holidays_2023_2026")

property_settings = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture
def official(db):
    """The built-in 2023-2026 table, loaded afresh: a transactional test elsewhere may have flushed it."""
    CalendarDay.objects.all().delete()
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=day, kind=kind, name=name) for day, kind, name in holiday_table.rows()]
    )


@pytest.mark.parametrize(("year", "working_days"), [(2023, 249), (2024, 251), (2025, 248), (2026, 248)])
def test_official_table_gives_each_years_working_day_count(official, year, working_days):
    # 365/366 days minus weekends minus the statutory holidays (11 until 2024, 13 from 2025).
    hours = working_hours_between(start=local(year, 1, 1), end=local(year + 1, 1, 1))
    assert hours == pytest.approx(working_days * 7)


def test_official_make_up_workdays_fall_on_weekends(official):
    workdays = CalendarDay.objects.filter(kind=CalendarDay.Kind.WORKDAY)
    assert workdays.count() >= 20
    assert all(row.date.weekday() >= 5 for row in workdays)


def test_national_day_2024_week_is_off_and_its_make_up_days_are_on(official):
    assert is_working_day(day=date(2024, 9, 29))  # Sunday, made up
    assert not any(is_working_day(day=date(2024, 10, d)) for d in range(1, 8))
    assert is_working_day(day=date(2024, 10, 8))
    assert is_working_day(day=date(2024, 10, 12))  # Saturday, made up
    assert not is_working_day(day=date(2024, 10, 13))  # an ordinary Sunday


def test_working_hours_skip_the_national_day_week(official):
    assert add_working_hours(start=local(2024, 9, 30, 16, 0), hours=4) == local(2024, 10, 8, 11, 0)


def test_working_days_skip_the_national_day_week_and_count_make_up_saturday(official):
    assert add_working_days(start=local(2024, 9, 30, 10, 0), days=1) == local(2024, 10, 8, 17, 30)
    # 8, 9, 10, 11 October, then Saturday the 12th is a make-up workday.
    assert add_working_days(start=local(2024, 9, 30, 10, 0), days=5) == local(2024, 10, 12, 17, 30)


def test_friday_afternoon_plus_four_hours_ends_monday_late_morning(official):
    # Friday 16:00-17:30 is 1.5 h; Monday 08:30-11:00 is the other 2.5 h.
    assert add_working_hours(start=local(2024, 3, 15, 16, 0), hours=4) == local(2024, 3, 18, 11, 0)


def test_spring_festival_2024_is_crossed_by_days_and_hours(official):
    # Friday 9 February (除夕) was a working day in 2024; 10-17 off; Sunday 18 made up.
    assert add_working_days(start=local(2024, 2, 8, 9, 0), days=1) == local(2024, 2, 9, 17, 30)
    assert add_working_days(start=local(2024, 2, 8, 9, 0), days=2) == local(2024, 2, 18, 17, 30)
    assert add_working_hours(start=local(2024, 2, 9, 16, 0), hours=2) == local(2024, 2, 18, 9, 0)
    assert working_hours_between(start=local(2024, 2, 9, 17, 30), end=local(2024, 2, 18, 8, 30)) == 0


def test_start_at_night_begins_at_the_next_morning(official):
    assert add_working_hours(start=local(2024, 3, 12, 22, 0), hours=1) == local(2024, 3, 13, 9, 30)
    assert add_working_hours(start=local(2024, 3, 13, 6, 0), hours=1) == local(2024, 3, 13, 9, 30)


def test_start_at_lunch_begins_at_the_afternoon_period(official):
    assert add_working_hours(start=local(2024, 3, 13, 12, 30), hours=1) == local(2024, 3, 13, 15, 0)


def test_limit_ending_at_a_period_end_stays_there(official):
    assert add_working_hours(start=local(2024, 3, 13, 8, 30), hours=3.5) == local(2024, 3, 13, 12, 0)
    assert add_working_hours(start=local(2024, 3, 13, 12, 0), hours=0) == local(2024, 3, 13, 12, 0)


def test_working_days_from_a_weekend_or_after_hours_count_from_the_next_day(official):
    assert add_working_days(start=local(2024, 3, 16, 10, 0), days=1) == local(2024, 3, 18, 17, 30)  # Saturday
    assert add_working_days(start=local(2024, 3, 15, 23, 0), days=1) == local(2024, 3, 18, 17, 30)  # Friday night
    assert add_working_days(start=local(2024, 3, 16, 10, 0), days=0) == local(2024, 3, 18, 17, 30)
    assert add_working_days(start=local(2024, 3, 13, 10, 0), days=0) == local(2024, 3, 13, 17, 30)


def test_working_hours_between_counts_a_week_and_is_antisymmetric(official):
    assert working_hours_between(start=local(2024, 3, 11), end=local(2024, 3, 18)) == 35
    assert working_hours_between(start=local(2024, 3, 15, 16, 0), end=local(2024, 3, 18, 11, 0)) == 4
    assert working_hours_between(start=local(2024, 3, 18, 11, 0), end=local(2024, 3, 15, 16, 0)) == -4


def test_utc_input_uses_shanghai_working_periods_and_returns_utc(official):
    # 08:00 UTC on Friday is 16:00 in Shanghai.
    result = add_working_hours(start=datetime(2024, 3, 15, 8, 0, tzinfo=UTC), hours=4)
    assert result == datetime(2024, 3, 18, 3, 0, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)
    new_york = datetime(2024, 3, 15, 4, 0, tzinfo=ZoneInfo("America/New_York"))  # the same instant
    assert add_working_hours(start=new_york, hours=4) == result
    assert add_working_days(start=datetime(2024, 3, 15, 17, 0, tzinfo=UTC), days=0).tzinfo == UTC


def test_utc_evening_belongs_to_the_next_shanghai_day(official):
    # 17:00 UTC on Thursday 14 March is 01:00 on Friday in Shanghai: one working day later is Monday.
    assert add_working_days(start=datetime(2024, 3, 14, 17, 0, tzinfo=UTC), days=1) == local(2024, 3, 18, 17, 30)


def test_naive_datetimes_and_negative_amounts_are_refused(official):
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_hours(start=datetime(2024, 3, 15, 16, 0), hours=1)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_hours_between(start=local(2024, 3, 15), end=datetime(2024, 3, 16))
    with pytest.raises(ValueError):
        add_working_hours(start=local(2024, 3, 15), hours=-1)
    with pytest.raises(ValueError):
        add_working_hours(start=local(2024, 3, 15), hours=float("nan"))
    with pytest.raises(ValueError):
        add_working_days(start=local(2024, 3, 15), days=-1)


def test_work_hours_setting_is_read_at_call_time(official, settings):
    settings.NUANXIN_WORK_HOURS = [("09:00", "17:00")]
    assert add_working_hours(start=local(2024, 3, 13, 9, 0), hours=8) == local(2024, 3, 13, 17, 0)
    assert add_working_days(start=local(2024, 3, 13, 9, 0), days=1) == local(2024, 3, 14, 17, 0)


@pytest.mark.parametrize("bad", [[], [("12:00", "08:30")], [("08:30", "12:00"), ("11:00", "17:30")], [("8h", "9h")]])
def test_bad_work_hours_setting_is_an_improper_configuration(official, settings, bad):
    settings.NUANXIN_WORK_HOURS = bad
    with pytest.raises(ImproperlyConfigured):
        add_working_hours(start=local(2024, 3, 13, 9, 0), hours=1)


def test_a_row_edited_by_an_admin_counts_at_once(official):
    assert is_working_day(day=date(2024, 3, 13))
    CalendarDay.objects.create(date=date(2024, 3, 13), kind=CalendarDay.Kind.HOLIDAY, name="test")
    assert not is_working_day(day=date(2024, 3, 13))
    assert add_working_hours(start=local(2024, 3, 12, 17, 0), hours=1) == local(2024, 3, 14, 9, 0)


def test_the_calendar_is_read_in_one_query_then_kept_a_while(official, django_assert_num_queries, monkeypatch):
    with django_assert_num_queries(1):
        add_working_hours(start=local(2024, 9, 30, 9, 0), hours=70)
    with django_assert_num_queries(0):
        add_working_days(start=local(2024, 9, 30, 9, 0), days=15)
        working_hours_between(start=local(2024, 1, 1), end=local(2024, 12, 31))
    # Another process's edit (no signal here) is read once the memory lapses.
    CalendarDay.objects.bulk_create([CalendarDay(date=date(2024, 10, 8), kind=CalendarDay.Kind.HOLIDAY, name="x")])
    assert is_working_day(day=date(2024, 10, 8))
    monkeypatch.setattr(workcalendar, "_rows", LocMemCache("test-calendar", {"TIMEOUT": 0}))
    with django_assert_num_queries(1):
        assert not is_working_day(day=date(2024, 10, 8))


def test_a_limit_longer_than_the_estimate_loads_more_rows_and_stays_right(official):
    # A year of working hours: 251 days of 7 h from the first working moment of 2024.
    end = add_working_hours(start=local(2024, 1, 1), hours=251 * 7)
    assert end == local(2024, 12, 31, 17, 30)


def test_admin_can_add_a_calendar_day_and_it_is_audited(client_for):
    response = client_for("system_admin").post(
        "/admin/core/calendarday/add/", {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date=date(2027, 1, 1), kind="holiday").exists()
    assert AuditEntry.objects.filter(action="admin.calendarday_created").exists()


def test_staff_without_admin_rights_cannot_edit_the_calendar(client_for):
    response = client_for("community_admin").post(
        "/admin/core/calendarday/add/", {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}
    )
    assert response.status_code in (302, 403)
    assert not CalendarDay.objects.filter(date=date(2027, 1, 1)).exists()


# Starts inside working time in 2024: a day of the year and minutes into the working periods.
days_2024 = st.integers(min_value=0, max_value=365).map(lambda n: date(2024, 1, 1) + timedelta(days=n))
minutes_into_work = st.integers(min_value=0, max_value=7 * 60 - 1)


def working_moment(day: date, minutes: int) -> datetime:
    morning = 210  # 08:30-12:00
    start = local(day.year, day.month, day.day, 8, 30) if minutes < morning else local(day.year, day.month, day.day, 14)
    return start + timedelta(minutes=minutes if minutes < morning else minutes - morning)


@property_settings
@given(day=days_2024, minutes=minutes_into_work, hours=st.floats(min_value=0, max_value=300, allow_nan=False))
def test_property_counting_back_gives_the_hours_added(official, day, minutes, hours):
    assume(is_working_day(day=day))
    start = working_moment(day, minutes)
    assert working_hours_between(start=start, end=add_working_hours(start=start, hours=hours)) == pytest.approx(
        hours, abs=1e-6
    )


@property_settings
@given(
    start=st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)),
    hours=st.lists(st.floats(min_value=0, max_value=200, allow_nan=False), min_size=2, max_size=2),
)
def test_property_more_hours_never_end_earlier(official, start, hours):
    fewer, more = sorted(hours)
    assert start <= add_working_hours(start=start, hours=fewer) <= add_working_hours(start=start, hours=more)
