"""Documents an office prints: Word files and PDFs in a Chinese layout (the CJK fonts the
machine installs, scripts/debian-packages.sh), rendered in the site's default language
whatever the viewer chose. The certificate of service hours and a joint meeting's minutes
are written through here."""

from io import BytesIO
from typing import Any

from django.conf import settings

SERIF_FONT = "Noto Serif CJK SC"
SANS_FONT = "Noto Sans CJK SC"


def document_language() -> str:
    """A Chinese document: the site's default language."""
    return str(settings.LANGUAGE_CODE)


def word_document(*, title: str, subject: str = "") -> Any:
    """A new Word document whose text is set in the CJK serif face, with its title."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = SERIF_FONT
    normal.font.size = Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), SERIF_FONT)
    document.core_properties.title = title
    document.core_properties.subject = subject
    return document


def word_bytes(document: Any) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_from_html(html: str) -> bytes:
    """A PDF from a document's HTML (its styles inline; the fonts by name)."""
    from PIL import ImageFile

    strict = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = strict  # WeasyPrint turns it on when imported
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
