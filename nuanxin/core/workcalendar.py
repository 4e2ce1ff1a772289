"""Working time: time limits counted in working hours or working days.

A working day is Monday to Friday unless a `CalendarDay` row says otherwise (a holiday takes a
weekday off, a make-up workday puts a weekend day on). Working periods come from the setting
`NUANXIN_WORK_HOURS` (local wall-clock times in `TIME_ZONE`), read on every call.

Every function takes timezone-aware datetimes and returns aware UTC datetimes. The calendar's
rows (a few dozen a year) are loaded whole in one query and kept a short while in each process,
since every report and every step of a case computes a deadline: an edit saved through the
model (the admin) clears them at once in the process that saved it, and the other processes
see it within CALENDAR_SECONDS, as are rows written without signals (bulk_create, a
migration). The tests empty them before each test (nuanxin/conftest.py), so no test reads the
rows of another test's rolled-back transaction.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from nuanxin.core.models import CalendarDay

CALENDAR_SECONDS = 30
_rows = LocMemCache("nuanxin-calendar", {"TIMEOUT": CALENDAR_SECONDS})


def _day_kinds() -> dict[date, str]:
    """Every CalendarDay row as {date: kind}, from the short per-process cache (module docstring)."""
    kinds = _rows.get("kinds")
    if kinds is None:
        kinds = dict(CalendarDay.objects.values_list("date", "kind"))
        _rows.set("kinds", kinds)
    return kinds


@receiver(post_save, sender=CalendarDay)
@receiver(post_delete, sender=CalendarDay)
def forget_calendar(**kwargs: object) -> None:
    """Read the calendar's rows again on the next call (in this process)."""
    _rows.clear()


def _work_periods() -> list[tuple[time, time]]:
    raw = settings.NUANXIN_WORK_HOURS
    try:
        periods = [(time.fromisoformat(start), time.fromisoformat(end)) for start, end in raw]
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"NUANXIN_WORK_HOURS must be [('HH:MM', 'HH:MM'), ...]: {exc}") from exc
    if not periods:
        raise ImproperlyConfigured("NUANXIN_WORK_HOURS needs at least one working period")
    previous_end = time.min
    for start, end in periods:
        if not start < end or start < previous_end:
            raise ImproperlyConfigured("NUANXIN_WORK_HOURS periods must be ordered, non-empty and not overlap")
        previous_end = end
    return periods


def _require_aware(value: datetime, name: str) -> datetime:
    if timezone.is_naive(value):
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


class _Calendar:
    """The calendar for one call: the working periods and the calendar's rows."""

    def __init__(self) -> None:
        self.periods = _work_periods()
        self.tz: tzinfo = timezone.get_default_timezone()
        self.kinds = _day_kinds()

    def is_working_day(self, day: date) -> bool:
        kind = self.kinds.get(day)
        if kind is None:
            return day.weekday() < 5
        return kind == "workday"

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working periods of a day as UTC datetimes (none on a day off)."""
        if not self.is_working_day(day):
            return []
        return [
            (
                datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC),
            )
            for start, end in self.periods
        ]

    def periods_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working time from `moment` on, period by period, the first one clipped to start at `moment`."""
        day = self.local_day(moment)
        while True:
            for start, end in self.periods_on(day):
                if end > moment:
                    yield max(start, moment), end
            day += timedelta(days=1)


def _local_date(moment: datetime) -> date:
    return moment.astimezone(timezone.get_default_timezone()).date()


def is_working_day(*, day: date) -> bool:
    """Whether `day` (a local date) is a working day on the calendar."""
    return _Calendar().is_working_day(day)


def add_working_hours(*, start: datetime, hours: float) -> datetime:
    """The earliest moment by which `hours` working hours have passed since `start`.

    Only time inside the working periods of working days counts, so a start outside working
    time begins counting at the next working period, and a limit that runs out exactly at the
    end of a period ends there (not at the start of the next one). `hours` must be >= 0.
    """
    if not hours >= 0:  # also refuses NaN
        raise ValueError("hours must be zero or more")
    start = _require_aware(start, "start")
    # Whole microseconds keep the sum exact, so working_hours_between gives `hours` back.
    remaining = timedelta(microseconds=round(hours * 3_600_000_000))
    if not remaining:
        return start
    calendar = _Calendar()
    for period_start, period_end in calendar.periods_from(start):
        available = period_end - period_start
        if remaining <= available:
            return period_start + remaining
        remaining -= available
    raise AssertionError("unreachable: periods_from never ends")


def add_working_days(*, start: datetime, days: int) -> datetime:
    """The end of the `days`-th working day after the local day of `start`.

    The deadline is the end of that day's last working period. `days=0` means the end of the
    first working day on or after the start's day. `days` must be >= 0.
    """
    if days < 0:
        raise ValueError("days must be zero or more")
    day = _local_date(_require_aware(start, "start"))
    calendar = _Calendar()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        counted += calendar.is_working_day(day)
    while not calendar.is_working_day(day):  # only when days == 0 and the start's day is off
        day += timedelta(days=1)
    return calendar.periods_on(day)[-1][1]


def working_hours_between(*, start: datetime, end: datetime) -> float:
    """The working hours from `start` to `end`; negative when `end` is before `start`."""
    start, end = _require_aware(start, "start"), _require_aware(end, "end")
    if end < start:
        return -working_hours_between(start=end, end=start)
    first, last = _local_date(start), _local_date(end)
    calendar = _Calendar()
    total = timedelta()
    for offset in range((last - first).days + 1):
        for period_start, period_end in calendar.periods_on(first + timedelta(days=offset)):
            total += max(timedelta(), min(period_end, end) - max(period_start, start))
    return total.total_seconds() / 3600
