"""One error type for business rules: a translated, user-safe message, optionally tied to a field."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any


class DomainError(Exception):
    """Raised by actions when a rule refuses a change. `field` names the input at fault."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.code = code

    def as_dict(self) -> dict[str, str | None]:
        return {"error": self.message, "field": self.field, "code": self.code}


def renamed_field(field: str | None, names: Mapping[str, str]) -> str | None:
    """`field` as `names` renames it, also as a list entry's field ("parties.0.place")."""
    if not field:
        return field
    if field in names:
        return names[field]
    head, dot, last = field.rpartition(".")
    if dot and head.rpartition(".")[2].isdigit() and last in names:
        return f"{head}.{names[last]}"
    return field


def show_on_form(
    form: Any, error: DomainError, names: Mapping[str, str] | None = None, *, field: str | None = None
) -> None:
    """A refusal on a page's form: at the form field it names (renamed by `names` where the form
    calls it otherwise, or at `field` where the caller worked it out), above the form when the
    form has no such field."""
    field = field or renamed_field(error.field, names or {})
    form.add_error(field if field in form.fields else None, error.message)


@contextmanager
def api_field_names(names: Mapping[str, str]) -> Iterator[None]:
    """The API names its inputs by their JSON keys where the actions name them as models
    ("place" is "place_id"): a DomainError leaving the block names the field the caller sent."""
    try:
        yield
    except DomainError as error:
        error.field = renamed_field(error.field, names)
        raise
