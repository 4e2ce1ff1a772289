"""Working time: time limits counted in working hours or working days.

A working day is Monday to Friday unless a `CalendarDay` row says otherwise (a holiday takes a
weekday off, a make-up workday puts a weekend day on). Working periods come from the setting
`NUANXIN_WORK_HOURS` (local wall-clock times in `TIME_ZONE`), read on every call.

Every function takes timezone-aware datetimes and returns aware UTC datetimes. Calendar rows
are loaded with one query per call (rarely a second one when a long limit runs past the
estimated range) and never cached across calls, so an admin's edit counts at once.
"""

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from nuanxin.core.models import CalendarDay

DEFAULT_WORK_HOURS = [("08:30", "12:00"), ("14:00", "17:30")]

# Extra calendar days loaded beyond the estimate, so holidays rarely need a second query.
_SLACK_DAYS = 30


def _work_periods() -> list[tuple[time, time]]:
    raw = getattr(settings, "NUANXIN_WORK_HOURS", DEFAULT_WORK_HOURS)
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


def _daily_hours(periods: list[tuple[time, time]]) -> float:
    return (
        sum(
            (datetime.combine(date.min, end) - datetime.combine(date.min, start)).total_seconds()
            for start, end in periods
        )
        / 3600
    )


def _estimated_last_day(first: date, working_days: float) -> date:
    # Five working days take seven calendar days; the slack covers holiday weeks.
    return first + timedelta(days=math.ceil(working_days * 7 / 5) + _SLACK_DAYS)


class _Calendar:
    """The calendar for one call: the working periods and the rows of a date range.

    The range is loaded in one query; a day outside it loads another stretch.
    """

    def __init__(self, first: date, last: date, periods: list[tuple[time, time]] | None = None) -> None:
        self.periods = periods or _work_periods()
        self.tz: tzinfo = timezone.get_default_timezone()
        self.kinds: dict[date, str] = {}
        self.first, self.last = first, last
        self._load(first, last)

    def _load(self, first: date, last: date) -> None:
        self.kinds.update(CalendarDay.objects.filter(date__gte=first, date__lte=last).values_list("date", "kind"))
        self.first, self.last = min(self.first, first), max(self.last, last)

    def is_working_day(self, day: date) -> bool:
        if day > self.last:
            span = (self.last - self.first).days + 1
            self._load(self.last + timedelta(days=1), max(day, self.last + timedelta(days=span)))
        elif day < self.first:
            self._load(day, self.first - timedelta(days=1))
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
    return _Calendar(day, day).is_working_day(day)


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
    periods = _work_periods()
    first = _local_date(start)
    calendar = _Calendar(first, _estimated_last_day(first, hours / _daily_hours(periods)), periods)
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
    first = _local_date(_require_aware(start, "start"))
    calendar = _Calendar(first, _estimated_last_day(first, days))
    day = first
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
    calendar = _Calendar(first, last)
    total = timedelta()
    for offset in range((last - first).days + 1):
        for period_start, period_end in calendar.periods_on(first + timedelta(days=offset)):
            total += max(timedelta(), min(period_end, end) - max(period_start, start))
    return total.total_seconds() / 3600
