"""The GeoReport v2 wire format: answers in XML or JSON with the spec's element names, errors
as a list of {code, description}, and the checks on what clients send.

XML and JSON are built from the same Python values: a list answer is a top-level JSON array
and an XML root element holding one element per item; a value of None is left out of XML
and is null in JSON; booleans are true/false; datetimes are ISO 8601 with their offset.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# XML list elements and the name of each item in them.
ITEM_TAG = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
WINDOW = timedelta(days=90)
MAX_ROWS = 1000
# Characters XML 1.0 cannot carry, and no text field here needs.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


@dataclass
class Open311Error(Exception):
    """An error answer: the HTTP status and the descriptions (one per problem)."""

    status: int
    descriptions: list[str]

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions)
        self.status = status
        self.descriptions = list(descriptions)


def iso(value: datetime | None) -> str | None:
    """W3C datetime with offset, in the installation's time zone (e.g. 2024-07-01T09:30:00+08:00)."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value is not None else None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _CONTROL.sub("", str(value))


def _xml(tag: str, value: Any, out: list[str]) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        out.append(f"<{tag}>")
        for key, child in value.items():
            _xml(key, child, out)
        out.append(f"</{tag}>")
    elif isinstance(value, list):
        out.append(f"<{tag}>")
        for item in value:
            _xml(ITEM_TAG.get(tag, "item"), item, out)
        out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>{escape(_text(value))}</{tag}>")


def _clean_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    return value


def render(fmt: str, root: str, data: Any, *, item: str | None = None, status: int = 200) -> HttpResponse:
    """One answer. `data` is a list (rendered as <root><item>…</item>…</root>) or a dict
    (rendered as <root>…</root>)."""
    if fmt == "json":
        body = json.dumps(_clean_json(data), ensure_ascii=False)
    else:
        out = ['<?xml version="1.0" encoding="utf-8"?>']
        if isinstance(data, list):
            out.append(f"<{root}>")
            for row in data:
                _xml(item or "item", row, out)
            out.append(f"</{root}>")
        else:
            _xml(root, data, out)
        body = "".join(out)
    return HttpResponse(body.encode(), status=status, content_type=CONTENT_TYPES[fmt])


def render_error(fmt: str, error: Open311Error) -> HttpResponse:
    errors = [{"code": error.status, "description": d} for d in error.descriptions]
    return render(fmt, "errors", errors, item="error", status=error.status)


# What clients send


def text_param(params: Any, name: str, *, limit: int, required: bool = False) -> str:
    """A single text parameter: trimmed, at most `limit` characters, no control characters.
    An empty value counts as absent (the spec's "optional arguments")."""
    values = params.getlist(name)
    if len(values) > 1:
        raise Open311Error(400, _("%(name)s: give it once.") % {"name": name})
    value = (values[0] if values else "").strip()
    if not value:
        if required:
            raise Open311Error(400, _("%(name)s: this parameter is required.") % {"name": name})
        return ""
    if len(value) > limit:
        raise Open311Error(400, _("%(name)s: at most %(n)d characters.") % {"name": name, "n": limit})
    if _CONTROL.search(value.replace("\t", " ").replace("\n", " ").replace("\r", " ")):
        raise Open311Error(400, _("%(name)s: contains control characters.") % {"name": name})
    return value


def float_param(params: Any, name: str) -> float | None:
    value = text_param(params, name, limit=40)
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(400, _("%(name)s: not a number.") % {"name": name}) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise Open311Error(400, _("%(name)s: not a number.") % {"name": name})
    return number


def list_param(params: Any, name: str, *, limit: int = MAX_ROWS) -> list[str]:
    """A comma-separated list (possibly given several times)."""
    items: list[str] = []
    for value in params.getlist(name):
        if len(value) > 40 * limit:
            raise Open311Error(400, _("%(name)s: too long.") % {"name": name})
        items += [v.strip() for v in value.split(",") if v.strip()]
    if len(items) > limit:
        raise Open311Error(400, _("%(name)s: at most %(n)d values.") % {"name": name, "n": limit})
    return items


def datetime_param(params: Any, name: str, *, end: bool = False) -> datetime | None:
    """A W3C datetime. A date alone means the start of that day (or its end for end_date); a
    datetime without an offset is taken in the installation's time zone. A '+' sent unencoded
    (so arriving as a space) before the offset is forgiven."""
    value = text_param(params, name, limit=40)
    if not value:
        return None
    value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value)
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            if day is not None:
                parsed = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise Open311Error(400, _("%(name)s: use a W3C datetime such as 2024-07-01T00:00:00+08:00.") % {"name": name})
    if timezone.is_naive(parsed):
        try:
            parsed = timezone.make_aware(parsed)
        except (ValueError, OverflowError):
            raise Open311Error(400, _("%(name)s: out of range.") % {"name": name}) from None
    return parsed


def window(params: Any) -> tuple[datetime, datetime]:
    """The start_date/end_date window: the last 90 days by default, 90 days after start_date or
    before end_date when only one is given, and never more than 90 days."""
    start = datetime_param(params, "start_date")
    end = datetime_param(params, "end_date", end=True)
    try:
        if start is None and end is None:
            end = timezone.now()
            start = end - WINDOW
        elif start is None:
            assert end is not None
            start = end - WINDOW
        elif end is None:
            end = start + WINDOW
    except OverflowError:
        raise Open311Error(400, _("start_date or end_date: out of range.")) from None
    if end < start:
        raise Open311Error(400, _("end_date: comes before start_date."))
    if end - start > WINDOW:
        raise Open311Error(400, _("start_date, end_date: may span at most 90 days."))
    return start, end


def answers_from(params: Any, questions: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """attribute[CODE]=value and attribute[CODE][]=value (multi-value) for the class's
    questions; other attributes are ignored. Types are checked here as far as the spec defines
    them (number, datetime, single vs. multiple values); the rest is report_case's."""
    answers: dict[str, Any] = {}
    for question in questions:
        code = str(question["code"])
        name = f"attribute[{code}]"
        values = [v.strip() for v in params.getlist(name) + params.getlist(name + "[]") if v.strip()]
        if not values:
            continue
        for value in values:
            if len(value) > 500:
                raise Open311Error(400, _("%(name)s: at most %(n)d characters.") % {"name": name, "n": 500})
            if _CONTROL.search(value.replace("\n", " ").replace("\r", " ").replace("\t", " ")):
                raise Open311Error(400, _("%(name)s: contains control characters.") % {"name": name})
        datatype = question.get("datatype", "string")
        if datatype == "multivaluelist":
            answers[code] = values
            continue
        if len(values) > 1:
            raise Open311Error(400, _("%(name)s: give one value.") % {"name": name})
        if datatype == "datetime":
            try:
                ok = parse_datetime(values[0]) is not None or parse_date(values[0]) is not None
            except ValueError:
                ok = False
            if not ok:
                raise Open311Error(400, _("%(name)s: use an ISO 8601 date or datetime.") % {"name": name})
        answers[code] = values[0]
    return answers
