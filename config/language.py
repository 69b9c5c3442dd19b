"""Language from the URL for the public pages, no language guessing for the rest, and the
admin in the language each staff member chose."""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.middleware import locale
from django.utils import translation
from wagtail.admin.localization import get_available_admin_languages

# Routes outside i18n_patterns (config/urls.py): a 404 there is final.
UNPREFIXED = (
    "/admin/",
    "/documents/",
    "/i18n/",
    "/healthz",
    "/static/",
    "/media/",
    "/api/",
    "/open311/",
    "/channels/",
)


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, except that a 404 outside the language-prefixed pages stays a 404.

    Django retries any 404 under the default language's prefix, and Wagtail's catch-all page
    route makes every such path look valid, so /admin/feedback/case/99/ used to answer a
    redirect to /en/admin/... before its 404.
    """

    def process_response(self, request, response):
        if response.status_code == 404 and request.path_info.startswith(UNPREFIXED):
            response.headers.setdefault("Content-Language", translation.get_language())
            return response
        return super().process_response(request, response)


class StaffLanguageMiddleware:
    """The admin in the language a staff member chose in their account, also before they sign in.

    Wagtail itself renders every admin view in the user's `UserProfile.preferred_language`
    (wagtail.admin.localization.get_localized_response, around the view and its rendering);
    LocaleMiddleware above only picks the language for requests it does not wrap. This adds:
    - the choice is remembered in Django's language cookie on the way out of an admin
      response, so that the login and password-reset pages (no user yet, e.g. after signing
      out) greet the same person in the same language;
    - Content-Language names the language the admin page was rendered in.
    The public pages keep their URL's language (/en/, /sw/); only the bare / redirect follows the
    cookie, as it would after the language switcher.
    A profile without a preference ("use server language") changes nothing. Placed after
    AuthenticationMiddleware; Wagtail has already read the profile, so no extra query there.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path_info.startswith("/admin/"):
            return response
        language = staff_language(getattr(request, "user", None))
        if not language:
            return response
        response.headers["Content-Language"] = language
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


def staff_language(user) -> str:
    """The admin language `user` chose in their account, or "" (none chosen, or no staff user)."""
    if user is None or not user.is_authenticated:
        return ""
    try:
        profile = user.wagtail_userprofile
    except ObjectDoesNotExist:
        return ""
    permitted = dict(get_available_admin_languages())
    return profile.preferred_language if profile.preferred_language in permitted else ""
