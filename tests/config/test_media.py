"""Citizens' attachments never leave through the development media route."""

from django.urls import Resolver404, URLResolver
from django.urls.resolvers import RegexPattern

from config.urls import development_media


def resolver():
    return URLResolver(RegexPattern(r"^/"), development_media())


def test_development_media_serves_editors_files_but_never_attachments():
    assert resolver().resolve("/media/images/meter.jpg").kwargs["path"] == "images/meter.jpg"
    for path in ("/media/attachments/2026/11/abc", "/media/attachments/x"):
        try:
            resolver().resolve(path)
        except Resolver404:
            continue
        raise AssertionError(f"{path} is served")
