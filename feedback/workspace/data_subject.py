"""Data-subject requests in the admin (Settings > Data-subject requests): an administrator types
a phone number or e-mail address and the reason, and downloads one JSON document of every case
of that person, or erases their contact details from every case.

The view only parses the form and renders; feedback.privacy finds the cases (by the keyed
digests beside the encrypted contacts), records each export or erasure, and refuses anyone
feedback.access.may_act_for_data_subject does not name.
"""

import json

from django import forms
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin import messages

from feedback import privacy
from feedback.access import may_act_for_data_subject
from feedback.forms import normalise_phone
from feedback.workspace.dashboard_views import refused

TEMPLATE = "feedback/workspace/data_subject.html"


class DataSubjectForm(forms.Form):
    """The only parameters the screen reads; `action` is the button pressed."""

    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=30,
        help_text=_("In any form: 0712 345 678, +255 712 345 678."),
    )
    email = forms.EmailField(label=_("E-mail address"), required=False, max_length=254)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The request and who made it: it is recorded with every case it reaches."),
    )
    confirm_erase = forms.BooleanField(
        label=_("Yes, erase this person's contact details from every case found"),
        required=False,
    )
    action = forms.ChoiceField(
        choices=[("export", _("Export")), ("erase", _("Erase"))], widget=forms.HiddenInput
    )

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        return normalise_phone(phone) if phone else ""

    def clean(self):
        data = super().clean()
        if not (data.get("phone") or data.get("email")) and "phone" not in self.errors:
            self.add_error("phone", _("Give a phone number or an e-mail address."))
        if data.get("action") == "erase" and not data.get("confirm_erase"):
            self.add_error("confirm_erase", _("Tick the box to confirm the erasure."))
        return data


def _page(request, form, status=200, found_none=False):
    return TemplateResponse(
        request,
        TEMPLATE,
        {
            "form": form,
            "found_none": found_none,
            "page_title": gettext("Data-subject requests"),
            "header_title": gettext("Data-subject requests"),
            "header_icon": "user",
        },
        status=status,
    )


def _no_store(response):
    patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
    return response


class DataSubjectView(View):
    def dispatch(self, request, *args, **kwargs):
        if not may_act_for_data_subject(request.user):
            return refused(
                request,
                gettext("Data-subject requests"),
                gettext("Only administrators may act on a data subject's request."),
            )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return _no_store(_page(request, DataSubjectForm(initial={"action": "export"})))

    def post(self, request):
        # The button pressed names the action; the form declares both.
        data = request.POST.copy()
        data["action"] = "erase" if "erase" in request.POST else "export"
        form = DataSubjectForm(data)
        if not form.is_valid():
            return _no_store(_page(request, form, status=400))
        given = {key: form.cleaned_data[key] for key in ("phone", "email", "reason")}
        if form.cleaned_data["action"] == "erase":
            erased = privacy.erase_data_subject(request.user, **given)
            messages.success(
                request,
                ngettext(
                    "Contact details erased from %(count)d case.",
                    "Contact details erased from %(count)d cases.",
                    erased,
                )
                % {"count": erased},
            )
            return HttpResponseRedirect(reverse("feedback_data_subject"))
        export = privacy.export_data_subject(request.user, **given)
        if not export["cases"]:
            return _no_store(_page(request, form, found_none=True))
        response = HttpResponse(
            json.dumps(export, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        name = f"mrejesho-data-subject-{timezone.localtime():%Y%m%d-%H%M}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return _no_store(response)
