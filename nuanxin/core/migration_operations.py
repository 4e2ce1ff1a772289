"""Operations that the apps' hand-written migrations share."""

from typing import Any

from django.db import migrations, router

Statements = dict[str, list[str]]  # database vendor -> its statements


class RunSQLByVendor(migrations.RunSQL):
    """RunSQL with statements per database vendor (postgresql, sqlite)."""

    def __init__(self, sql: Statements, reverse_sql: Statements) -> None:
        super().__init__(sql=[], reverse_sql=[])
        self.by_vendor, self.reverse_by_vendor = sql, reverse_sql

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__qualname__, [self.by_vendor, self.reverse_by_vendor], {}

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self._run(app_label, schema_editor, self.by_vendor)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self._run(app_label, schema_editor, self.reverse_by_vendor)

    def _run(self, app_label: str, schema_editor: Any, statements: Statements) -> None:
        if router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            for statement in statements[schema_editor.connection.vendor]:
                schema_editor.execute(statement, params=None)


def drop_indexes(dropped: list[tuple[str, str, str]], renamed: list[tuple[str, str, str, str]]) -> RunSQLByVendor:
    """Drop the foreign-key indexes `dropped` [(table, column, index)] that another index
    covers, and for each of `renamed` [(table, column, db_index index, Meta index)] the
    varchar_pattern_ops twin PostgreSQL made beside a db_index index, renaming the plain one to
    its Meta name in place (SQLite cannot rename an index: there it is built anew)."""
    sql: Statements = {"postgresql": [], "sqlite": []}
    reverse_sql: Statements = {"postgresql": [], "sqlite": []}
    for table, column, index in dropped:
        for vendor in sql:
            sql[vendor].append(f'DROP INDEX "{index}";')
            reverse_sql[vendor].append(f'CREATE INDEX "{index}" ON "{table}" ("{column}");')
    for table, column, old, new in renamed:
        sql["postgresql"] += [f'DROP INDEX "{old}_like";', f'ALTER INDEX "{old}" RENAME TO "{new}";']
        reverse_sql["postgresql"] += [
            f'ALTER INDEX "{new}" RENAME TO "{old}";',
            f'CREATE INDEX "{old}_like" ON "{table}" ("{column}" varchar_pattern_ops);',
        ]
        sql["sqlite"] += [f'DROP INDEX "{old}";', f'CREATE INDEX "{new}" ON "{table}" ("{column}");']
        reverse_sql["sqlite"] += [f'DROP INDEX "{new}";', f'CREATE INDEX "{old}" ON "{table}" ("{column}");']
    return RunSQLByVendor(sql, reverse_sql)
