"""Language from the URL for the public pages, and no language guessing for the rest."""

from django.middleware import locale
from django.utils import translation

# Routes outside i18n_patterns (config/urls.py): a 404 there is final.
UNPREFIXED = ("/admin/", "/documents/", "/i18n/", "/healthz", "/static/", "/media/")


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
