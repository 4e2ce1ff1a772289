"""Django's own INSERT of a model instance, as SQL, for the two places the ORM's save() cannot
go: inside a data-modifying WITH (the audit append, one statement with the chain head's
update on PostgreSQL) and skipping a taken unique key without a savepoint (an idempotency
claim). The SQL is the ORM's, field preparation and encryption included; only the running is
the caller's."""

from typing import Any

from django.db import connection, models
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def insert_sql(obj: models.Model, *, skip_conflict: bool = False) -> tuple[str, tuple[Any, ...]]:
    """The INSERT of every concrete field of `obj` but its id, RETURNING the id: PostgreSQL and
    SQLite (3.35 and later) alike. With `skip_conflict`, a row whose unique key is taken is not
    inserted and nothing is returned (ON CONFLICT DO NOTHING; INSERT OR IGNORE on SQLite)."""
    meta = obj._meta
    query = InsertQuery(type(obj), on_conflict=OnConflict.IGNORE if skip_conflict else None)
    query.insert_values([f for f in meta.concrete_fields if not f.primary_key], [obj])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, params


def inserted(obj: models.Model, pk: Any) -> None:
    """Mark `obj` as the row its INSERT wrote, with the id RETURNING gave, as save() would."""
    obj.pk = pk
    obj._state.adding, obj._state.db = False, connection.alias
