"""The database cache table behind the "ratelimit" cache alias (core/ratelimit.py): rate-limit
counters and join codes shared by every worker process. Made here so it exists wherever the
app is migrated (and in tests) without a separate `createcachetable` step."""

from django.core.management import call_command
from django.db import migrations

TABLE = "nuanxin_ratelimit"


def create_table(apps, schema_editor):
    # createcachetable skips a table that exists already.
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_periodicclaim"),
    ]

    operations = [
        migrations.RunPython(create_table, drop_table, elidable=False),
    ]
