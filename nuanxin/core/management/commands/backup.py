"""Back up the database and the media files into one .tar.gz (see nuanxin/core/backup.py)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup or pg_dump) and the media files into one .tar.gz; "
        "safe while the app is serving."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--output",
            default=None,
            help="a directory (a timestamped file is made in it) or the archive's file name; default var/backups/",
        )

    def handle(self, *args: Any, output: str | None = None, **options: Any) -> None:
        try:
            result = create_backup(output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        counts = ", ".join(f"{label} {n}" for label, n in manifest["counts"].items())
        self.stdout.write(f"Backup written to {result.path}")
        self.stdout.write(
            f"  {manifest['engine']} database ({counts}); {manifest['media_files']} media files; "
            f"version {manifest['nuanxin_version']}"
        )
