"""The registry's domain: institutions, their services and charters, and the staff serving them."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from feedback.audit import AuditChainHead, PublishedChainHead, chained_history
from feedback.channels.phones import phone_digest
from feedback.encryption import EncryptedJSONField, EncryptedTextField, email_digest
from feedback.reports.models import CaseTiming, ReportGeneration
from feedback.reports.requests import ReportRequest
from feedback.workspace.chain_checks import ChainCheck

__all__ = [
    "AuditChainHead",
    "CaseTiming",
    "ChainCheck",
    "PublishedChainHead",
    "ReportGeneration",
    "ReportRequest",
]  # registered so Django sees them

keypad_code = RegexValidator(
    r"^[0-9]{1,6}$", _("Use 1 to 6 digits, so it can be typed on a keypad.")
)


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    INQUIRY = "inquiry", _("Inquiry")
    COMPLIMENT = "compliment", _("Compliment")


class BilingualName(models.Model):
    """A name in English and in Swahili, shown in the reader's language."""

    name = models.CharField(_("name (English)"), max_length=200)
    name_sw = models.CharField(_("name (Swahili)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if get_language() == "sw" and self.name_sw:
            return self.name_sw
        return self.name


class Institution(MP_Node, BilingualName):
    """A public body or a level of government; what staff may see follows this tree."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("National")
        MINISTRY = "ministry", _("Ministry")
        AGENCY = "agency", _("Agency")
        UNIT = "unit", _("Unit")
        REGION = "region", _("Region")
        DISTRICT = "district", _("District")

    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    short_code = models.CharField(
        _("short code"),
        max_length=6,
        unique=True,
        validators=[keypad_code],
        help_text=_("Digits a citizen can type on a phone keypad to name this institution."),
    )
    acronym = models.CharField(_("acronym"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = chained_history()

    node_order_by = ["name"]

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")


class Service(BilingualName):
    """Something an institution offers the public, with the charter that promises response times."""

    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("institution"),
    )
    code = models.CharField(_("code"), max_length=6, validators=[keypad_code])
    description = models.TextField(_("description"), blank=True)
    description_sw = models.TextField(_("description (Swahili)"), blank=True)
    acknowledge_days = models.PositiveSmallIntegerField(
        _("working days to acknowledge"), default=2, validators=[MinValueValidator(1)]
    )
    resolve_days = models.PositiveSmallIntegerField(
        _("working days to resolve"), default=15, validators=[MinValueValidator(1)]
    )
    reopen_window_days = models.PositiveSmallIntegerField(
        _("working days a citizen may reopen a resolved case"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = chained_history()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "code"], name="unique_service_code")
        ]

    @property
    def global_code(self) -> str:
        """The service's code across the whole registry (Open311's `service_code`, the API's
        `code`): its institution's short code and its own, "101-12". A service's own code is
        unique only within its institution; an institution's short code is unique."""
        return f"{self.institution.short_code}{GLOBAL_CODE_SEPARATOR}{self.code}"

    def charter_for(self, kind: str) -> tuple[int, int]:
        """Working days (to acknowledge, to resolve) promised for one kind of feedback."""
        term = next((t for t in self.charter_terms.all() if t.kind == kind), None)
        if term is None:
            return self.acknowledge_days, self.resolve_days
        return term.acknowledge_days, term.resolve_days


GLOBAL_CODE_SEPARATOR = "-"


def service_by_global_code(code: str, queryset=None) -> "Service | None":
    """The service a global code names ("101-12": institution 101's service 12), or None."""
    short_code, separator, own = (code or "").strip().partition(GLOBAL_CODE_SEPARATOR)
    if not separator or not short_code.isdigit() or not own.isdigit():
        return None
    queryset = Service.objects.all() if queryset is None else queryset
    return (
        queryset.select_related("institution")
        .filter(institution__short_code=short_code, code=own)
        .first()
    )


class CharterTerm(models.Model):
    """A charter promise for one kind of feedback that differs from the service's default."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="charter_terms", verbose_name=_("service")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    acknowledge_days = models.PositiveSmallIntegerField(
        _("working days to acknowledge"), validators=[MinValueValidator(1)]
    )
    resolve_days = models.PositiveSmallIntegerField(
        _("working days to resolve"), validators=[MinValueValidator(1)]
    )
    history = chained_history()

    class Meta:
        verbose_name = _("charter term")
        verbose_name_plural = _("charter terms")
        constraints = [
            models.UniqueConstraint(fields=["service", "kind"], name="unique_charter_term")
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.get_kind_display()}"


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    EDITOR = "editor", _("Editor")
    OFFICER = "officer", _("Institution officer")
    LEAD = "lead", _("Institution feedback lead")
    OVERSIGHT = "oversight", _("Oversight leader")
    AGENT = "agent", _("Service-point agent")
    AUDITOR = "auditor", _("Auditor")
    SCREENER = "screener", _("Screening desk officer")


class ServicePoint(BilingualName):
    """A place where an agent submits feedback for citizens with no device: a school, a post
    office, a Huduma centre. Its agents see only the cases they submitted."""

    code = models.CharField(_("code"), max_length=6, unique=True, validators=[keypad_code])
    location = models.CharField(_("location"), max_length=200, blank=True)
    host = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_points",
        verbose_name=_("hosted by"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = chained_history()

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["name"]


class StaffProfile(models.Model):
    """Which institution a staff member works for and in which role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("institution"),
        help_text=_(
            "Officers, leads and oversight leaders see this institution and its sub-units."
        ),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    service_point = models.ForeignKey(
        ServicePoint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agents",
        verbose_name=_("service point"),
        help_text=_("Where a service-point agent works."),
    )
    history = chained_history()

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("Mobile app (API)")
    USSD = "ussd", _("USSD")
    SMS = "sms", _("SMS")
    SERVICE_POINT = "service_point", _("Service point")
    OPEN311 = "open311", _("Open311")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    AWAITING_CITIZEN = "awaiting_citizen", _("Waiting for your information")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    REJECTED = "rejected", _("Rejected")
    APPEALED = "appealed", _("Under appeal")


class RejectionReason(models.TextChoices):
    OUT_OF_SCOPE = "out_of_scope", _("Outside this registry's scope")
    DUPLICATE = "duplicate", _("Duplicate of another case")
    ABUSIVE = "abusive", _("Abusive or offensive")


class NotifyBy(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    NONE = "none", _("Do not contact me")


OPEN_STATUSES = (
    Status.SUBMITTED,
    Status.ACKNOWLEDGED,
    Status.AWAITING_CITIZEN,
    Status.IN_PROGRESS,
    Status.REOPENED,
    Status.APPEALED,
)
# Statuses in which the institution owes an answer by a deadline (the clock runs).
ANSWER_OWED = (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED)


# The screening desk's queue: cases routed to the top of the tree (not escalated up to it).
IN_SCREENING = models.Q(institution__depth=1, escalation_level=0)


def overdue_condition(now) -> models.Q:
    """The condition of CaseQuerySet.overdue, for aggregates that count it among others."""
    return models.Q(status=Status.SUBMITTED, acknowledge_due__lt=now) | models.Q(
        models.Q(expected_by__isnull=True) | models.Q(expected_by__lt=now),
        status__in=ANSWER_OWED,
        resolve_due__lt=now,
    )


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CaseQuerySet":
        """Every case this user may see: the one rule (feedback.access.case_scope), used by
        every listing, page, export and download."""
        from feedback.access import case_scope

        scope = case_scope(user)
        return self.none() if scope is None else self.filter(scope)

    def screening(self) -> "CaseQuerySet":
        """The screening desk's queue: cases routed to the top of the tree because they named
        no institution or none whose remit covers them (not those escalated up to it)."""
        return self.filter(IN_SCREENING)

    def open(self) -> "CaseQuerySet":
        """Cases still waiting for an answer, a decision or the citizen."""
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now) -> "CaseQuerySet":
        """Open cases past their deadline (and past any date an interim reply promised); a
        case waiting for the citizen has its clock stopped. The row-level twin of this rule
        is feedback.workflow.is_overdue, checked again under the row lock."""
        return self.filter(overdue_condition(now))

    def publishable(self) -> "CaseQuerySet":
        """Cases whose outcome may ever be public: consented, and never confidential."""
        return self.filter(consent_to_publish=True, is_confidential=False)


class Case(models.Model):
    """One piece of feedback. Its status changes only through feedback.workflow."""

    reference = models.CharField(_("reference number"), max_length=10, unique=True, editable=False)
    pin_digest = models.CharField(max_length=64, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="cases", verbose_name=_("institution")
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("service"),
    )
    area = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_in_area",
        limit_choices_to={"level__in": ["region", "district"]},
        verbose_name=_("region or district"),
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    language = models.CharField(
        _("preferred language"), max_length=5, choices=settings.LANGUAGES, default="en"
    )
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    consent_to_publish = models.BooleanField(_("consent to publish an anonymised outcome"))
    is_confidential = models.BooleanField(_("confidential"), default=False)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, editable=False
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned officer"),
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_to = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalated_cases",
        verbose_name=_("escalated to"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    rejection_reason = models.CharField(
        _("rejection reason"), max_length=20, choices=RejectionReason.choices, blank=True
    )
    referral_count = models.PositiveSmallIntegerField(_("referrals"), default=0)
    # Referral starts the level count again; this counts every climb, for the reports.
    escalation_count = models.PositiveSmallIntegerField(_("times escalated"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # When the citizen last answered "not resolved" (workflow.dispute): such a case comes first.
    disputed_at = models.DateTimeField(_("disputed"), null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submitted_cases",
        verbose_name=_("submitted by agent"),
    )
    service_point = models.ForeignKey(
        ServicePoint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("service point"),
    )

    # The organisation's app or portal that submitted it (channel api or open311).
    api_client = models.ForeignKey(
        "ApiClient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("API client"),
    )
    # The channel's own key for one submission (a web draft's token, an API client's
    # Idempotency-Key): a retry of the same submission finds the first case.
    idempotency_key = models.CharField(  # noqa: DJ001 (NULL: no key, outside the unique index)
        max_length=80, null=True, blank=True, editable=False
    )
    submitted_at = models.DateTimeField(_("submitted"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    acknowledge_due = models.DateTimeField(_("acknowledgement due"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    reopen_until = models.DateTimeField(_("may be reopened until"), null=True, blank=True)
    paused_at = models.DateTimeField(_("clock paused since"), null=True, blank=True)
    # Facts that later transitions must not overwrite: the reports measure against them.
    first_acknowledged_at = models.DateTimeField(_("first acknowledged"), null=True, blank=True)
    first_resolved_at = models.DateTimeField(_("first resolved"), null=True, blank=True)
    original_acknowledge_due = models.DateTimeField(
        _("acknowledgement first promised by"), null=True, blank=True
    )
    original_resolve_due = models.DateTimeField(
        _("resolution first promised by"), null=True, blank=True
    )
    # An interim reply promises a later answer; the charter deadline itself does not move.
    expected_by = models.DateTimeField(_("answer now expected by"), null=True, blank=True)
    interim_reply_count = models.PositiveSmallIntegerField(_("interim replies"), default=0)
    # The inbox's sort key, derived from the deadlines above by feedback.workflow.next_due
    # whenever the workflow saves the case; not part of the history (a derived column).
    next_due = models.DateTimeField(_("next deadline"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    satisfaction_comment = models.TextField(_("satisfaction comment"), blank=True)

    history = chained_history(excluded_fields=["next_due"])

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["institution", "status"]),
            models.Index(fields=["status", "resolve_due"]),
            models.Index(fields=["status", "acknowledge_due"]),
            # Reports select an institution's cases by submission date (feedback.reports).
            models.Index(fields=["institution", "submitted_at"]),
            # The inbox: soonest deadline first (NULLS LAST, as PostgreSQL keeps an ascending
            # index), the id breaking ties so that paging is stable.
            models.Index(fields=["next_due", "id"], name="case_next_due_idx"),
            # Disputed cases (feedback.workspace.queues.disputed): a few among millions, found
            # without walking the deadline index.
            models.Index(
                fields=["disputed_at"],
                name="case_disputed_idx",
                condition=models.Q(disputed_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="unique_submission_per_channel_key",
            ),
            # Invariants between the status and the fields the workflow sets with it.
            models.CheckConstraint(
                condition=~models.Q(status=Status.REJECTED) | ~models.Q(rejection_reason=""),
                name="rejected_case_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(rejection_reason="")
                | models.Q(status__in=[Status.REJECTED, Status.APPEALED, Status.CLOSED]),
                name="rejection_reason_only_on_rejected_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    duplicate_of__isnull=True, rejection_reason__in=["", "out_of_scope", "abusive"]
                )
                | models.Q(duplicate_of__isnull=False, rejection_reason="duplicate"),
                name="duplicate_named_exactly_when_rejected_as_duplicate",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[Status.CLOSED, Status.REJECTED], closed_at__isnull=False
                )
                | (
                    ~models.Q(status__in=[Status.CLOSED, Status.REJECTED])
                    & models.Q(closed_at__isnull=True)
                ),
                name="closed_at_exactly_when_closed",
            ),
            models.CheckConstraint(
                condition=models.Q(status=Status.AWAITING_CITIZEN, paused_at__isnull=False)
                | (~models.Q(status=Status.AWAITING_CITIZEN) & models.Q(paused_at__isnull=True)),
                name="clock_paused_exactly_when_awaiting_citizen",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=Status.RESOLVED) | models.Q(resolved_at__isnull=False),
                name="resolved_case_has_resolution_time",
            ),
            models.CheckConstraint(
                condition=models.Q(escalation_level=0, escalated_to__isnull=True)
                | models.Q(escalation_level__gt=0, escalated_to__isnull=False),
                name="escalated_to_exactly_when_escalated",
            ),
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="satisfaction_between_1_and_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_kind_display()})"

    @property
    def handling_institution(self) -> Institution:
        """Where the case sits now: the level it was escalated to, or its own institution."""
        return self.escalated_to or self.institution


class Contact(models.Model):
    """How to reach the citizen; kept apart from the case's text and never published."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="contact", verbose_name=_("case")
    )
    # Encrypted at rest (feedback.encryption): the database holds Fernet tokens only.
    name = EncryptedTextField(_("name"), max_length=200, blank=True)
    phone = EncryptedTextField(_("phone"), max_length=20, blank=True)  # E.164 (intake)
    email = EncryptedTextField(_("e-mail"), max_length=254, blank=True)
    # Keyed digests (CONTACT_DIGEST_KEY) of the E.164 phone and the lower-cased e-mail: how a
    # data subject's cases are found by exact number or address. Kept in step by save().
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True)
    email_digest = models.CharField(max_length=64, blank=True, db_index=True)
    notify_by = models.CharField(
        _("send updates by"), max_length=10, choices=NotifyBy.choices, default=NotifyBy.NONE
    )
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)
    # The chain must survive erasure, so personal data (and its digests, which would test a
    # guessed number) never enters the history tables.
    history = chained_history(
        excluded_fields=["name", "phone", "email", "phone_digest", "email_digest"]
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{_('Contact')} {self.case.reference}"

    def save(self, *args, **kwargs):
        self.phone_digest = phone_digest(self.phone) if self.phone else ""
        self.email_digest = email_digest(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"phone", "email"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "phone_digest", "email_digest"}
        super().save(*args, **kwargs)


class CaseEvent(models.Model):
    """One step of a case's story: a transition, a message, an assignment, a rating."""

    class Type(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        TRANSITION = "transition", _("Status change")
        CITIZEN_MESSAGE = "citizen_message", _("Message from the citizen")
        STAFF_MESSAGE = "staff_message", _("Message from the institution")
        NOTE = "note", _("Internal note")
        ASSIGNED = "assigned", _("Assigned")
        RATED = "rated", _("Rated")

    class ActorKind(models.TextChoices):
        CITIZEN = "citizen", _("Citizen")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    action = models.CharField(_("action"), max_length=40, blank=True)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_events",
        verbose_name=_("actor"),
    )
    actor_kind = models.CharField(_("actor kind"), max_length=10, choices=ActorKind.choices)
    body = models.TextField(_("text"), blank=True)
    is_public = models.BooleanField(_("visible to the citizen"), default=True)
    created_at = models.DateTimeField(_("time"))
    history = chained_history()

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.action or self.get_type_display()}"


class Appeal(models.Model):
    """A citizen's appeal against a closed or rejected case, heard by the level above.

    Its own step with its own deadline, counted apart from reopening; one per case.
    """

    class Decision(models.TextChoices):
        UPHELD = "upheld", _("Upheld: the case is reopened at this level")
        DISMISSED = "dismissed", _("Dismissed: the outcome stands")

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="appeal", verbose_name=_("case")
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("heard by"),
    )
    reason = models.TextField(_("grounds of appeal"))
    lodged_at = models.DateTimeField(_("lodged"))
    due = models.DateTimeField(_("decision due"))
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeal_decisions",
        verbose_name=_("decided by"),
    )
    response = models.TextField(_("reasons for the decision"), blank=True)
    history = chained_history()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{_('Appeal')} {self.case.reference}"


class SubmissionDraft(models.Model):
    """A web submission between the form and the final "submit": survives a crash or a reload."""

    token = models.UUIDField(unique=True)
    # What the citizen typed, contact details included: encrypted at rest like a Contact.
    data = EncryptedJSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("submission draft")

    def __str__(self) -> str:
        return str(self.token)


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name is random: a citizen's file name never reaches the file system.
    return f"attachments/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file a citizen or officer added to a case (or to a draft, before it is submitted)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    draft = models.ForeignKey(
        SubmissionDraft, on_delete=models.CASCADE, null=True, blank=True, related_name="files"
    )
    event = models.ForeignKey(
        CaseEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(_("uploaded"))
    history = chained_history()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class PublicOutcomeQuerySet(models.QuerySet):
    def public(self) -> "PublicOutcomeQuerySet":
        """The one rule of what the public sees: published, of a case that consented and is
        not confidential. Every public page, index and download starts here."""
        return self.filter(
            state=PublicOutcome.State.PUBLISHED,
            case__consent_to_publish=True,
            case__is_confidential=False,
        )


class PublicOutcome(models.Model):
    """What the public may read of a case: written by an officer, scrubbed of personal data,
    approved by a feedback lead. Only a published outcome of a publishable case is public;
    it changes only through the workflow's outcome actions."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Awaiting approval")
        SENT_BACK = "sent_back", _("Sent back to the officer")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="public_outcome", verbose_name=_("case")
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    summary = models.TextField(_("the problem, as the public will read it"))
    response = models.TextField(_("what the institution did"))
    # What the scrubber took out, as kinds and masked forms only (never the removed text).
    removed = models.JSONField(_("personal data removed"), default=list, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="outcomes_written",
        verbose_name=_("written by"),
    )
    written_at = models.DateTimeField(_("written"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outcomes_reviewed",
        verbose_name=_("reviewed by"),
    )
    review_note = models.TextField(_("note from the reviewer"), blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = chained_history()

    objects = PublicOutcomeQuerySet.as_manager()

    class Meta:
        verbose_name = _("public outcome")
        verbose_name_plural = _("public outcomes")
        indexes = [models.Index(fields=["state", "published_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="published") | models.Q(published_at__isnull=False),
                name="published_outcome_has_publication_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Public outcome')} {self.case.reference}"

    @property
    def is_public(self) -> bool:
        return self.state == self.State.PUBLISHED


class CannedResponse(models.Model):
    """A reply an institution keeps ready, in both languages; it fills a reply, never sends one."""

    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="canned_responses",
        verbose_name=_("institution"),
    )
    title = models.CharField(_("title (English)"), max_length=120)
    title_sw = models.CharField(_("title (Swahili)"), max_length=120)
    body = models.TextField(_("text (English)"))
    body_sw = models.TextField(_("text (Swahili)"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = chained_history()

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title_sw if get_language() == "sw" and self.title_sw else self.title

    def text_in(self, language: str) -> str:
        """The text in the citizen's language (English when no Swahili was kept)."""
        return self.body_sw if language == "sw" and self.body_sw else self.body


class DirectiveQuerySet(models.QuerySet):
    def open(self) -> "DirectiveQuerySet":
        return self.filter(answered_at__isnull=True)

    def overdue(self, now) -> "DirectiveQuerySet":
        return self.open().filter(due__lt=now)


class Directive(models.Model):
    """An oversight leader's instruction on a case, with a date by which the institution
    handling it must answer. Given and answered only through the workflow's actions."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="directives", verbose_name=_("case")
    )
    # The leader's level when it was given: who is waiting for the answer.
    issued_by_institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="directives_issued",
        verbose_name=_("given by (level)"),
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="directives_given",
        verbose_name=_("given by"),
    )
    given_at = models.DateTimeField(_("given"))
    instruction = models.TextField(_("instruction"))
    due = models.DateTimeField(_("answer due"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="directives_answered",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    history = chained_history()

    objects = DirectiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("directive")
        verbose_name_plural = _("directives")
        ordering = ["given_at", "pk"]
        indexes = [models.Index(fields=["answered_at", "due"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True, answered_by__isnull=True)
                | models.Q(answered_at__isnull=False, answered_by__isnull=False),
                name="directive_answered_by_exactly_when_answered",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Directive')} {self.case.reference}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class PersonalDataAccess(models.Model):
    """One look at a citizen's personal data by a staff member: a contact revealed, a
    data-subject export, an erasure. Append-only; its chained history is the audit of it."""

    class What(models.TextChoices):
        CONTACT = "contact", _("Contact details revealed")
        EXPORT = "export", _("Personal data exported for the data subject")
        ERASURE = "erasure", _("Contact details erased")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="data_accesses", verbose_name=_("case")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="data_accesses",
        verbose_name=_("by"),
    )
    what = models.CharField(_("what"), max_length=20, choices=What.choices)
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("time"))
    history = chained_history()

    class Meta:
        verbose_name = _("access to personal data")
        verbose_name_plural = _("accesses to personal data")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_what_display()}: {self.case.reference}"


class ApiClient(models.Model):
    """An organisation's app or portal that uses the REST API or Open311 with a key of its own.

    The key is shown once, when issued (feedback.channels.keys.issue_key); only its prefix (to
    find it) and a keyed digest (to check it) are stored. A revoked client's key is refused.
    """

    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text=_("Requests beyond this in one minute are refused with 429 until it ends."),
    )
    key_prefix = models.CharField(_("key prefix"), max_length=12, unique=True, editable=False)
    key_digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    history = chained_history()

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PhonePreference(models.Model):
    """What a phone number chose on USSD or SMS (its language), kept by a keyed digest of the
    number (feedback.channels.phones.phone_digest), never the number itself."""

    phone_digest = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=5, choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("phone preference")
        verbose_name_plural = _("phone preferences")

    def __str__(self) -> str:
        return f"{self.phone_digest[:8]}… {self.language}"


class UssdSession(models.Model):
    """One USSD session as the gateway reported it: when it was seen, how it ended, and the
    case it submitted. The typed text is not kept: the gateway sends all of it every time."""

    session_id = models.CharField(max_length=100, unique=True)
    phone_digest = models.CharField(max_length=64)
    service_code = models.CharField(max_length=40, blank=True)
    network_code = models.CharField(max_length=20, blank=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # The gateway's end-of-session notification: its status ("Success", "Incomplete",
    # "Failed"...), when it came, and how long the session lasted by the gateway's count.
    ended_at = models.DateTimeField(null=True, blank=True)
    end_status = models.CharField(max_length=40, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="ussd_sessions"
    )

    class Meta:
        verbose_name = _("USSD session")
        verbose_name_plural = _("USSD sessions")

    def __str__(self) -> str:
        return self.session_id


class InboundSms(models.Model):
    """One SMS the gateway passed to us, recorded once by the gateway's id (a retried callback
    is recognised and not handled twice). Neither the number (a digest only) nor the text."""

    gateway_id = models.CharField(max_length=100, unique=True)
    phone_digest = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    handled_as = models.CharField(max_length=40, blank=True)  # the parser's intent
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_sms"
    )

    class Meta:
        verbose_name = _("received SMS")
        verbose_name_plural = _("received SMS")

    def __str__(self) -> str:
        return self.gateway_id


class SmsDelivery(models.Model):
    """One SMS handed to the gateway about a case, and what became of it: the gateway's id and
    its delivery reports. Neither the number nor the text is kept here."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent to the network")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="sms_deliveries"
    )
    event = models.ForeignKey(
        "CaseEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(max_length=40)  # the action it tells of, "receipt", "reply"...
    # NULL until the gateway names it (unique among those it named).
    gateway_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    failure_reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SMS delivery")
        verbose_name_plural = _("SMS deliveries")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.purpose}: {self.get_state_display()}"
