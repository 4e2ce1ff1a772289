"""Check the audit log: every entry's MAC and link, and the chain against the signed
checkpoints in NUANXIN_AUDIT_CHECKPOINT_FILE; exits 1 and lists what was tampered with."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.core.audit import CheckpointError, verify_log, write_checkpoint


class Command(BaseCommand):
    help = (
        "Verify the audit log's MAC chain and compare it with the signed checkpoints (detects edited, "
        "removed, inserted or re-signed entries and a cut-off tail)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--checkpoint",
            action="store_true",
            help="when the log is intact, also append a checkpoint of its head (kind 'manual')",
        )

    def handle(self, *args: Any, checkpoint: bool = False, **options: Any) -> None:
        report = verify_log()
        if report.problems:
            for problem in report.problems:
                where = f"entry {problem.entry_id}" if problem.entry_id is not None else "log"
                self.stderr.write(f"{where}: {problem.reason}")
            raise CommandError(f"audit log tampered with: {len(report.problems)} problem(s)")
        if report.checkpoints:
            latest = report.checkpoints[-1]
            self.stdout.write(
                f"audit chain intact: {report.entries} entries; matches {len(report.checkpoints)} checkpoint(s), "
                f"the latest ({latest.kind}, {latest.at}) at entry {latest.last_id}, {latest.count} entries"
            )
        else:
            self.stdout.write(
                f"audit chain intact: {report.entries} entries; no checkpoint yet, so a cut-off tail "
                "would not show (see docs/audit.md)"
            )
        if checkpoint:
            try:
                written = write_checkpoint(kind="manual")
            except CheckpointError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(f"checkpoint written: entry {written.last_id}, {written.count} entries")
