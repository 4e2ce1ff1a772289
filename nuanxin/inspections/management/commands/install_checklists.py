"""Add the demo checklist templates whose codes are missing (existing ones are kept)."""

from typing import Any

from django.core.management.base import BaseCommand

from nuanxin.inspections.checklists import install_demo_templates


class Command(BaseCommand):
    help = "Install the demo checklist templates (idempotent: only missing templates are added)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"checklist templates added: {install_demo_templates(actor=None)}")
