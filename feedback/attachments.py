"""Checking uploaded files by what they contain, not by what they are called."""

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from feedback.models import Attachment


def sniff_type(upload) -> str | None:
    """The MIME type the file's first bytes show, or None when it is none we accept."""
    upload.seek(0)
    head = upload.read(262)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in settings.ATTACHMENT_TYPES:
        return None
    if kind.mime.startswith("image/"):
        try:
            with Image.open(upload) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError):
            return None
        finally:
            upload.seek(0)
    return kind.mime


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
        raise ValidationError(
            _("“%(name)s” is not a photo (JPEG, PNG, WebP) or a PDF document.")
            % {"name": upload.name},
            code="file_type",
        )
    return content_type


def store_upload(upload, content_type: str, **owner) -> Attachment:
    """Save a checked upload under a random name, attached to a draft, case or event."""
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
    attachment = Attachment(
        original_name=name,
        content_type=content_type,
        size=upload.size,
        uploaded_at=timezone.now(),
        **owner,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment
