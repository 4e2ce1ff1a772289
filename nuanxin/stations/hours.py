"""Opening hours as people type them, parsed once when saved, checked against the clock.

Accepted: "24小时", "24h", "全天" or "00:00-24:00" (open around the clock), and one or more
ranges "HH:MM-HH:MM" separated by commas (",", "，", "、", ";", "；") or spaces. A range may
end after midnight ("18:00-02:00"). Dashes "-", "–", "—", "~", "～" and "至" all mean "to".
Stored as [["09:00", "12:00"], ["14:00", "22:00"]]; around the clock is [["00:00", "24:00"]].
"""

import re
from datetime import datetime, time

from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError

ALL_DAY = [["00:00", "24:00"]]
_ALL_DAY_WORDS = {"24小时", "24h", "全天", "全天候", "24小时营业", "24小时开放"}
_RANGE = re.compile(r"^(\d{1,2})[:：](\d{2})\s*[-–—~～至]\s*(\d{1,2})[:：](\d{2})$")
_SEPARATORS = re.compile(r"[,，、;；\s]+")
MAX_TEXT = 100


def parse_hours(text: str, *, field: str = "opening_hours") -> list[list[str]]:
    """The ranges in `text`, or DomainError naming `field` saying what cannot be read."""
    raw = (text or "").strip()
    if not raw:
        raise DomainError(_("Give the opening hours, e.g. 09:00-22:00 or 24h."), field=field)
    if len(raw) > MAX_TEXT:
        raise DomainError(_("At most %(n)d characters.") % {"n": MAX_TEXT}, field=field)
    if raw.lower().replace(" ", "") in _ALL_DAY_WORDS:
        return [list(r) for r in ALL_DAY]
    ranges: list[list[str]] = []
    # Spaces around a dash belong to the range, not between ranges.
    compact = re.sub(r"\s*([-–—~～至])\s*", r"\1", raw)
    for part in _SEPARATORS.split(compact):
        if not part:
            continue
        match = _RANGE.match(part)
        if match is None:
            raise DomainError(_("“%(part)s” is not a time range like 09:00-22:00.") % {"part": part[:30]}, field=field)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise DomainError(_("“%(part)s” is not a time of day.") % {"part": part[:30]}, field=field)
        start, end = f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"
        if start == end or (start == "00:00" and end == "00:00"):
            raise DomainError(_("“%(part)s” opens and closes at the same time.") % {"part": part}, field=field)
        ranges.append([start, end])
    if not ranges:
        raise DomainError(_("Give the opening hours, e.g. 09:00-22:00 or 24h."), field=field)
    if ["00:00", "24:00"] in ranges:
        return [list(r) for r in ALL_DAY]
    return ranges


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def is_open_at(ranges: list[list[str]], moment: datetime | time) -> bool:
    """Whether a local time of day falls inside one of the ranges (an overnight range counts
    on both sides of midnight)."""
    clock = moment.time() if isinstance(moment, datetime) else moment
    now = clock.hour * 60 + clock.minute
    for start_text, end_text in ranges or []:
        start, end = _minutes(start_text), _minutes(end_text)
        if start < end:
            if start <= now < end:
                return True
        elif now >= start or now < end:  # overnight, e.g. 18:00-02:00
            return True
    return False


def is_all_day(ranges: list[list[str]]) -> bool:
    return ranges == ALL_DAY
