"""Uploads: pictures stored without what could unmask the citizen, bombs and huge bodies refused."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

from feedback.models import Attachment, SubmissionDraft
from tests.feedback.test_web_journey import NEW, form_data, png

pytestmark = pytest.mark.django_db


def jpeg_from_a_phone() -> bytes:
    """A portrait photo as phones write it: landscape pixels, EXIF orientation 6 (turn 90°),
    camera make and model, a GPS position, and a comment."""
    image = Image.new("RGB", (40, 20), "red")
    image.paste((0, 0, 255), (0, 0, 10, 20))  # a blue strip on the left, to see the rotation
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Tecno"
    exif[ExifTags.Base.Model] = "Spark 10"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (6.0, 48.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (39.0, 17.0, 10.0),
    }
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"Home of Amina, Kariakoo")
    return buffer.getvalue()


def bomb_png(side: int = 30_000) -> bytes:
    """About 109 KB on the wire that claims side x side pixels (900 million for 30 000)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte and one bit per pixel, all black
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def stored_image(attachment: Attachment) -> Image.Image:
    with attachment.file.open("rb") as stored:
        data = stored.read()
    assert attachment.size == len(data)
    return Image.open(io.BytesIO(data))


def test_a_photo_is_stored_without_gps_camera_or_comment_and_the_right_way_up(client):
    original = jpeg_from_a_phone()
    assert b"Tecno" in original and b"Kariakoo" in original
    upload = SimpleUploadedFile("IMG_0042.jpg", original, "image/jpeg")
    assert client.post(NEW, form_data(files=[upload])).status_code == 302
    stored = stored_image(Attachment.objects.get())
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}  # no camera, no orientation, no GPS pointer
    assert not set(stored.info) & {"exif", "comment", "icc_profile", "xmp"}
    with stored:
        assert stored.size == (20, 40)  # orientation applied before the tag was dropped
        # The blue strip that was on the left is at the top once turned.
        assert stored.getpixel((10, 2))[2] > 200 and stored.getpixel((10, 37))[0] > 200


def test_a_png_keeps_its_transparency_but_not_its_text_or_colour_profile(client):
    image = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    info = PngInfo()
    info.add_text("Author", "Amina Juma")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info, icc_profile=b"\0" * 128)
    upload = SimpleUploadedFile("screen.png", buffer.getvalue(), "image/png")
    assert client.post(NEW, form_data(files=[upload])).status_code == 302
    stored = stored_image(Attachment.objects.get())
    assert stored.format == "PNG" and stored.mode == "RGBA"
    assert "Author" not in stored.info and "icc_profile" not in stored.info
    assert stored.getpixel((0, 0))[3] == 0


def test_a_decompression_bomb_is_refused_with_the_form_kept(client):
    bomb = bomb_png()
    assert len(bomb) < 120_000
    upload = SimpleUploadedFile("meter.png", bomb, "image/png")
    response = client.post(NEW, form_data(files=[upload]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "“meter.png” has too many pixels; photos may have at most 40 million." in html
    assert "Bili ya mwezi Machi ni mara mbili ya kawaida." in html  # what was typed is kept
    assert not Attachment.objects.exists()


def test_pictures_are_capped_by_the_pixel_setting(client, settings):
    settings.ATTACHMENT_MAX_PIXELS = 63  # the 8 x 8 test picture has 64
    response = client.post(NEW, form_data(files=[png()]))
    assert response.status_code == 400
    assert "has too many pixels" in response.content.decode()
    settings.ATTACHMENT_MAX_PIXELS = 64
    assert client.post(NEW, form_data(files=[png()])).status_code == 302


def test_a_truncated_photo_is_refused_not_a_server_error(client):
    upload = SimpleUploadedFile("cut.jpg", jpeg_from_a_phone()[:-200], "image/jpeg")
    response = client.post(NEW, form_data(files=[upload]))
    assert response.status_code == 400
    assert "is not a photo (JPEG, PNG, WebP) or a PDF document" in response.content.decode()


def test_a_body_over_the_limit_is_answered_413_without_being_read(client, settings):
    settings.REQUEST_BODY_MAX_BYTES = 50_000

    def big():
        return SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n" + b"0" * 60_000, "application/pdf")

    response = client.post(NEW, form_data(files=[big()]))
    assert response.status_code == 413
    assert "may be at most 48.8" in response.content.decode()
    assert not SubmissionDraft.objects.exists()  # the view never ran
    response = client.post("/sw/feedback/new/", form_data(files=[big()]))
    assert response.status_code == 413 and 'lang="sw"' in response.content.decode()
