"""Types shared by the API schemas.

Every integer a caller sends (a body field, a query or path parameter, an item of a list) is
one of these, so an absurd number is a 422 naming the field instead of an overflow inside the
database driver: the database stores signed 64-bit integers.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import cache, wraps
from typing import Annotated, Any, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Schema, Status
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination
from ninja.renderers import JSONRenderer
from pydantic import AfterValidator

from nuanxin.core.scoping import Scope, replayed_count
from nuanxin.core.validators import DB_INT_MAX, DB_INT_MIN

Q_S = TypeVar("Q_S", bound=QuerySet[Any, Any])

# Any integer the database can store.
DbInt = Annotated[int, Field(ge=DB_INT_MIN, le=DB_INT_MAX)]
# A count, an offset, an amount that cannot be negative.
Count = Annotated[int, Field(ge=0, le=DB_INT_MAX)]
# A database row id: positive.
Id = Annotated[int, Field(ge=1, le=DB_INT_MAX)]


def _local_time(value: time) -> time:
    """A time with a zone ("09:18:12Z") is the same moment in local time (today's offset:
    the service's zone has no daylight saving); a time without one is local already."""
    if value.tzinfo is None:
        return value
    moment = datetime.combine(timezone.localdate(), value)
    return timezone.localtime(moment).time().replace(tzinfo=None)


# A time of day in the service's zone (settings.TIME_ZONE), whether or not the caller sent a zone.
LocalTime = Annotated[time, AfterValidator(_local_time)]


def _moment(value: datetime) -> datetime:
    """A moment as the database stores it, in UTC: one sent without a zone is local time; one
    whose offset the databases cannot hold (PostgreSQL takes at most ±15:59) or that leaves the
    calendar when moved to UTC is refused as out of range, not passed on to fail there."""
    if value.tzinfo is None:
        value = timezone.make_aware(value)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range") from None


# A date and time a caller sends (a filter's bounds), in UTC whatever zone it came with.
Moment = Annotated[datetime, AfterValidator(_moment)]


class BoundedPagination(LimitOffsetPagination):
    """ninja's limit/offset pages with the offset bounded like every other integer."""

    class Input(Schema):
        # ninja reads its page settings (NINJA_PAGINATION_*) once, when it is imported.
        limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=ninja_settings.PAGINATION_MAX_LIMIT)
        offset: Count = 0


_RENDERER = JSONRenderer()  # the NinjaAPI's renderer (nuanxin/api.py keeps ninja's default)


def built_answer(view: Callable[..., Any]) -> Callable[..., Any]:
    """An operation whose answer the server builds itself from its own rows, field by field
    in its schema's order: rendered as it is, without ninja validating it against the
    operation's response schema again (for a page of 50 cases that validation cost as much as
    reading them). The schema still documents the answer, and the fuzzer
    (nuanxin/tests/test_api_fuzz.py) checks every answer against it. Put it above
    `@paginate`, whose schema and parameters it passes on."""

    @wraps(view)
    def answered(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        result = view(request, *args, **kwargs)
        if isinstance(result, HttpResponse):
            return result
        status = 200
        if isinstance(result, Status):
            status, result = result.status_code, result.value
        content = _RENDERER.render(request, result, response_status=status)
        return HttpResponse(content, status=status, content_type=f"{_RENDERER.media_type}; charset={_RENDERER.charset}")

    return answered


@dataclass(frozen=True)
class Rows:
    """What a list operation under `@paginate(RowPages)` returns: its rows (a query set read
    as values, or anything with count() and slices, like cases.queries.Pages) and `answers`,
    which turns the rows of the cut page, all at once, into their answers (so whatever they
    need besides is read once a page)."""

    rows: Any
    answers: Callable[[list[Any]], list[dict[str, Any]]]
    # (scope, key): the rows' count compiled once for the scope (scoping.replayed_count; the
    # key names every input of the rows' query besides the scope).
    kept: tuple[Scope, tuple[Any, ...]] | None = None

    @classmethod
    def each(cls, rows: Any, answer: Callable[[Any], dict[str, Any]]) -> "Rows":
        """Rows whose answers are `answer(row)` for each row of the cut page."""
        return cls(rows=rows, answers=lambda page: [answer(row) for row in page])


def built_once(build: Callable[[], Q_S]) -> Callable[[], Q_S]:
    """The query set `build` makes, made once per process and copied for each use: building
    one that reads a score of columns as values costs half a millisecond, copying it a
    twentieth. Each use gets a fresh copy, so no use sees another's results."""
    built = cache(build)
    return lambda: built().all()


class RowPages(BoundedPagination):
    """Pages of `Rows`: the page is cut first, then only its rows become answers. Put
    `built_answer` above the `@paginate(RowPages)`: the answers are built in the schema's
    field order already."""

    def paginate_queryset(self, queryset: Any, pagination: Any, request: Any, **params: Any) -> Any:
        rows: Rows = queryset  # what the operation returned
        listed: Any = rows.rows if rows.kept is None else _KeptCount(rows.rows, rows.kept)
        page = super().paginate_queryset(listed, pagination, request, **params)
        page["items"] = rows.answers(list(page["items"]))
        return page


@dataclass(frozen=True)
class _KeptCount:
    """Rows whose count is replayed (ninja counts what has no `all()` by its length), and whose
    page, when they are a query set of values, is compiled once for the scope, key and window
    (Scope.prepared); other rows (cases.queries.Pages) keep their own."""

    rows: Any
    kept: tuple[Scope, tuple[Any, ...]]

    def __getitem__(self, window: slice) -> Any:
        if not isinstance(self.rows, QuerySet):
            return self.rows[window]
        scope, key = self.kept
        return scope.prepared(("page", window.start, window.stop, *key), lambda: self.rows[window])

    def __len__(self) -> int:
        return replayed_count(*self.kept, self.rows)
