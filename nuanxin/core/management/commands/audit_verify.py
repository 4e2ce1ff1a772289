"""Check the audit log's hash chain: exits 1 and lists the entries that were tampered with."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.core.audit import verify_chain
from nuanxin.core.models import AuditEntry


class Command(BaseCommand):
    help = "Verify the audit log's hash chain (detects edited, removed or inserted entries)."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = verify_chain()
        if problems:
            for problem in problems:
                self.stderr.write(
                    f"entry {problem.entry_id if problem.entry_id is not None else '-'}: {problem.reason}"
                )
            raise CommandError(f"audit chain broken: {len(problems)} problem(s)")
        self.stdout.write(f"audit chain intact: {AuditEntry.objects.count()} entries")
