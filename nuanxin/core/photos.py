"""Photos from the public: checked by content, re-encoded without metadata, stored under random names.

Every ingestion path (phone page, API, Open311, import) calls `accept_photo`; every page that shows
a photo resolves the owning object through the scope first and then calls `photo_response`.
Reference rows FILE-1, FILE-2, FILE-3 in `reference/anchors-reliability.md`.
"""

import re
import uuid
import warnings
from dataclasses import dataclass
from io import BytesIO
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps

from nuanxin.core.errors import DomainError

MAX_SIDE = 2560
JPEG_QUALITY = 85

# Magic bytes -> (Pillow format, stored extension, stored content type). WebP is stored as JPEG:
# one lossy format is enough, and every browser and office tool opens it.
_JPEG = ("JPEG", ".jpg", "image/jpeg")
_PNG = ("PNG", ".png", "image/png")
_CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}
# Only names this module generates can be served: no "..", no absolute paths, no user file names.
_STORED_NAME = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*/[0-9]{4}/[0-9]{2}/[0-9a-f]{32}\.(jpg|png)$")
_SUBDIR = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*$")


@dataclass(frozen=True)
class StoredPhoto:
    name: str  # the storage name, e.g. "photos/2024/07/3f2a….jpg"; keep it on the owning row
    content_type: str
    width: int
    height: int
    size: int


def _sniff(head: bytes) -> tuple[str, str]:
    """The Pillow format and the input kind named by the file's first bytes, whatever its name says."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG", "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG", "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP", "webp"
    raise ValueError(head[:12])


def _refuse(message: str, field: str, code: str) -> DomainError:
    return DomainError(message, field=field, code=code)


def _open(data: bytes, fmt: str, max_pixels: int, field: str) -> Image.Image:
    """Open and decode the image, refusing too many pixels before any pixel is decoded."""
    damaged = _refuse(_("The photo is damaged or not a complete image."), field, "photo_damaged")
    too_big = _refuse(
        _("A photo may have at most %(mp)d megapixels.") % {"mp": max_pixels // 1_000_000}, field, "photo_too_large"
    )
    # Truncated images are refused: a library that turns Pillow's global switch on (WeasyPrint
    # does, on import) must not make a damaged upload pass.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its own limit, raises) on huge images; both are refusals here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(BytesIO(data), formats=[fmt])  # reads the header only
            width, height = probe.size
            if width * height > max_pixels or width < 1 or height < 1:
                raise too_big
            probe.verify()
            image = Image.open(BytesIO(data), formats=[fmt])  # verify() leaves the image unusable
            image.load()
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except Exception:  # any failure to decode untrusted bytes means "not a valid image"
        raise damaged from None
    return image


def _clean(image: Image.Image, keep_alpha: bool) -> Image.Image:
    """Upright, at most MAX_SIDE on the long side, and a fresh image carrying pixels only (no EXIF,
    GPS, XMP, ICC or text chunks can survive, whatever the encoder would copy from `info`)."""
    image = ImageOps.exif_transpose(image) or image
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if keep_alpha and has_alpha:
        image = image.convert("RGBA")
    elif has_alpha:
        # JPEG has no transparency: flatten onto white rather than letting transparent pixels go black.
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode != "L":
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    fresh = Image.new(image.mode, image.size)
    fresh.paste(image)
    return fresh


def accept_photo(upload: IO[bytes], *, field: str = "photos", subdir: str = "photos") -> StoredPhoto:
    """Check, clean and store one uploaded photo; return what the owning row should keep.

    Accepts JPEG, PNG or WebP recognised by content (the file name and the client's content type are
    ignored), at most NUANXIN_PHOTO_MAX_BYTES (10 MB) and NUANXIN_PHOTO_MAX_PIXELS (40 MP). The stored
    file is re-encoded (PNG stays PNG, JPEG and WebP become JPEG), turned upright by its EXIF
    orientation, stripped of every metadata block and downscaled to 2560 px on the long side. It is
    saved through the default storage as `<subdir>/yyyy/mm/<uuid4 hex>.<ext>`.
    Raises DomainError(field=field) with code photo_type, photo_damaged or photo_too_large.
    """
    if not _SUBDIR.match(subdir):
        raise ValueError(f"bad photo subdir {subdir!r}")
    max_bytes: int = settings.NUANXIN_PHOTO_MAX_BYTES
    max_pixels: int = settings.NUANXIN_PHOTO_MAX_PIXELS
    too_heavy = _refuse(
        _("A photo may be at most %(mb)s MB.") % {"mb": f"{max_bytes / 1024 / 1024:g}"}, field, "photo_too_large"
    )
    declared = getattr(upload, "size", None)
    if declared is not None and declared > max_bytes:
        raise too_heavy
    upload.seek(0)
    data = upload.read(max_bytes + 1)  # never trust the declared size alone
    if len(data) > max_bytes:
        raise too_heavy
    try:
        fmt, kind = _sniff(data[:16])
    except ValueError:
        raise _refuse(_("Only JPEG, PNG or WebP photos are accepted."), field, "photo_type") from None

    image = _open(data, fmt, max_pixels, field)
    out_format, extension, content_type = _PNG if kind == "png" else _JPEG
    clean = _clean(image, keep_alpha=out_format == "PNG")
    buffer = BytesIO()
    if out_format == "PNG":
        clean.save(buffer, "PNG", optimize=True)
    else:
        clean.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    encoded = buffer.getvalue()

    wanted = f"{subdir}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"
    name = default_storage.save(wanted, ContentFile(encoded))
    return StoredPhoto(name=name, content_type=content_type, width=clean.width, height=clean.height, size=len(encoded))


def photo_response(name: str) -> FileResponse:
    """Serve a stored photo. Call it only after the view has resolved the owning object in scope.

    `name` must be a name `accept_photo` produced; anything else (path tricks, absolute paths,
    other files) and missing files are a 404. The answer is private, never cached, never sniffed.
    """
    if not _STORED_NAME.match(name or ""):
        raise Http404
    extension = name[name.rfind(".") :]
    if not default_storage.exists(name):
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    # The type follows from the extension accept_photo chose; the upload's claimed type never counts.
    response = FileResponse(handle, content_type=_CONTENT_TYPES[extension], filename=name.rsplit("/", 1)[1])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
