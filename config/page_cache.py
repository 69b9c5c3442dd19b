"""The public pages that are the same for every visitor, served from the shared page cache
between publications, and compressed once before they are kept.

Built on Django's cache framework (its cache backends, patch_cache_control,
ConditionalGetMiddleware), not on wagtail-cache: its 3.0.0 requires wagtail<8.0 and this site
runs Wagtail 8. Nothing is kept unless its view opted in:
- a view says its answer is the same for everyone with `public_page` (or a Wagtail page with
  `PublicPageMixin`), which also tells a CDN or reverse proxy so (`Cache-Control: public,
  max-age=PUBLIC_PAGE_MAX_AGE`);
- `UpdatePageCacheMiddleware` keeps such an answer in CACHES["pages"] (its own table or
  store, so clearing pages never wipes the abuse limits' counters in "default") only when it
  is a 200, sets no cookie, does not vary on Cookie and answered an anonymous visitor with no
  session; otherwise it turns `public` into `private`;
- `FetchPageCacheMiddleware`, after LocaleMiddleware (Django's key holds the request's
  language), answers from the cache before the view, the session or the user are touched;
  a request with a session cookie (staff, a citizen proving a case) is never answered from
  nor stored in the cache, and only the site's pages (under a language prefix) are looked up.
One key per page and encoding (page_key): the language, the encoding the compression
middleware chooses for the request's Accept-Encoding, and the full URL with its query string.
So a page from the cache is one look-up, where Django's FetchFromCacheMiddleware makes two
(its list of Vary headers, then the page): pages kept here vary on Accept-Encoding only, and an
answer that varies on anything else is not kept. Kept pages are compressed (the compression
middleware sits inside UpdatePageCacheMiddleware).

Invalidation: the whole pages cache is cleared, once the transaction commits, when an editor
publishes, unpublishes, moves or deletes a page, when an outcome is published, changed or
withdrawn (search.indexing.outcome_changed), and when an institution, a service or a charter
term is saved or deleted. The performance pages (and the audit chain heads) change with every
case action: they are kept for PERFORMANCE_PAGE_CACHE_SECONDS only, never cleared per action.
PUBLIC_PAGE_CACHE_SECONDS=0 switches the page cache off: no lookup, no store.

Forms (`keep_form_page`): a blank form is the same for every visitor but for its CSRF token,
which must never be shared. Its page is rendered once with CSRF_PLACEHOLDER where the token
goes and kept, uncompressed, in the same cache (cleared by the same events); each answer, kept
or fresh, gets this visitor's own token put in before it is compressed, and says `private`.
CsrfViewMiddleware sits outside FetchPageCacheMiddleware so that it sets the visitor's CSRF
cookie on an answer from the cache too.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from compression_middleware.middleware import CompressionMiddleware, compressor
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import cc_delim_re, has_vary_header, patch_cache_control
from django.utils.deprecation import MiddlewareMixin
from django.utils.encoding import iri_to_uri
from django.utils.translation import get_language, get_language_from_path

PAGE_CACHE_ALIAS = "pages"
# Set on a response by public_page / PublicPageMixin: how long the server may keep it.
TIMEOUT_ATTRIBUTE = "public_page_seconds"
NOT_SHAREABLE = ("private", "no-store", "no-cache")
# Rendered where a kept form page's CSRF token goes ({% csrf_token %} prints it as given);
# replaced by the visitor's own token in every answer. Not a valid token, so a page that kept
# it by mistake fails its POST safely (403) rather than sharing anything.
CSRF_PLACEHOLDER = "csrf-token-of-this-visitor"
# Set on a kept form page: FetchPageCacheMiddleware puts the visitor's token in before answering.
FORM_PAGE_ATTRIBUTE = "form_page_with_placeholder"


def page_cache_seconds(setting: str = "PUBLIC_PAGE_CACHE_SECONDS") -> int:
    """Seconds to keep a page of this kind; 0 when the page cache is off."""
    everything = settings.PUBLIC_PAGE_CACHE_SECONDS
    if setting == "PUBLIC_PAGE_CACHE_SECONDS" or everything <= 0:
        return max(everything, 0)
    return max(min(getattr(settings, setting), everything), 0)


def mark_public(response, setting: str = "PUBLIC_PAGE_CACHE_SECONDS"):
    """Say that this answer is the same for every visitor: shared caches may keep it."""
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_PAGE_MAX_AGE)
    setattr(response, TIMEOUT_ATTRIBUTE, page_cache_seconds(setting))
    return response


def public_page(view: Callable | None = None, *, setting: str = "PUBLIC_PAGE_CACHE_SECONDS"):
    """Decorate a view whose answer is the same for every visitor (kept `setting` seconds)."""

    def decorator(view_function):
        @wraps(view_function)
        def wrapper(request, *args, **kwargs):
            return mark_public(view_function(request, *args, **kwargs), setting)

        return wrapper

    return decorator(view) if view is not None else decorator


def mark_public_page(page, request, response):
    """mark_public for a Wagtail page's answer, unless it is a preview of a draft or the page
    is restricted (a password, signed-in users, groups)."""
    if getattr(request, "is_preview", False) or page.get_view_restrictions().exists():
        return response
    return mark_public(response)


class PublicPageMixin:
    """A Wagtail page that is the same for every visitor who may see it."""

    def serve(self, request, *args, **kwargs):
        return mark_public_page(self, request, super().serve(request, *args, **kwargs))


def _anonymous(request) -> bool:
    """No session (so no signed-in user), no message waiting to be shown (Django's messages
    cookie: a kept page would neither show nor consume it) and not Wagtail's preview."""
    return (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and not getattr(request, "is_dummy", False)
    )


