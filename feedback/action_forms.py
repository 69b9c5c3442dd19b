"""Forms built from the action table: one field per parameter an action takes.

The web tracking page and the staff case page both ask for an action's parameters through
these forms; neither lists the actions or their fields again.
"""

from functools import cache

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from feedback import references
from feedback.models import Case, Institution, Role
from feedback.workflow import ACTIONS, Param


class CaseReferenceField(forms.CharField):
    """A reference number typed by a person, turned into the case it names."""

    def to_python(self, value):
        raw = super().to_python(value).strip()
        if not raw:
            return None
        try:
            reference = references.normalize(raw)
        except references.InvalidReference as error:
            raise forms.ValidationError(error.message, code=error.code) from error
        case = Case.objects.filter(reference=reference).first()
        if case is None:
            raise forms.ValidationError(_("No case has this number."), code="unknown")
        return case


# Choices that must be made on purpose (a reply public or internal): radio buttons, none
# preselected, so a form cannot be sent with a choice nobody made.
DELIBERATE_CHOICES = frozenset({"visibility"})


def _field(param: Param) -> forms.Field:
    common = {"label": param.label, "required": param.required, "help_text": param.help_text}
    if param.missing:
        common["error_messages"] = {
            "required": param.missing,
            "invalid_choice": param.missing,
            "invalid": param.missing,
        }
    if param.kind == "text":
        # Whether a text may be empty is the workflow's rule, and it says why in its words.
        common["required"] = False
        return forms.CharField(max_length=5000, widget=forms.Textarea({"rows": 3}), **common)
    if param.kind == "choice" and param.name in DELIBERATE_CHOICES:
        return forms.ChoiceField(choices=param.choices, widget=forms.RadioSelect, **common)
    if param.kind == "choice":
        return forms.ChoiceField(choices=[("", "---"), *param.choices], **common)
    if param.kind == "score":
        return forms.TypedChoiceField(
            coerce=int, choices=param.choices, widget=forms.RadioSelect, **common
        )
    if param.kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if param.kind == "institution":
        return forms.ModelChoiceField(queryset=Institution.objects.filter(is_active=True), **common)
    if param.kind == "officer":
        return forms.ModelChoiceField(queryset=get_user_model().objects.none(), **common)
    if param.kind == "case":
        return CaseReferenceField(max_length=20, **common)
    if param.kind == "flag":
        return forms.BooleanField(**{**common, "required": False})
    raise ValueError(f"no form field for parameter kind {param.kind!r}")


@cache
def action_form_class(name: str) -> type[forms.Form]:
    fields = {param.name: _field(param) for param in ACTIONS[name].params}
    return type(f"{name.title().replace('_', '')}Form", (forms.Form,), fields)


def action_form(name: str, case: Case, data=None, files=None) -> forms.Form:
    """The form for one action on one case; fields are prefixed by the action, so several
    actions' forms can share a page. An unbound form starts from what the table says (the
    draft being rewritten, say)."""
    start_from = ACTIONS[name].initial
    initial = start_from(case) if start_from is not None and data is None else None
    form = action_form_class(name)(data, files, prefix=name, initial=initial)
    if "officer" in form.fields:
        # Officers and leads of the level that handles the case now, or above it.
        handling = case.handling_institution
        form.fields["officer"].queryset = get_user_model().objects.filter(
            is_active=True,
            staff_profile__role__in=[Role.OFFICER, Role.LEAD],
            staff_profile__institution__in=[*handling.get_ancestors(), handling],
        )
    return form
