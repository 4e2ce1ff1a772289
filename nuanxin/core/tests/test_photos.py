"""Photos: content checks, metadata stripping, size caps, random names and safe serving."""

import struct
import zlib
from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from PIL import Image

from nuanxin.core.errors import DomainError
from nuanxin.core.photos import accept_photo, photo_response
from nuanxin.testing import GPS_IFD, gps_exif, image_bytes

ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_bytes(photo):
    with default_storage.open(photo.name, "rb") as handle:
        return handle.read()


def test_gps_and_device_metadata_are_stripped_from_a_jpeg():
    original = image_bytes(exif=gps_exif())
    assert b"GPS" in original and b"NuanxinPhone" in original
    assert Image.open(BytesIO(original)).getexif().get_ifd(GPS_IFD)

    photo = accept_photo(upload(original))

    data = stored_bytes(photo)
    assert b"GPS" not in data and b"NuanxinPhone" not in data and b"Exif" not in data
    stored = Image.open(BytesIO(data))
    assert stored.format == "JPEG" and not stored.getexif() and not stored.getexif().get_ifd(GPS_IFD)
    assert (photo.content_type, photo.width, photo.height, photo.size) == ("image/jpeg", 64, 48, len(data))


def test_png_is_accepted_and_stays_png_with_transparency():
    photo = accept_photo(upload(image_bytes("PNG", mode="RGBA", color=(0, 0, 255, 128)), "a.png", "image/png"))
    stored = Image.open(BytesIO(stored_bytes(photo)))
    assert photo.name.endswith(".png") and photo.content_type == "image/png"
    assert stored.format == "PNG" and stored.mode == "RGBA"


def test_webp_is_accepted_and_stored_as_jpeg_without_metadata():
    photo = accept_photo(upload(image_bytes("WEBP", exif=gps_exif()), "a.webp", "image/webp"))
    data = stored_bytes(photo)
    assert photo.name.endswith(".jpg") and Image.open(BytesIO(data)).format == "JPEG"
    assert b"GPS" not in data


def test_type_is_decided_by_content_not_by_file_name():
    photo = accept_photo(upload(image_bytes("PNG"), "looks-like.jpg", "image/jpeg"))
    assert photo.name.endswith(".png") and photo.content_type == "image/png"


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"%PDF-1.7\n",
        b"",
    ],
)
def test_non_images_are_refused_whatever_their_name(data):
    with pytest.raises(DomainError) as refused:
        accept_photo(upload(data, "holiday.jpg"), field="after_photo")
    assert refused.value.field == "after_photo" and refused.value.code == "photo_type"
    assert not default_storage.exists("photos")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_images_are_refused(fmt):
    data = image_bytes(fmt, size=(300, 200))
    with pytest.raises(DomainError) as refused:
        accept_photo(upload(data[: len(data) // 2]))
    assert refused.value.code == "photo_damaged" and refused.value.field == "photos"


def test_magic_bytes_followed_by_garbage_are_refused():
    with pytest.raises(DomainError) as refused:
        accept_photo(upload(b"\xff\xd8\xff\xe0" + b"<script>" * 50))
    assert refused.value.code == "photo_damaged"


def test_a_photo_over_the_byte_cap_is_refused(settings):
    settings.NUANXIN_PHOTO_MAX_BYTES = 500
    data = image_bytes("JPEG", size=(400, 400))
    assert len(data) > 500
    with pytest.raises(DomainError) as refused:
        accept_photo(upload(data))
    assert refused.value.code == "photo_too_large"


def test_a_photo_whose_declared_size_lies_is_still_capped(settings):
    settings.NUANXIN_PHOTO_MAX_BYTES = 500
    lying = upload(image_bytes("JPEG", size=(400, 400)))
    lying.size = 10
    with pytest.raises(DomainError) as refused:
        accept_photo(lying)
    assert refused.value.code == "photo_too_large"


def png_header_only(width, height):
    """A tiny PNG that claims a huge canvas: the decoder would need width*height*3 bytes."""

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("width", "height"), [(50_000, 50_000), (8_000, 6_000)])
def test_a_pixel_bomb_is_refused_before_decoding(width, height):
    # 50000x50000 trips Pillow's own bomb guard; 8000x6000 (48 MP) is under it but over our 40 MP.
    data = png_header_only(width, height)
    assert len(data) < 200
    with pytest.raises(DomainError) as refused:
        accept_photo(upload(data, "bomb.png", "image/png"))
    assert refused.value.code == "photo_too_large"


def test_exif_orientation_is_applied_and_dropped():
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera was turned: show rotated 90 degrees clockwise
    image = Image.new("RGB", (80, 40), (255, 0, 0))
    image.paste((0, 0, 255), (40, 0, 80, 40))  # right half blue
    buffer = BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=95)

    photo = accept_photo(upload(buffer.getvalue()))

    stored = Image.open(BytesIO(stored_bytes(photo)))
    assert (photo.width, photo.height) == stored.size == (40, 80)
    assert ORIENTATION not in stored.getexif()
    top, bottom = stored.getpixel((20, 10)), stored.getpixel((20, 70))
    assert top[0] > 200 and top[2] < 60  # red (the old left half) is now on top
    assert bottom[2] > 200 and bottom[0] < 60


def test_large_photos_are_downscaled_to_2560_on_the_long_side():
    photo = accept_photo(upload(image_bytes("JPEG", size=(4000, 1000))))
    assert (photo.width, photo.height) == (2560, 640)


def test_stored_names_are_random_and_never_carry_the_users_file_name():
    data = image_bytes()
    first = accept_photo(upload(data, "my-home-address.jpg"))
    second = accept_photo(upload(data, "my-home-address.jpg"))
    assert first.name != second.name
    for photo in (first, second):
        assert "my-home" not in photo.name
        directory, year, month, file_name = photo.name.split("/")
        assert directory == "photos" and len(year) == 4 and len(month) == 2
        assert len(file_name) == len("0" * 32 + ".jpg")


def test_path_tricks_in_the_upload_name_do_not_reach_storage():
    photo = accept_photo(upload(image_bytes(), "../../x.jpg"), subdir="cases/photos")
    assert photo.name.startswith("cases/photos/") and ".." not in photo.name


def test_photo_response_serves_a_stored_photo_privately():
    photo = accept_photo(upload(image_bytes()))
    response = photo_response(photo.name)
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == f'inline; filename="{photo.name.rsplit("/", 1)[1]}"'
    assert body == stored_bytes(photo)


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "photos/2024/07/../../../settings.py",
        "/etc/passwd",
        "photos/2024/07/" + "a" * 32 + ".html",
        "photos/2024/07/" + "a" * 32 + ".jpg",  # well formed but missing
        "",
    ],
)
def test_photo_response_refuses_path_tricks_and_missing_files(name):
    with pytest.raises(Http404):
        photo_response(name)


def test_photo_response_refuses_files_that_are_not_stored_photos(tmp_path):
    (tmp_path / "secret.txt").write_text("not a photo")
    with pytest.raises(Http404):
        photo_response("secret.txt")


def test_a_truncated_image_is_refused_even_after_weasyprint_is_loaded():
    """WeasyPrint switches Pillow's global LOAD_TRUNCATED_IMAGES on when imported."""
    import weasyprint
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as a process that rendered a certificate has it

    assert weasyprint.HTML is not None
    data = image_bytes("JPEG", size=(300, 200))
    try:
        with pytest.raises(DomainError) as refused:
            accept_photo(upload(data[: len(data) // 2]))
        assert refused.value.code == "photo_damaged"
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
