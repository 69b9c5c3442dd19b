"""The registry's domain: institutions, their services and charters, and the staff serving them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node

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
    history = HistoricalRecords(inherit=False)

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
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "code"], name="unique_service_code")
        ]

    def charter_for(self, kind: str) -> tuple[int, int]:
        """Working days (to acknowledge, to resolve) promised for one kind of feedback."""
        term = next((t for t in self.charter_terms.all() if t.kind == kind), None)
        if term is None:
            return self.acknowledge_days, self.resolve_days
        return term.acknowledge_days, term.resolve_days


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
    history = HistoricalRecords()

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
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"
