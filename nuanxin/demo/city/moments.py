"""Moments of the history: a day and its seconds after Beijing midnight as UTC, and the text
a moment's column takes, made without a datetime where millions of rows share few days."""

from datetime import UTC, date, datetime, timedelta, timezone

# Beijing time has no daylight saving: a fixed offset is exact and much faster than zoneinfo.
BEIJING = timezone(timedelta(hours=8))


def moment(value: datetime, *, postgres: bool) -> str:
    """A moment as the text its column takes: ISO 8601 in UTC on PostgreSQL, Django's naive
    UTC text on SQLite. Digests normalise moments the same way, so a row may carry a moment
    as this text or as a datetime. As text it is formatted once for all the columns and rows
    that share it, where COPY would format a datetime each time (about 3 µs)."""
    utc = value.astimezone(UTC)
    return utc.isoformat() if postgres else utc.replace(tzinfo=None).isoformat(" ")


_MIDNIGHTS: dict[date, datetime] = {}


def dt(day: date, seconds: int) -> datetime:
    """A moment of a day given in seconds after Beijing midnight, as UTC."""
    midnight = _MIDNIGHTS.get(day)
    if midnight is None:
        midnight = _MIDNIGHTS[day] = datetime(day.year, day.month, day.day, tzinfo=BEIJING).astimezone(UTC)
    return midnight + timedelta(seconds=seconds)


# (day, days it moves in UTC, PostgreSQL?) -> the text before and after a moment's time of day
_MOMENT_PARTS: dict[tuple[date, int, bool], tuple[str, str]] = {}
_BEIJING_SECONDS = 8 * 3600


def moment_at(day: date, seconds: int, *, postgres: bool) -> str:
    """moment(dt(day, seconds), postgres=postgres) without making a datetime: its text
    from the UTC day's, made once (a visit has three such moments, a city millions)."""
    shift, rest = divmod(seconds - _BEIJING_SECONDS, 86400)
    parts = _MOMENT_PARTS.get((day, shift, postgres))
    if parts is None:
        utc_day = (day + timedelta(days=shift)).isoformat()
        parts = _MOMENT_PARTS[day, shift, postgres] = (utc_day + "T", "+00:00") if postgres else (utc_day + " ", "")
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{parts[0]}{hours:02d}:{minutes:02d}:{seconds:02d}{parts[1]}"
