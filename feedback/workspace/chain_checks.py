"""A check of the audit chain run from the admin: who asked for it, when, and what it found.

Imported by feedback/models.py so Django registers it in the feedback app. Its own history is
chained like every record of the registry, so who ran which check, and its result, cannot be
edited afterwards unnoticed.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from feedback.audit import chained_history


class ChainCheck(models.Model):
    """One run of feedback.audit.verify_chain, asked for by an auditor or an administrator and
    run by a background task (feedback.workspace.audit_tools.run_chain_check)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Could not be completed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="chain_checks",
        verbose_name=_("run by"),
    )
    requested_at = models.DateTimeField(_("asked for at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    # The chain's length when the check started: about how many records it will walk.
    head_seq_at_start = models.BigIntegerField(_("records in the chain at the start"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    intact = models.BooleanField(_("chain intact"), null=True, blank=True)
    checked = models.BigIntegerField(_("records checked"), default=0)
    head_hash = models.CharField(_("head hash"), max_length=64, blank=True)
    problem = models.TextField(_("first break"), blank=True)
    problem_model = models.CharField(_("record type"), max_length=100, blank=True)
    problem_record = models.CharField(_("record id"), max_length=40, blank=True)
    problem_position = models.BigIntegerField(_("chain position"), null=True, blank=True)
    history = chained_history()

    class Meta:
        verbose_name = _("audit chain check")
        verbose_name_plural = _("audit chain checks")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M} {self.state}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
