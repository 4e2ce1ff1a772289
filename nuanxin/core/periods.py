"""Days and periods as the pages, the API and the exports read them from a query string.

One parsing for every list filter and every figures page, so a date means the same
everywhere and a bad one gets the same message at the same field. No domain knowledge here:
callers name their own parameters and apply the days to their own fields.
"""

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the local time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD date, or None when the text is not one."""
    if not _DAY.match(text or ""):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def days_q(field: str, since: date | None, until: date | None) -> Q:
    """Rows whose date `field` lies in `since`..`until`, both included; a bound that is None
    is left open."""
    q = Q()
    if since:
        q &= Q(**{f"{field}__gte": since})
    if until:
        q &= Q(**{f"{field}__lte": until})
    return q


def moments_q(field: str, since: date | None, until: date | None) -> Q:
    """Rows whose timestamp `field` falls on the days `since`..`until` (both included; None
    leaves a bound open), as local midnights, so the timestamp's index serves the filter
    instead of converting every row's time to a date."""
    q = Q()
    if since:
        q &= Q(**{f"{field}__gte": day_start(since)})
    if until:
        q &= Q(**{f"{field}__lt": day_start(until + timedelta(days=1))})
    return q


def filter_period(
    params: Mapping[str, Any], since_key: str = "since", until_key: str = "until"
) -> tuple[date | None, date | None, dict[str, str]]:
    """A list filter's period, both days included and each optional: (since, until, errors).

    `errors` is keyed by the caller's parameter names. A bad date is an error at its own
    parameter and that bound is None; a period ending before it starts is an error at the end
    and the end is dropped, so the list still opens on the start alone.
    """
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for key in (since_key, until_key):
        text = str(params.get(key) or "").strip()
        days[key] = parse_day(text)
        if text and days[key] is None:
            errors[key] = _("Enter a date as YYYY-MM-DD.")
    since, until = days[since_key], days[until_key]
    if since and until and since > until:
        errors[until_key] = _("The end of the period is before its start.")
        until = None
    return since, until, errors


def year_start(day: date) -> date:
    """1 January of `day`'s year."""
    return day.replace(month=1, day=1)


def quarter_start(day: date) -> date:
    """The first day of `day`'s calendar quarter (1 January, 1 April, 1 July, 1 October)."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def parse_period(
    since_text: str | None,
    until_text: str | None,
    *,
    today: date | None = None,
    max_days: int | None = None,
    too_long: str | Promise = "",
    start_of: Callable[[date], date] = year_start,
) -> tuple[date, date]:
    """A figures period from `from` and `to` (YYYY-MM-DD, both included); by default from
    `start_of` the end (the year's first day unless the caller says otherwise) up to today.
    A bad value is a DomainError naming `from` or `to`; with `max_days`, a longer period is
    refused at `from` with the caller's message `too_long`."""
    today = today or timezone.localdate()
    until = parse_day(until_text) if until_text else today
    if until is None:
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field="to")
    since = parse_day(since_text) if since_text else start_of(until)
    if since is None:
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field="from")
    if since > until:
        raise DomainError(_("The start of the period is after its end."), field="from")
    if max_days is not None and (until - since).days + 1 > max_days:
        raise DomainError(str(too_long), field="from")
    return since, until
