"""Model fields for personal data."""

from typing import Any

from django.db import models

from nuanxin.core import crypto


class EncryptedTextField(models.TextField):
    """A text value stored AES-GCM encrypted; Python code sees the plaintext.

    It cannot be filtered or ordered on: pair it with a blind-index column for lookups.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))
