"""Add the starting case catalogue where its codes are missing (renamed rows are kept)."""

from typing import Any

from django.core.management.base import BaseCommand

from nuanxin.cases.catalogue import install_catalogue


class Command(BaseCommand):
    help = "Install the starting case catalogue (idempotent: only missing classes are added)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"case classes added: {install_catalogue(actor=None)}")
