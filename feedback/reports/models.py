"""A derived, unchained table of per-case working-day facts that the reports aggregate.

Derived, not a record: every value here follows from the chained facts (the case row and its
history) and `rebuild_case_timings` writes it again from them. It is kept out of the audit
chain on purpose, so adding a column here never changes the digests of old history rows.
Imported by feedback/models.py so Django registers it in the feedback app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseTiming(models.Model):
    """Working days a case took, counted once, when the fact happened (feedback.sla)."""

    case = models.OneToOneField(
        "feedback.Case",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="timing",
        verbose_name=_("case"),
    )
    # Working days from submission to the first acknowledgement / first resolution.
    acknowledge_days = models.PositiveIntegerField(null=True, blank=True)
    resolve_days = models.PositiveIntegerField(null=True, blank=True)
    # Interim replies whose promised date the case's next resolution met.
    interim_replies_kept = models.PositiveSmallIntegerField(default=0)
    # Dates promised by interim replies not yet settled by a resolution (ISO 8601 strings).
    promises_pending = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("case timing")
        verbose_name_plural = _("case timings")

    def __str__(self) -> str:
        return f"{self.case_id}"
