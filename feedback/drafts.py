"""Web submissions in progress: abandoned drafts and their uploads are removed after a while."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from feedback.models import Attachment, SubmissionDraft


def purge_stale_drafts(now: datetime | None = None) -> int:
    """Delete drafts untouched for DRAFT_MAX_AGE_DAYS and their stored files; return how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DRAFT_MAX_AGE_DAYS)
    stale = SubmissionDraft.objects.filter(updated_at__lt=cutoff)
    files = list(Attachment.objects.filter(draft__in=stale, case__isnull=True))
    with transaction.atomic():
        count = stale.count()
        stale.delete()  # cascades to the draft's attachment rows
    for attachment in files:
        attachment.file.delete(save=False)
    return count
