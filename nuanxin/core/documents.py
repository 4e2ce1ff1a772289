"""Signed documents (a dispute's agreement, a co-building pact): a PDF or a photo of the paper,
recognised by content, stored under a random name, served so that the browser runs nothing.

A photo goes through core.photos (re-encoded, metadata stripped). A PDF must start with
`%PDF-`, end with `%%EOF`, hold no active content (JavaScript, launch actions, embedded files,
forms) and weigh at most NUANXIN_AGREEMENT_MAX_BYTES (10 MB); it is stored as sent under
`<subdir>/yyyy/mm/<uuid4 hex>.pdf`, never under the user's file name. Every page that serves
one resolves the owning object through the scope first and then calls `document_response`.
"""

import re
import uuid
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError
from nuanxin.core.photos import accept_photo, photo_response

PDF_CONTENT_TYPE = "application/pdf"
# Only names accept_document generates for a PDF can be served.
STORED_PDF = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*/[0-9]{4}/[0-9]{2}/[0-9a-f]{32}\.pdf$")
# Names in a PDF that run code or carry other files: such a document is refused.
_PDF_ACTIVE = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/XFA")


@dataclass(frozen=True)
class StoredDocument:
    name: str  # keep it on the owning row, with the content type
    content_type: str


def _sniff_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def accept_document(upload: IO[bytes], *, field: str, subdir: str) -> StoredDocument:
    """Check and store a signed document, or refuse it naming `field` (codes document_type,
    document_damaged, document_too_large, or a photo's own)."""
    max_bytes: int = settings.NUANXIN_AGREEMENT_MAX_BYTES
    too_heavy = DomainError(
        _("A document may be at most %(mb)s MB.") % {"mb": f"{max_bytes / 1024 / 1024:g}"},
        field=field,
        code="document_too_large",
    )
    declared = getattr(upload, "size", None)
    if declared is not None and declared > max_bytes:
        raise too_heavy
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_heavy
    if not _sniff_pdf(data):
        upload.seek(0)
        try:
            photo = accept_photo(upload, field=field, subdir=subdir)
        except DomainError as error:
            if error.code == "photo_type":
                raise DomainError(
                    _("The document must be a PDF or a photo (JPEG, PNG or WebP)."), field=field, code="document_type"
                ) from None
            raise
        return StoredDocument(name=photo.name, content_type=photo.content_type)
    if b"%%EOF" not in data[-2048:]:
        raise DomainError(_("The PDF is damaged or incomplete."), field=field, code="document_damaged")
    if any(marker in data for marker in _PDF_ACTIVE):
        raise DomainError(
            _("The PDF holds scripts, forms or attached files; print it to a plain PDF or photograph it."),
            field=field,
            code="document_type",
        )
    wanted = f"{subdir}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"
    name = default_storage.save(wanted, ContentFile(data))
    return StoredDocument(name=name, content_type=PDF_CONTENT_TYPE)


def document_response(name: str, *, filename: str) -> HttpResponseBase:
    """Serve a stored document: a photo through core.photos, a PDF as a download named
    `filename` that the browser may not run (attachment, sandboxed, never sniffed or cached)."""
    if not name.endswith(".pdf"):
        return photo_response(name)
    if not STORED_PDF.match(name) or not default_storage.exists(name):
        raise Http404
    response = FileResponse(
        default_storage.open(name, "rb"), content_type=PDF_CONTENT_TYPE, as_attachment=True, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox"
    return response
