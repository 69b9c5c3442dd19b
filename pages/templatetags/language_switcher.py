"""The language switcher: the same page (and sub-route) in every language it exists in."""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language_info
from wagtail.models import Page

register = template.Library()
# URL namespaces of plain Django views inside i18n_patterns, whose URL differs only by prefix.
TRANSLATABLE_VIEWS = {"search", "performance"}


@register.inclusion_tag("pages/includes/language_switcher.html", takes_context=True)
def language_switcher(context):
    request = context["request"]
    page = context.get("page")
    current = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    match = getattr(request, "resolver_match", None)
    own_view = match is not None and match.namespace in TRANSLATABLE_VIEWS
    # Our own views translate their URL; anything else needs the pages, in one query.
    targets = {} if own_view and not isinstance(page, Page) else _pages_by_language(page)
    links = []
    for code, _name in settings.LANGUAGES:
        url = _url_in_language(request, page, code, targets)
        if url:
            info = get_language_info(code)
            links.append(
                {"code": code, "name": info["name_local"], "url": url, "current": code == current}
            )
    return {"links": links}


def _pages_by_language(page) -> dict[str, Page]:
    """One query for every language: the live translations of a Wagtail page (itself
    included), else the live home pages (depth 2) of each language's tree."""
    if isinstance(page, Page):
        pages = page.get_translations(inclusive=True).live()
    else:
        pages = Page.objects.filter(depth=2).live()
    found: dict[str, Page] = {}
    for candidate in pages.select_related("locale").order_by("path"):
        found.setdefault(candidate.locale.language_code, candidate)
    return found


def _url_in_language(request, page, code, targets):
    """URL of the page's translation, keeping any routable sub-path; on a Django view of our
    own (the outcome search), the same view and query in that language; else that language's
    home."""
    if isinstance(page, Page):
        target = targets.get(code)
        if target is not None:
            page_path = page.get_url(request) or ""
            suffix = request.path[len(page_path) :] if request.path.startswith(page_path) else ""
            return (target.get_url(request) or "") + suffix
    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace in TRANSLATABLE_VIEWS:
        return translate_url(request.get_full_path(), code)
    if isinstance(page, Page):
        targets = _pages_by_language(None)  # no translation in that language: its home
    home = targets.get(code)
    return home.get_url(request) if home else None
