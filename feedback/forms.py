"""Forms of the citizen's web journey: give feedback, track a case, add to it, rate, reopen."""

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback import references, workflow
from feedback.models import Institution, Kind, NotifyBy, Service


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked later by feedback.attachments."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class TelInput(forms.TextInput):
    """A phone number: phones show their dial pad, browsers offer the number they know."""

    input_type = "tel"


class HoneypotInput(forms.TextInput):
    """The honeypot's input: never filled back in, so a form sent again starts it empty."""

    def __init__(self):
        super().__init__(attrs={"tabindex": "-1", "autocomplete": "off"})

    def format_value(self, value):
        return None


# What a filled honeypot is told: an ordinary-looking error that teaches a bot nothing.
HONEYPOT_ERROR = _("Please check the form and send it again.")


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices from the queryset read once per form, in one query. Django's iterator
    reads them with `.iterator()`, which on PostgreSQL is a server-side cursor (DECLARE, FETCH,
    CLOSE: three round trips) for a few dozen rows; the feedback form has three such lists, and
    round trips were most of its time (bench/pages.py)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:  # evaluated once: the form's queryset caches its rows
            yield self.choice(obj)


class ListSelect(forms.Select):
    """A <select> whose options are written inline (feedback/widgets/select.html), not through
    one template include per option as Django's own: the form's lists have 68 options."""

    template_name = "feedback/widgets/select.html"


class InstitutionChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator
    widget = ListSelect

    def label_from_instance(self, obj):
        # Indent by depth so the tree reads as a tree in a plain <select>.
        return f"{'— ' * (obj.depth - 1)}{obj}"


class ServiceChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator
    widget = ListSelect

    def label_from_instance(self, obj):
        return f"{obj} ({obj.institution.acronym or obj.institution})"


def normalise_phone(raw: str) -> str:
    """The intake rule (feedback.workflow.normalise_phone), as a form error."""
    try:
        return workflow.normalise_phone(raw)
    except workflow.InvalidPhone as error:
        raise forms.ValidationError(error.message, code=error.code) from error


