"""The language switcher: the same page (and sub-route) in every language it exists in."""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language_info
from wagtail.models import Locale, Page

register = template.Library()
# URL namespaces of plain Django views inside i18n_patterns, whose URL differs only by prefix.
TRANSLATABLE_VIEWS = {"search", "performance"}


@register.inclusion_tag("pages/includes/language_switcher.html", takes_context=True)
def language_switcher(context):
    request = context["request"]
    page = context.get("page")
    current = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    links = []
    for code, _name in settings.LANGUAGES:
        url = _url_in_language(request, page, code)
        if url:
            info = get_language_info(code)
            links.append(
                {"code": code, "name": info["name_local"], "url": url, "current": code == current}
            )
    return {"links": links}


def _url_in_language(request, page, code):
    """URL of the page's translation, keeping any routable sub-path; on a Django view of our
    own (the outcome search), the same view and query in that language; else that language's
    home."""
    if isinstance(page, Page):
        translation = page.get_translations(inclusive=True).filter(locale__language_code=code)
        target = translation.live().first()
        if target is not None:
            page_path = page.get_url(request) or ""
            suffix = request.path[len(page_path) :] if request.path.startswith(page_path) else ""
            return (target.get_url(request) or "") + suffix
    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace in TRANSLATABLE_VIEWS:
        return translate_url(request.get_full_path(), code)
    try:
        locale = Locale.objects.get(language_code=code)
    except Locale.DoesNotExist:
        return None
    home = Page.objects.filter(depth=2, locale=locale).live().first()
    return home.get_url(request) if home else None