def shareable(request, response) -> bool:
    """Whether this answer may be kept and served to every anonymous visitor."""
    user = getattr(request, "user", None)
    cache_control = response.get("Cache-Control", "").lower()
    return (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not has_vary_header(response, "Cookie")
        and not has_vary_header(response, "*")
        and not any(directive in cache_control for directive in NOT_SHAREABLE)
        and _anonymous(request)
        and not (user is not None and user.is_authenticated)
    )


def page_key(request) -> str:
    """The pages cache's key for this request (see the module's docstring)."""
    encoding = compressor(request.META.get("HTTP_ACCEPT_ENCODING", ""))[0] or "identity"
    url = hashlib.sha256(iri_to_uri(request.build_absolute_uri()).encode()).hexdigest()
    return f"page.{get_language()}.{encoding}.{url}"


def varies_on_encoding_only(response) -> bool:
    vary = {header.lower() for header in cc_delim_re.split(response.get("Vary", "")) if header}
    return vary <= {"accept-encoding"}


class FetchPageCacheMiddleware(MiddlewareMixin):
    """Answers a kept page before the view, the session or the user are touched: one look-up.
    Skipped for a session, a preview, a cache that is off, and anything but the site's pages."""

    def process_request(self, request):
        request._cache_update_cache = False
        if (
            page_cache_seconds() <= 0
            or request.method not in ("GET", "HEAD")
            or not _anonymous(request)
            or not get_language_from_path(request.path_info)
        ):
            # Only the site's pages (under a language prefix: config/urls.py's i18n_patterns)
            # are ever kept, so the admin, the API, Open311, the channels and the health check
            # never pay the cache's look-up (a round trip to the database cache).
            return None
        response = caches[PAGE_CACHE_ALIAS].get(page_key(request))
        if response is None:
            request._cache_update_cache = request.method == "GET"
            return None
        if getattr(response, FORM_PAGE_ATTRIBUTE, False):
            return with_visitor_token(request, response)
        return response