class FeedbackForm(forms.Form):
    # Each message says what to do, in the field's own words; Django's generic ones do not.
    kind = forms.ChoiceField(
        label=_("What kind of feedback is it?"),
        choices=Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what kind of feedback it is."),
            "invalid_choice": _("Choose what kind of feedback it is."),
        },
    )
    service = ServiceChoiceField(
        label=_("Which service is it about?"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("Not sure / another service"),
        error_messages={"invalid_choice": _("Choose a service from the list.")},
    )
    institution = InstitutionChoiceField(
        label=_("Which institution?"),
        queryset=Institution.objects.none(),
        required=False,
        empty_label=_("I don't know: please route it for me"),
        help_text=_("Leave this if you chose a service above, or if you are not sure."),
        error_messages={"invalid_choice": _("Choose an institution from the list.")},
    )
    area = InstitutionChoiceField(
        label=_("Region or district where it happened"),
        queryset=Institution.objects.none(),
        required=False,
        empty_label=_("Not applicable"),
        error_messages={"invalid_choice": _("Choose a region or district from the list.")},
    )
    location = forms.CharField(
        label=_("Place (office, street, village)"),
        max_length=200,
        required=False,
        error_messages={"max_length": _("Keep the place to 200 characters or fewer.")},
    )
    subject = forms.CharField(
        label=_("Short title"),
        max_length=200,
        error_messages={
            "required": _("Enter a short title, such as “Water bill too high”."),
            "max_length": _("Keep the title to 200 characters or fewer."),
        },
    )
    description = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("Dates, places and receipt numbers help the institution answer you."),
        error_messages={
            "required": _("Describe what happened."),
            "max_length": _("Keep the description to 5000 characters or fewer."),
        },
    )
    files = MultipleFileField(
        label=_("Photos or documents (optional)"),
        required=False,
        help_text=_("Up to 3 files: JPEG, PNG, WebP or PDF, at most 5 MB each."),
    )
    name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"max_length": _("Keep your name to 200 characters or fewer.")},
    )
    phone = forms.CharField(
        label=_("Phone number (optional)"),
        max_length=30,
        required=False,
        widget=TelInput(attrs={"autocomplete": "tel"}),
        error_messages={
            "max_length": _("Enter a phone number such as 0712 345 678 or +255 712 345 678.")
        },
    )
    email = forms.EmailField(
        label=_("E-mail address (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"invalid": _("Enter an e-mail address such as amina@example.com.")},
    )
    notify_by = forms.ChoiceField(
        label=_("How should we send you updates?"),
        choices=NotifyBy.choices,
        initial=NotifyBy.SMS,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how we should send you updates."),
            "invalid_choice": _("Choose how we should send you updates."),
        },
    )
    consent_to_publish = forms.BooleanField(
        label=_("You may publish the outcome without my personal details"),
        required=False,
        help_text=_(
            "This helps others with the same problem. Nothing that identifies you is shown."
        ),
    )

    # The honeypot: a field people never see (site.css hides it, aria-hidden keeps it from
    # screen readers) and bots fill. It takes no part in the draft or the submission.
    website = forms.CharField(
        label=_("Leave this field empty"), required=False, widget=HoneypotInput()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = Institution.objects.filter(is_active=True)
        self.fields["institution"].queryset = active.exclude(level__in=["region", "district"])
        self.fields["area"].queryset = active.filter(level__in=["region", "district"])
        self.fields["service"].queryset = Service.objects.filter(is_active=True).select_related(
            "institution"
        )

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        return normalise_phone(phone) if phone else ""

    @property
    def filled_honeypot(self) -> bool:
        """Whether the hidden field came back filled: a bot, never a person."""
        return "website" in self.fields and bool(str(self.data.get("website") or "").strip())

    def clean(self):
        data = super().clean()
        if self.filled_honeypot:
            raise forms.ValidationError(HONEYPOT_ERROR, code="check_again")
        try:
            workflow.route(data.get("institution"), data.get("service"))
        except workflow.WorkflowError as error:
            self.add_error("service", error.message)
        if "notify_by" in data:
            data["notify_by"] = self._reachable_by(data["notify_by"])
        return data

    def _reachable_by(self, chosen: str) -> str:
        """The way to send updates that the citizen can actually be reached on (the intake
        rule). SMS is preselected, so a citizen who gives only an e-mail address would
        otherwise be told off about the optional phone field. A field with an error counts
        as given, so its own error is what they see."""

        def given(name):
            return self.cleaned_data.get(name) or ("?" if name in self.errors else "")

        contact = workflow.ContactDetails(
            phone=given("phone"), email=given("email"), notify_by=chosen
        )
        return contact.reachable_by()

    def routed_institution(self) -> Institution:
        """Where the case goes: the chosen institution, the service's, or screening."""
        return workflow.route(
            self.cleaned_data.get("institution"), self.cleaned_data.get("service")
        )

    def submission_fields(self, language: str) -> dict:
        """What workflow.submit needs from the cleaned form; the channel adds its own (the
        channel itself, attachments, the idempotency key, who submitted)."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "institution": self.routed_institution(),
            "service": data["service"],
            "area": data["area"],
            "location": data["location"],
            "subject": data["subject"],
            "description": data["description"],
            "language": language,
            "contact": workflow.ContactDetails(
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                notify_by=data["notify_by"],
            ),
            "consent_to_publish": data["consent_to_publish"],
        }

    def draft_data(self) -> dict:
        """What to keep between the form and the review step (no files: they are stored)."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "service": data["service"].pk if data.get("service") else "",
            "institution": data["institution"].pk if data.get("institution") else "",
            "area": data["area"].pk if data.get("area") else "",
            "location": data["location"],
            "subject": data["subject"],
            "description": data["description"],
            "name": data["name"],
            "phone": data["phone"],
            "email": data["email"],
            "notify_by": data["notify_by"],
            "consent_to_publish": data["consent_to_publish"],
        }


class ReferenceForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("The 10 digits you received when you gave feedback."),
        error_messages={"required": _("Enter your reference number.")},
    )

    def clean_reference(self):
        try:
            return references.normalize(self.cleaned_data["reference"])
        except references.InvalidReference as error:
            raise forms.ValidationError(error.message, code=error.code) from error


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("PIN"),
        max_length=6,
        min_length=4,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("The PIN you received with your reference number."),
        error_messages={
            "required": _("Enter your PIN."),
            "min_length": _("Enter the whole PIN: it has 4 to 6 digits."),
            "max_length": _("Enter the whole PIN: it has 4 to 6 digits."),
        },
    )
