"""The one checklist form of the pages: a visit recorded on the phone (inspections/views.py)
and a campaign's check of a place (volunteers/activities/views.py) post the same fields and
show them through the same template, `inspections/_checklist.html`.

Fields: `a-<code>` an item's answer, `p-<code>` an item's photos (several), `photos` the
visit's photos as a whole, `note`. What was posted is turned into the types the checklist
expects (yes/no into bools, numbers into numbers) and checked by `answers.check_answers`,
the action's own check, so every problem shows at its item before anything is written; a
refusal of the action shows at the item or input it names.
"""

from typing import Any

from nuanxin.core.errors import DomainError
from nuanxin.core.validators import is_ascii_digits
from nuanxin.inspections.answers import check_answers


def _number(raw: str) -> Any:
    try:
        return int(raw) if is_ascii_digits(raw.removeprefix("-")) else float(raw)
    except ValueError:
        return raw  # refused by the checklist check, at its item


class ChecklistForm:
    def __init__(self, items: list[dict[str, Any]], data: Any = None, files: Any = None) -> None:
        self.items = items
        self.data = data
        self.files = files
        # Problems by item code; by input name ("note", "photos", "lng", "form"...) for the rest.
        self.item_errors: dict[str, str] = {}
        self.errors: dict[str, str] = {}

    def answers(self) -> dict[str, Any]:
        """The posted answers as the actions take them; blanks left out."""
        answers: dict[str, Any] = {}
        for item in self.items:
            raw = (self.data.get(f"a-{item['code']}") or "").strip() if self.data is not None else ""
            if item["kind"] == "photo" or not raw:
                continue
            if item["kind"] == "yes_no":
                answers[item["code"]] = {"yes": True, "no": False}.get(raw, raw)
            elif item["kind"] == "number":
                answers[item["code"]] = _number(raw)
            else:
                answers[item["code"]] = raw
        return answers

    def photos(self) -> list[tuple[str, Any]]:
        """(item code, upload) for each item's photos, ("", upload) for the visit's own."""
        if self.files is None:
            return []
        by_item = [
            (i["code"], f) for i in self.items if i["kind"] == "photo" for f in self.files.getlist(f"p-{i['code']}")
        ]
        return by_item + [("", f) for f in self.files.getlist("photos")]

    @property
    def note(self) -> str:
        return str(self.data.get("note", "")) if self.data is not None else ""

    def is_valid(self) -> bool:
        """Checks the answers as the action will; the problems go to their items."""
        counts: dict[str, int] = {}
        for code, _upload in self.photos():
            counts[code] = counts.get(code, 0) + 1
        _clean, problems = check_answers(self.items, self.answers(), counts)
        for code, message in problems.items():
            self._at(code, message)
        return not problems

    def show(self, error: DomainError) -> None:
        """A refusal of the action at the item it names ("answers.<code>"), or at the input."""
        field = "" if error.field in (None, "answers") else str(error.field)
        self._at(field.removeprefix("answers.") if field.startswith("answers.") else "", error.message, field)

    def _at(self, code: str, message: str, field: str = "") -> None:
        if code and any(item["code"] == code for item in self.items):
            self.item_errors[code] = message
        else:
            self.errors[field or "form"] = message

    def rows(self) -> list[dict[str, Any]]:
        """The items as the template shows them: each with what was posted, its problem, and
        for a yes/no item the answer that is a hazard ("yes" or "no"; items are phrased both
        ways, so the page says which, beside the buttons)."""
        return [
            item
            | {
                "value": (self.data.get(f"a-{item['code']}") or "") if self.data is not None else "",
                "error": self.item_errors.get(item["code"], ""),
                "hazard_answer": _hazard_answer(item),
            }
            for item in self.items
        ]


def _hazard_answer(item: dict[str, Any]) -> str:
    when = (item.get("hazard") or {}).get("when") if item.get("kind") == "yes_no" else None
    if not when or len(when) != 1:
        return ""
    return "yes" if when[0] is True else "no"
