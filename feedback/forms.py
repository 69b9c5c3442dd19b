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


class InstitutionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # Indent by depth so the tree reads as a tree in a plain <select>.
        return f"{'— ' * (obj.depth - 1)}{obj}"


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.institution.acronym or obj.institution})"


def normalise_phone(raw: str) -> str:
    """The intake rule (feedback.workflow.normalise_phone), as a form error."""
    try:
        return workflow.normalise_phone(raw)
    except workflow.InvalidPhone as error:
        raise forms.ValidationError(error.message, code=error.code) from error


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What kind of feedback is it?"), choices=Kind.choices, widget=forms.RadioSelect
    )
    service = ServiceChoiceField(
        label=_("Which service is it about?"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("Not sure / another service"),
    )
    institution = InstitutionChoiceField(
        label=_("Which institution?"),
        queryset=Institution.objects.none(),
        required=False,
        empty_label=_("I don't know: please route it for me"),
        help_text=_("Leave this if you chose a service above, or if you are not sure."),
    )
    area = InstitutionChoiceField(
        label=_("Region or district where it happened"),
        queryset=Institution.objects.none(),
        required=False,
        empty_label=_("Not applicable"),
    )
    location = forms.CharField(
        label=_("Place (office, street, village)"), max_length=200, required=False
    )
    subject = forms.CharField(label=_("Short title"), max_length=200)
    description = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("Dates, places and receipt numbers help the institution answer you."),
    )
    files = MultipleFileField(
        label=_("Photos or documents (optional)"),
        required=False,
        help_text=_("Up to 3 files: JPEG, PNG, WebP or PDF, at most 5 MB each."),
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone number (optional)"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail address (optional)"), required=False)
    notify_by = forms.ChoiceField(
        label=_("How should we send you updates?"),
        choices=NotifyBy.choices,
        initial=NotifyBy.SMS,
        widget=forms.RadioSelect,
    )
    consent_to_publish = forms.BooleanField(
        label=_("You may publish the outcome without my personal details"),
        required=False,
        help_text=_(
            "This helps others with the same problem. Nothing that identifies you is shown."
        ),
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

    def clean(self):
        data = super().clean()
        try:
            workflow.route(data.get("institution"), data.get("service"))
        except workflow.WorkflowError as error:
            self.add_error("service", error.message)
        notify_by = data.get("notify_by")
        if (
            not data.get("phone")
            and not data.get("email")
            and not self.errors.keys()
            & {
                "phone",
                "email",
            }
        ):
            # Nothing to reach them by: an anonymous case, not a form error.
            data["notify_by"] = notify_by = NotifyBy.NONE
        if notify_by == NotifyBy.SMS and not data.get("phone") and "phone" not in self.errors:
            self.add_error(
                "phone", _("Give a phone number for SMS updates, or choose another way.")
            )
        if notify_by == NotifyBy.EMAIL and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Give an e-mail address for updates, or choose another way."))
        return data

    def routed_institution(self) -> Institution:
        """Where the case goes: the chosen institution, the service's, or screening."""
        return workflow.route(
            self.cleaned_data.get("institution"), self.cleaned_data.get("service")
        )

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
    )