class UpdatePageCacheMiddleware(MiddlewareMixin):
    """Keeps the answers that views marked public (public_page), if shareable, for the time
    they asked (not max-age, the short time a browser or CDN may keep the page); a marked
    answer that is not shareable (a cookie, a session) says `private`."""

    def process_response(self, request, response):
        timeout = getattr(response, TIMEOUT_ATTRIBUTE, None)
        if timeout is None:
            return response
        if not shareable(request, response):
            if "public" in response.get("Cache-Control", ""):
                patch_cache_control(response, private=True)
            return response
        if (
            timeout > 0
            and getattr(request, "_cache_update_cache", False)
            and varies_on_encoding_only(response)
        ):
            caches[PAGE_CACHE_ALIAS].set(page_key(request), response, timeout)
        return response


def form_context() -> dict:
    """Context that renders a blank form page to be kept: CSRF_PLACEHOLDER for the token."""
    return {"csrf_token": CSRF_PLACEHOLDER}


def keep_form_page(request, response, *, shareable_request: bool = True):
    """Keep a blank form page rendered with form_context() (see the module's docstring), for
    the same time as public pages, and answer it with this visitor's token.

    `shareable_request` is the view's word that the page shows nothing of this visitor (no
    draft, no error) and that its query string is one worth a key (not any string a visitor
    makes up); the page cache's own rules (`shareable`: anonymous, a GET, a 200, no cookie...)
    apply too.
    """
    response.render()
    timeout = page_cache_seconds()
    if (
        shareable_request
        and timeout > 0
        and request.method == "GET"
        and shareable(request, response)
    ):
        kept = HttpResponse(response.content, headers=dict(response.headers))
        setattr(kept, FORM_PAGE_ATTRIBUTE, True)
        caches[PAGE_CACHE_ALIAS].set(page_key(request), kept, timeout)
    return with_visitor_token(request, response)


def with_visitor_token(request, response):
    """Put this visitor's CSRF token where the placeholder is; the answer is theirs alone."""
    response.content = response.content.replace(
        CSRF_PLACEHOLDER.encode(), get_token(request).encode()
    )
    patch_cache_control(response, private=True)
    return response


class PageCompressionMiddleware(CompressionMiddleware):
    """zstd, Brotli or gzip, as the client accepts (django-compression-middleware), except for
    answers marked no-store: the pages that show a PIN or a citizen's case and contact.

    BREACH needs a secret repeated in many answers beside text the attacker chooses. CSRF
    tokens are masked afresh in every answer by Django, so forms may be compressed; the pages
    with a PIN or personal data are not, which costs little (few, small, never cached).
    """

    def process_response(self, request, response):
        if "no-store" in response.get("Cache-Control", "").lower():
            return response
        return super().process_response(request, response)


def clear_pages() -> None:
    """Forget every kept page (the pages cache only: the throttles' counters stay)."""
    caches[PAGE_CACHE_ALIAS].clear()


def clear_pages_on_commit(**_kwargs) -> None:
    """Clear once the change is committed: before that, a request could keep the old page."""
    transaction.on_commit(clear_pages)


def connect_invalidation() -> None:
    """Clear the pages when what they show changes (called from PagesConfig.ready)."""
    from wagtail.models import Page
    from wagtail.signals import page_published, page_unpublished, post_page_move

    from feedback.models import CharterTerm, Institution, Service

    for name, signal in [
        ("published", page_published),
        ("unpublished", page_unpublished),
        ("moved", post_page_move),
    ]:
        signal.connect(clear_pages_on_commit, dispatch_uid=f"page_cache_page_{name}")
    post_delete.connect(clear_pages_on_commit, sender=Page, dispatch_uid="page_cache_page_gone")
    for model in (Institution, Service, CharterTerm):
        for signal in (post_save, post_delete):
            signal.connect(
                clear_pages_on_commit,
                sender=model,
                dispatch_uid=f"page_cache_{model.__name__}_{signal is post_save}",
            )
