"""Record numbers: a prefix and a zero-padded sequence (JF202400001, HD202400001, ZG202400001).

One counting for every register (`next_in_sequence`: the caller chooses the rows, and whether
to lock them with `select_for_update()`), and one way to create a numbered row
(`create_numbered`): the number's unique index is what finally refuses a number taken at the
same moment, and the row is then made again with the next one.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError

M = TypeVar("M", bound=models.Model)


def next_in_sequence(rows: QuerySet[Any], prefix: str, *, field: str = "number", width: int = 5) -> str:
    """The number after the highest one in `rows` that starts with `prefix` (the first is 1).

    Longest first, so a sequence that outgrows `width` digits (…99999, …100000) still counts
    on instead of sorting back among the shorter numbers."""
    last = (
        rows.filter(**{f"{field}__startswith": prefix})
        .order_by(Length(field).desc(), f"-{field}")
        .values_list(field, flat=True)
        .first()
    )
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:0{width}d}"


def create_numbered(model: type[M], number: Callable[[], str], *, attempts: int = 5, **values: Any) -> M:
    """`model.objects.create(number=number(), **values)`, in a savepoint, taking the next
    number when a concurrent writer took this one first (the unique index refuses the second).
    After `attempts` refusals the writer is asked to try again (DomainError, code "stale"),
    never shown a database error."""
    for _attempt in range(attempts):
        try:
            with transaction.atomic():
                return model.objects.create(number=number(), **values)  # type: ignore[attr-defined]
        except IntegrityError:
            continue
    raise DomainError(_("Please try again."), code="stale")
