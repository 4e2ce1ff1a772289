"""Audit entries carry a MAC version and the id of the key that signed them.

The entries already in the log were written with a plain SHA-256: they get mac_version 0 and
keep verifying with it (core.audit: only before the first keyed entry). New entries default
to version 1, HMAC-SHA256 under NUANXIN_AUDIT_KEY. Nothing is re-signed here: a migration
must not need the key, and re-signing would vouch for whatever the table holds today.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_rate_limit_cache"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, max_length=16),
        ),
        # Existing rows: 0 (plain SHA-256); then the default for new rows becomes 1 (keyed).
        migrations.AddField(
            model_name="auditentry",
            name="mac_version",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="mac_version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
    ]
