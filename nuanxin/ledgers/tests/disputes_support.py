"""Shared helpers for the dispute tests (not a conftest: the ledger tests live beside them)."""

from datetime import date
from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nuanxin.ledgers.disputes import actions
from nuanxin.ledgers.models import Dispute
from nuanxin.testing import SYSTEM_SCOPE, World

TODAY = date(2024, 6, 14)
RECEIVED = date(2024, 6, 3)
PARTIES = [
    {"kind": "person", "name": "张三丰", "phone": "13812345678"},
    {"kind": "unit", "name": "安居物业公司"},
]


def register(world: World, *, by: Any = None, **extra: Any) -> Dispute:
    """A neighbour dispute in grid 1 received on RECEIVED, unless told otherwise."""
    values: dict[str, Any] = {
        "scope": SYSTEM_SCOPE,
        "kind": "neighbour",
        "summary": "楼上漏水，双方对维修费用有争议",
        "source": "walk_in",
        "grid": world.grid1,
        "received_on": RECEIVED,
        "parties": PARTIES,
        "today": TODAY,
    }
    values |= extra
    return actions.register_dispute(actor=by or world.grid1_worker, **values)


def pdf_bytes(extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        + extra
        + b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def pdf_upload(extra: bytes = b"", name: str = "协议.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(extra), content_type="application/pdf")


def stream(data: bytes) -> BytesIO:
    return BytesIO(data)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
