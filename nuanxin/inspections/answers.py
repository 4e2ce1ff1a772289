"""Checking a visit's answers against its checklist version, and finding the hazards in them.

One function checks every answer and returns all the problems, keyed by item code, so the
phone page can show each at its item while the action refuses with the first one. Errors
name their field "answers.<item code>" (the API and the page use the same names).
"""

import math
from typing import Any

from django.utils.translation import gettext as _

from nuanxin.core.validators import MARKUP, hidden_character
from nuanxin.inspections.models import Severity

TEXT_MAX = 1000
SEVERITY_RANK: dict[str, int] = {Severity.MINOR: 1, Severity.MAJOR: 2}


def field_name(code: str) -> str:
    return f"answers.{code}"


def check_answers(
    items: list[dict[str, Any]], answers: Any, photo_counts: dict[str, int]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers cleaned, and the problems by item code ("" for the answers as a whole).

    yes_no takes a bool, number an int or float (not a bool, finite), choice one of the
    item's keys, text a string of at most 1000 characters; a photo item is answered by the
    photos given for it (its answer is their number, whatever the client sent). Required
    items must be answered; codes the checklist does not have are refused."""
    if not isinstance(answers, dict):
        return {}, {"": _("The answers must be a set of item codes and answers.")}
    by_code = {item["code"]: item for item in items}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for code in answers:
        if code not in by_code:
            errors[str(code)] = _("This checklist has no item “%(code)s”.") % {"code": str(code)[:40]}
    for code, item in by_code.items():
        label = item["label"]
        if item["kind"] == "photo":
            count = photo_counts.get(code, 0)
            if count:
                clean[code] = count
            elif item.get("required"):
                errors[code] = _("%(item)s: a photo is required.") % {"item": label}
            continue
        value = answers.get(code)
        if value is None or (isinstance(value, str) and not value.strip()):
            if item.get("required"):
                errors[code] = _("%(item)s: please answer.") % {"item": label}
            continue
        problem = _check_one(item, value)
        if problem:
            errors[code] = f"{label}: {problem}"
        else:
            clean[code] = value.strip() if isinstance(value, str) else value
    return clean, errors


def _check_one(item: dict[str, Any], value: Any) -> str:
    kind = item["kind"]
    if kind == "yes_no":
        return "" if isinstance(value, bool) else _("answer yes or no.")
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        return "" if ok else _("enter a number.")
    if kind == "choice":
        keys = [choice["key"] for choice in item.get("choices", [])]
        return "" if isinstance(value, str) and value in keys else _("pick one of the offered answers.")
    if kind == "text":
        if not isinstance(value, str):
            return _("enter text.")
        if len(value.strip()) > TEXT_MAX:
            return _("at most %(n)d characters.") % {"n": TEXT_MAX}
        if MARKUP.search(value) or hidden_character(value) is not None:
            return _("plain text only, without control or text-direction characters.")
        return ""
    return _("unknown kind of item.")


def is_hazard(item: dict[str, Any], value: Any) -> bool:
    """Whether a (clean) answer meets the item's hazard rule; unanswered is never a hazard."""
    rule = item.get("hazard")
    if not rule or value is None:
        return False
    if item["kind"] in ("yes_no", "choice"):
        return value in rule.get("when", [])
    if item["kind"] == "number":
        below, above = rule.get("below"), rule.get("above")
        return (below is not None and value < below) or (above is not None and value > above)
    return False


def hazards_in(items: list[dict[str, Any]], answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The items whose answers are hazards, as {"item", "label", "answer", "severity"}."""
    return [
        {
            "item": item["code"],
            "label": item["label"],
            "answer": answers[item["code"]],
            "severity": item["hazard"]["severity"],
        }
        for item in items
        if item["code"] in answers and is_hazard(item, answers[item["code"]])
    ]


def worst(severities: list[str]) -> str:
    return max(severities, key=lambda s: SEVERITY_RANK.get(s, 0))
