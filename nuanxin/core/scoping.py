"""The one scope mechanism: who may see which rows.

A viewer's `Scope` says, for each permission, which territory subtrees it reaches (a role
held on a node grants its permissions on that node's subtree only), plus the partner units
they speak for and their own user id. Each scoped model declares a `Scoping`
saying how its rows relate to those; `ScopedQuerySet.visible_to(scope)` and
`access.get_in_scope_or_404()` are the only ways views, the API and exports read scoped rows.
Deny by default: a scope with nothing in it sees nothing but public rows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import Lookup, Q, QuerySet

from nuanxin.core.errors import DomainError

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")
# At most this many things built per scope (a client paging through a long list makes a key
# per page): past it, statements are compiled each time again.
KEPT_STATEMENTS = 256


class AnyOf(Lookup):
    """`field__any_of=<query set of one column>`: the value is one of the subquery's.

    The scope's rules are alternatives (through the territory, as owner, as a follower), so a
    scoped filter is an OR of subqueries. PostgreSQL runs `x IN (SELECT …)` inside an OR as a
    filter on every row: a scan of the whole table. Written `x = ANY(ARRAY(SELECT …))`, the
    subquery runs once before the scan and each alternative can use its index (a grid worker's
    cases are found through the grid's index, not among millions). Other databases get IN."""

    lookup_name = "any_of"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        if not rhs.startswith("("):
            rhs = f"({rhs})"
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]
        return f"{lhs} IN {rhs}", [*lhs_params, *rhs_params]


# On every field, and on foreign keys, which keep a lookup table of their own.
models.Field.register_lookup(AnyOf)
models.ForeignObject.register_lookup(AnyOf)


