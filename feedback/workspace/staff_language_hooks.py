"""Wagtail admin hooks of the workspace: staff language.

Staff choose English or Kiswahili in their account (Account > Preferences: Wagtail's
`UserProfile.preferred_language`, offered from settings.WAGTAILADMIN_PERMITTED_LANGUAGES).
Wagtail renders each admin view in that language itself; config.language.StaffLanguageMiddleware
remembers it for the login page. Wagtail's own strings come from our catalogue
locale/wagtail/sw (scripts/wagtail_catalogue.py), since Wagtail ships no Swahili.

No hook is needed for that. What is here: the sign-in form, whose password field Wagtail
declares without a label, so it read "Password" (the field's name) in every language.
settings.WAGTAILADMIN_USER_LOGIN_FORM names it.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm


class StaffLoginForm(LoginForm):
    """Wagtail's sign-in form with a translatable label on the password field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Password")
