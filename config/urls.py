from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from config.health import healthz
from feedback.channels.api.errors import not_found as api_not_found
from feedback.transparency import audit_chain_heads, audit_chain_heads_text

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("feedback.channels.api.urls")),
    re_path(r"^api/", api_not_found),  # other versions, typos: JSON, not the site's 404 page
    path("open311/", include("feedback.channels.open311.urls")),
    path("channels/", include("feedback.channels.urls")),
]


def development_media():
    """Editors' images and documents under MEDIA_URL, for `runserver` only. Citizens' files
    (media/attachments/) are never served here: only the case page's attachment view serves
    them, after feedback.access has said the user may see the case."""
    from django.views.static import serve

    prefix = settings.MEDIA_URL.lstrip("/")
    return [
        re_path(
            rf"^{prefix}(?!attachments/)(?P<path>.+)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]


if settings.DEBUG:
    urlpatterns += development_media()

urlpatterns += i18n_patterns(
    path("audit-chain/", audit_chain_heads, name="audit_chain"),
    path("audit-chain.txt", audit_chain_heads_text, name="audit_chain_text"),
    path("", include("search.urls")),  # before Wagtail's catch-all
    path("performance/", include("feedback.reports.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)
