"""Bulk loads on PostgreSQL: a table's secondary indexes and constraints dropped for the load
and built again after it, in one pass each, instead of being kept up to date row by row."""

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models

# Told, per table, the indexes and constraints built again and the seconds it took.
Rebuilt = Callable[[type[models.Model], int, int, float], None]


@contextmanager
def without_indexes(tables: Sequence[type[models.Model]], *, rebuilt: Rebuilt | None = None) -> Iterator[None]:
    """Load `tables` without their secondary indexes, unique and foreign-key constraints, and
    build them again at the end, inside the caller's transaction (a failure rolls the drop
    back too). Unique constraints first (each builds its own index), then the indexes, then
    the foreign keys (each checked in one join over the table). Elsewhere than on PostgreSQL
    nothing is dropped."""
    if connection.vendor != "postgresql" or not tables:
        yield
        return
    saved: list[tuple[type[models.Model], list[str], list[str]]] = []
    with connection.cursor() as cursor:
        _check_deferred_now(cursor)
        for model in tables:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
                " WHERE indrelid = %s::regclass AND NOT indisprimary"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid"
                " AND c.conrelid = indrelid) ORDER BY 1",
                [table],
            )
            indexes = cursor.fetchall()
            quoted = connection.ops.quote_name(table)
            for name, _definition in constraints:
                cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
            saved.append(
                (
                    model,
                    [definition for _name, definition in indexes],
                    [
                        f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
                        for name, definition in constraints
                    ],
                )
            )
    yield
    with connection.cursor() as cursor:
        _check_deferred_now(cursor)
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for model, indexes, constraints in saved:
            started = time.monotonic()
            foreign = [sql for sql in constraints if " FOREIGN KEY " in sql]
            for sql in [sql for sql in constraints if sql not in foreign] + indexes + foreign:
                cursor.execute(sql)
            if rebuilt is not None:
                rebuilt(model, len(indexes), len(constraints), time.monotonic() - started)


def _check_deferred_now(cursor: Any) -> None:
    """Run the foreign-key checks pending in this transaction: PostgreSQL refuses to drop or
    add a constraint touching a table with pending trigger events."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