@dataclass(frozen=True)
class Scope:
    user_id: int | None = None
    everything: bool = False
    # permission -> area path prefixes where it holds
    reach: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unit_ids: tuple[int, ...] = ()
    # Why the installation itself acts, for a system scope (`system_scope`); "" for a viewer.
    system: str = ""
    # What was built for this scope: its filters per model and kind (Scoping.q and its parts)
    # and the statements `replayed` keeps. A scope is read-only, and building a filter with its
    # subqueries cost a third of a millisecond per scoped statement, compiling a list's count or
    # page of ids about half a millisecond more. A worker keeps a token's scope for a minute
    # (accounts.token_memory).
    built: dict[tuple[Any, ...], Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def has(self, permission: str) -> bool:
        """Whether the permission holds anywhere (for showing a menu entry or a form)."""
        return self.everything or permission in self.reach

    def paths_for(self, permission: str) -> tuple[str, ...]:
        return ("",) if self.everything else self.reach.get(permission, ())

    def has_at(self, permission: str, path: str) -> bool:
        """Whether the permission holds on the area with this path."""
        return any(path.startswith(p) for p in self.paths_for(permission))

    def replayed(self, key: tuple[Any, ...], run: Callable[[], T], read: Callable[[Any], T]) -> T:
        """What `run()` answers, through one statement compiled once for this scope and `key`:
        the first time `run()` runs and its statement is kept; afterwards the statement runs
        again as it is and `read(cursor)` takes the answer. For a query on this scope's rows
        whose SQL `key` fully decides (no clock, nothing else that varies: the caller names
        every input in the key), read without converters (a count, ids)."""
        statement = self.built.get(key)
        if statement is not None:
            with connection.cursor() as cursor:
                cursor.execute(*statement)
                return read(cursor)
        ran: list[tuple[str, Any]] = []

        def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            ran.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            answer = run()
        if len(ran) == 1 and len(self.built) < KEPT_STATEMENTS:
            self.built[key] = ran[0]
        return answer

    def prepared(
        self, key: tuple[Any, ...], build: Callable[..., QuerySet[Any, Any]], *values: Any
    ) -> list[dict[str, Any]]:
        """The rows of `build(*values)`, a query of values whose changing inputs are `values`
        (a case's id; a box's four sides): compiled once for this scope and `key` with a
        placeholder in each one's place, then run with each call's values and read through the
        compiler's converters (decrypted fields, dates on SQLite), as Django would read them.
        `key` names every other input besides the scope."""
        statement = self.built.get(key)
        if statement is None:
            if len(values) > len(_SLOTS):
                return list(build(*values))
            statement = _Prepared.of(build(*_SLOTS[: len(values)]), len(values))
            if statement is None:  # no statement to keep: the query as it is
                return list(build(*values))
            if len(self.built) < KEPT_STATEMENTS:
                self.built[key] = statement
        return statement.rows(values)

    def q(self, permission: str, lookup: str) -> Q:
        """Rows whose area path (`lookup`) lies under a subtree where `permission` holds."""
        q = Q(pk__in=[])
        for path in self.paths_for(permission):
            q |= Q(**{f"{lookup}__startswith": path})
        return q


def system_scope(reason: str) -> Scope:
    """The scope of the installation acting on its own (a periodic job, a command, the test
    world), which reaches everything: said in the code where it is used, with `reason`. An
    action's scope is never left out: without one, its checks refuse (core.access.check_at)."""
    if not reason:
        raise ValueError("a system scope says why the installation acts")
    return Scope(everything=True, system=reason)


def prepared_rows(
    scope: Scope | None, key: tuple[Any, ...], build: Callable[..., QuerySet[Any, Any]], *values: Any
) -> list[dict[str, Any]]:
    """`scope.prepared(key, build, *values)`, or without a scope (a system caller) the query
    built and run as it is."""
    return scope.prepared(key, build, *values) if scope is not None else list(build(*values))


@dataclass(frozen=True)
class Scoping:
    """How a model's rows relate to a scope.

    permission: what a role needs to see rows through the territory (`area`).
    area: lookup to an area path (e.g. "grid__path"); rows under a reached subtree are seen.
    owner: lookup (or lookups) to a user id; the viewer sees rows they own. A lookup across
        a to-many relation (e.g. "followers__user_id", the users following a case) is
        matched with a subquery on the related table, so a row with several owners is
        still listed once.
    unit: lookup to a place id; partner representatives see their units' rows.
    public: rows any signed-in viewer may see.
    anonymous: the public rows are seen without signing in too (the warm stations a rider
        looks up before having an account).
    """

    permission: str
    area: str | None = None
    owner: str | tuple[str, ...] | None = None
    unit: str | None = None
    public: Q | None = None
    anonymous: bool = False

    @property
    def owners(self) -> tuple[str, ...]:
        if not self.owner:
            return ()
        return (self.owner,) if isinstance(self.owner, str) else tuple(self.owner)

    def q(self, scope: Scope, model: type[models.Model] | None = None) -> Q:
        """Every row the viewer may see: through the territory, as owner, as unit, or public."""
        return _kept(scope, (id(self), model, "q"), lambda: self._q(scope, model))

    def _q(self, scope: Scope, model: type[models.Model] | None) -> Q:
        if not scope.is_authenticated:
            return self.public if (self.anonymous and self.public is not None) else Q(pk__in=[])
        if scope.everything:
            return Q()
        q = self.territory_q(scope, model) | self.owner_q(scope, model)
        if self.unit and scope.unit_ids:
            q |= Q(**{f"{self.unit}__in": scope.unit_ids})
        if self.public is not None:
            q |= self.public
        return q

    def territory_q(self, scope: Scope, model: type[models.Model] | None = None) -> Q:
        """Rows the viewer reaches through the territory only (staff lists).

        An area lookup through a foreign key ("grid__path") becomes "grid in (the reached
        areas)", which the database answers from the foreign key's index instead of joining
        the areas for every row."""
        return _kept(scope, (id(self), model, "territory"), lambda: self._territory_q(scope, model))

    def _territory_q(self, scope: Scope, model: type[models.Model] | None) -> Q:
        if not scope.is_authenticated or not self.area:
            return Q(pk__in=[])
        if scope.everything:
            return Q()
        relation, _sep, rest = self.area.rpartition("__")
        if model is not None and relation and "__" not in relation:
            field = model._meta.get_field(relation)
            if field.many_to_one and field.related_model is not None:
                related: Any = field.related_model
                reached = related._base_manager.filter(scope.q(self.permission, rest)).order_by().values("pk")
                return Q(**{f"{relation}__any_of": reached})
        return scope.q(self.permission, self.area)

    def owner_q(self, scope: Scope, model: type[models.Model] | None = None) -> Q:
        """Rows the viewer owns (e.g. the cases they reported or follow)."""
        return _kept(scope, (id(self), model, "owner"), lambda: self._owner_q(scope, model))

    def _owner_q(self, scope: Scope, model: type[models.Model] | None) -> Q:
        q = Q(pk__in=[])
        if scope.is_authenticated:
            for lookup in self.owners:
                q |= _owned(model, lookup, scope.user_id)
        return q


# Where a prepared statement's changing values go while it is compiled: no id is negative and
# no coordinate this large, and each is exact as an integer and as a float (below 2**53), so a
# float field's parameter still equals its marker.
_SLOTS = tuple(-(2**52) - 7 - n for n in range(64))


@dataclass(frozen=True)
class _Prepared:
    """A compiled query of values, with the positions of its changing parameters."""

    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]
    names: tuple[str, ...]
    compiler: Any
    converters: dict[int, Any]

    @classmethod
    def of(cls, rows: QuerySet[Any, Any], count: int) -> "_Prepared | None":
        compiler = rows.query.get_compiler(rows.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a filter that can match nothing: no statement runs at all
            return None
        params = list(params)
        if any(params.count(marker) != 1 for marker in _SLOTS[:count]):
            return None
        query = rows.query
        names = tuple(query.selected or [*query.extra_select, *query.values_select, *query.annotation_select])
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        slots = tuple(params.index(marker) for marker in _SLOTS[:count])
        return cls(sql, tuple(params), slots, names, compiler, converters)

    def rows(self, values: tuple[Any, ...]) -> list[dict[str, Any]]:
        params = list(self.params)
        for slot, value in zip(self.slots, values, strict=True):
            params[slot] = value
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            found: Any = cursor.fetchall()
        if self.converters:
            found = self.compiler.apply_converters(found, self.converters)
        return [dict(zip(self.names, row, strict=True)) for row in found]


def replayed_count(scope: Scope, key: tuple[Any, ...], rows: Any) -> int:
    """`rows.count()`, its statement compiled once for the scope and `key` (Scope.replayed:
    `key` names every input of the query besides the scope)."""
    return scope.replayed(("count", *key), rows.count, _first_int)


def _first_int(cursor: Any) -> int:
    return int(cursor.fetchone()[0])


def _kept(scope: Scope, key: tuple[Any, ...], build: Callable[[], Q]) -> Q:
    """The scope's filter under `key`, built once. A Q is never changed by the queries that
    use it (they resolve copies of it and of its subqueries), so one object serves them all."""
    q = scope.built.get(key)
    if q is None:
        q = scope.built[key] = build()
    return q  # type: ignore[no-any-return]


def _owned(model: type[models.Model] | None, lookup: str, user_id: int | None) -> Q:
    """Rows owned by the user through `lookup`; across a to-many relation, a subquery."""
    relation, _sep, rest = lookup.partition("__")
    if model is not None and rest:
        field = model._meta.get_field(relation)
        if field.one_to_many:
            related: Any = field.related_model
            back = field.field.name  # type: ignore[union-attr]
            return Q(pk__any_of=related._base_manager.filter(**{rest: user_id}).order_by().values(back))
    return Q(**{lookup: user_id})


class ScopedQuerySet(models.QuerySet[M]):
    def visible_to(self, scope: Scope) -> "ScopedQuerySet[M]":
        """Every row the viewer may see (details, lookups)."""
        scoping: Scoping = self.model.scoping  # type: ignore[attr-defined]
        return self.filter(scoping.q(scope, self.model))

    def reached_by(self, scope: Scope) -> "ScopedQuerySet[M]":
        """The rows the viewer reaches through the territory (staff lists, maps, exports)."""
        scoping: Scoping = self.model.scoping  # type: ignore[attr-defined]
        return self.filter(scoping.territory_q(scope, self.model))

    def owned_by(self, scope: Scope) -> "ScopedQuerySet[M]":
        """The rows the viewer owns ("my reports")."""
        scoping: Scoping = self.model.scoping  # type: ignore[attr-defined]
        return self.filter(scoping.owner_q(scope, self.model))


@overload
def sent_row(rows: QuerySet[M], pk: int, *, field: str, message: str) -> M: ...
@overload
def sent_row(rows: QuerySet[M], pk: int | None, *, field: str, message: str) -> M | None: ...
def sent_row(rows: QuerySet[M], pk: int | None, *, field: str, message: str) -> M | None:
    """The row a payload names by id (`pk`) among `rows`, the query set the caller may choose
    from (scoped where the rows are: `visible_to(scope)`); None when no id was sent. An id
    outside them is bad input, a DomainError naming the field (a 400), whether or not the
    row exists: never a hint of what the caller may not see."""
    if pk is None:
        return None
    found = rows.filter(pk=pk).first()
    if found is None:
        raise DomainError(message, field=field)
    return found
