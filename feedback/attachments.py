"""Checking uploaded files by what they contain, not by what they are called, and storing
pictures without the metadata (camera, GPS position, time) that could unmask a citizen."""

import io

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from feedback.models import Attachment

# Pillow's format name for each picture type we accept, and how each is written back.
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
SAVE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}, "PNG": {}}
# What a re-encoded picture keeps from its source's info: only what draws the pixels.
KEPT_IMAGE_INFO = ("transparency",)


def sniff_type(upload) -> str | None:
    """The MIME type the file's first bytes show, or None when it is none we accept."""
    upload.seek(0)
    head = upload.read(262)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in settings.ATTACHMENT_TYPES:
        return None
    return kind.mime


def check_image(upload) -> None:
    """Refuse a picture that does not decode, or whose pixels would exhaust memory.

    The size comes from the header, before any pixel is decoded: a small file can claim a
    picture of hundreds of millions of pixels (a decompression bomb).
    """
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            too_large = image.width * image.height > settings.ATTACHMENT_MAX_PIXELS
            if not too_large:
                image.load()
    except Image.DecompressionBombError:  # Pillow's own, far higher, limit
        too_large = True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _not_accepted(upload) from error
    finally:
        upload.seek(0)
    if too_large:
        raise ValidationError(
            _("“%(name)s” has too many pixels; photos may have at most %(limit)s million.")
            % {"name": upload.name, "limit": settings.ATTACHMENT_MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        )


def _not_accepted(upload) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is not a photo (JPEG, PNG, WebP) or a PDF document.") % {"name": upload.name},
        code="file_type",
    )


def validate_upload(upload) -> str:
    """Return the file's real content type, or raise a ValidationError a citizen understands."""
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
            % {
                "name": upload.name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
            },
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": upload.name}, code="empty")
    content_type = sniff_type(upload)
    if content_type is None:
        raise _not_accepted(upload)
    if content_type in IMAGE_FORMATS:
        check_image(upload)
    return content_type


def without_metadata(upload, content_type: str) -> ContentFile:
    """The picture alone, written afresh in its own format: no EXIF (camera, GPS position,
    time), XMP, ICC profile or comment survives. The EXIF orientation is applied first, so the
    photo still stands the right way up without it. Only the first frame of an animation is
    kept. Call after check_image, which refused what would not decode."""
    upload.seek(0)
    with Image.open(upload) as source:
        image = ImageOps.exif_transpose(source)
    upload.seek(0)
    image.info = {key: value for key, value in image.info.items() if key in KEPT_IMAGE_INFO}
    buffer = io.BytesIO()
    image_format = IMAGE_FORMATS[content_type]
    image.save(buffer, format=image_format, **SAVE_OPTIONS[image_format])
    return ContentFile(buffer.getvalue())


def store_upload(upload, content_type: str, **owner) -> Attachment:
    """Save a checked upload under a random name, attached to a draft, case or event; pictures
    are stored re-encoded without their metadata, PDFs as they came."""
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
    content = without_metadata(upload, content_type) if content_type in IMAGE_FORMATS else upload
    attachment = Attachment(
        original_name=name,
        content_type=content_type,
        size=content.size,
        uploaded_at=timezone.now(),
        **owner,
    )
    attachment.file.save(name, content, save=False)
    attachment.save()
    return attachment
