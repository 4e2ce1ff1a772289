"""Restore a backup made by `manage.py backup`: the database and the media files."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.core.backup import BackupError, nuanxin_version, restore_backup


class Command(BaseCommand):
    help = (
        "Restore the database and the media files from a backup archive. Stop the app servers and the "
        "workers first. Refuses to replace a database that holds data unless --yes is given."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the .tar.gz made by `manage.py backup`")
        parser.add_argument(
            "--yes", action="store_true", help="replace the data already in the database (it is all lost)"
        )

    def handle(self, *args: Any, file: str, yes: bool = False, **options: Any) -> None:
        try:
            result = restore_backup(file, replace_data=yes)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        counts = ", ".join(f"{label} {n}" for label, n in result.counts.items())
        self.stdout.write(f"Restored the {manifest['engine']} database from {file} (made {manifest['created_at']})")
        self.stdout.write(f"  rows: {counts}")
        self.stdout.write(f"  media: {result.media_files} files restored")
        if result.media_left:
            self.stdout.write(
                f"  {len(result.media_left)} media files that are not in the backup were left in place "
                "(no restored record refers to them)"
            )
        made_by, running = manifest.get("nuanxin_version", "unknown"), nuanxin_version()
        if made_by != running:
            self.stderr.write(
                f"The backup was made by nuanxin {made_by}; this is {running}. "
                "Run `manage.py migrate` if this version is newer."
            )
