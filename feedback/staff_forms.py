"""The form an officer uses on a case in the Wagtail admin; one form, fields by action."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from feedback import references
from feedback.models import Appeal, Case, Institution, RejectionReason, Role

# Which fields each action needs; "text" is the message, question, response or reason.
ACTION_FIELDS = {
    "acknowledge": ["text"],
    "request_information": ["text"],
    "receive_information": ["text"],
    "start": ["text"],
    "resolve": ["text"],
    "close": ["text"],
    "reopen": ["text"],
    "reject": ["rejection_reason", "duplicate_of", "text"],
    "refer": ["institution", "text"],
    "escalate": ["text"],
    "assign": ["officer"],
    "reply": ["text", "internal"],
    "interim_reply": ["expected_by", "text"],
    "appeal": ["text"],
    "decide_appeal": ["decision", "text"],
    "escalate_appeal": ["text"],
}


ACTION_BUTTONS = {
    "acknowledge": _("Acknowledge"),
    "request_information": _("Ask the citizen for information"),
    "receive_information": _("Record information received"),
    "start": _("Start work"),
    "resolve": _("Resolve with a response"),
    "close": _("Close"),
    "reopen": _("Reopen"),
    "reject": _("Reject"),
    "refer": _("Refer to another institution"),
    "escalate": _("Escalate to the level above"),
    "assign": _("Assign to an officer"),
    "reply": _("Write to the citizen"),
    "interim_reply": _("Interim reply: the deadline will be missed"),
    "appeal": _("Record the citizen's appeal"),
    "decide_appeal": _("Decide the appeal"),
    "escalate_appeal": _("Escalate the appeal to the level above"),
}


class CaseActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(name, name) for name in ACTION_FIELDS])
    text = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea({"rows": 3}))
    internal = forms.BooleanField(
        label=_("Internal note (not shown to the citizen)"), required=False
    )
    rejection_reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "---"), *RejectionReason.choices], required=False
    )
    duplicate_of = forms.CharField(
        label=_("Reference of the case it duplicates"), max_length=20, required=False
    )
    institution = forms.ModelChoiceField(
        label=_("Refer to"), queryset=Institution.objects.filter(is_active=True), required=False
    )
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("", "---"), *Appeal.Decision.choices], required=False
    )
    expected_by = forms.DateField(
        label=_("Answer expected by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    officer = forms.ModelChoiceField(
        label=_("Officer"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        # Officers and leads of the case's institution or above it in the tree.
        self.fields["officer"].queryset = get_user_model().objects.filter(
            is_active=True,
            staff_profile__role__in=[Role.OFFICER, Role.LEAD],
            staff_profile__institution__in=[*case.institution.get_ancestors(), case.institution],
        )

    def clean_duplicate_of(self):
        raw = self.cleaned_data["duplicate_of"].strip()
        if not raw:
            return None
        try:
            reference = references.normalize(raw)
        except references.InvalidReference as error:
            raise forms.ValidationError(error.message, code=error.code) from error
        original = Case.objects.filter(reference=reference).first()
        if original is None:
            raise forms.ValidationError(_("No case has this number."))
        return original
