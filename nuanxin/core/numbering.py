"""Record numbers: a prefix and a zero-padded sequence (JF202400001, HD202400001, ZG202400001).

One counting for every register. The caller chooses the rows (and whether to lock them with
`select_for_update()`) and keeps its own retry on IntegrityError: the number's unique index
is what finally refuses a number taken at the same moment.
"""

from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Length


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
