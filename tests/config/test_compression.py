"""Compressed answers (config.page_cache.PageCompressionMiddleware) and static files
fingerprinted, compressed with gzip and Brotli and cached for a year (whitenoise)."""

import gzip
import re

import brotli
import pytest
import zstandard
from django.core.cache import caches
from django.core.files.storage import storages
from django.core.management import call_command
from django.test import Client

from config.page_cache import PAGE_CACHE_ALIAS
from tests.feedback.factories import submit_case

pytestmark = pytest.mark.django_db

DECODE = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
}


@pytest.mark.parametrize("url", ["/en/", "/sw/huduma/", "/en/search/?q=water", "/en/feedback/"])
@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_each_encoding_decodes_to_the_plain_page(client, url, encoding):
    plain = client.get(url)
    assert not plain.has_header("Content-Encoding")
    assert plain.content.startswith(b"<!DOCTYPE html>")
    packed = client.get(url, headers={"accept-encoding": encoding})
    assert packed["Content-Encoding"] == encoding
    assert len(packed.content) < len(plain.content)
    assert DECODE[encoding](packed.content) == plain.content
    assert "accept-encoding" in packed["Vary"].lower()


def test_a_browser_offering_several_gets_one_it_named(client):
    response = client.get("/en/", headers={"accept-encoding": "gzip, deflate, br"})
    assert response["Content-Encoding"] == "br"


def test_pages_with_a_pin_or_a_case_are_not_compressed(client):
    """BREACH: a secret repeated beside attacker-chosen text leaks through the compressed size.
    The pages marked no-store (the PIN, the case and its contact) stay uncompressed."""
    submission = submit_case()
    track = f"/en/feedback/track/{submission.case.reference}/"
    client.post(track, {"action": "pin", "pin": submission.pin})
    case_page = client.get(track, headers={"accept-encoding": "gzip, br"})
    assert submission.case.description in case_page.content.decode()
    assert not case_page.has_header("Content-Encoding")


def test_the_cache_keeps_each_encoding_compressed_and_serves_it_as_kept(client, settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 86_400
    cache = caches[PAGE_CACHE_ALIAS]
    cache.clear()
    try:
        answers = {
            encoding: client.get("/en/", headers={"accept-encoding": encoding})
            for encoding in ("br", "gzip", "identity")
        }
        kept = [cache.get(key.removeprefix(":1:")) for key in _keys(cache)]
        pages = [entry for entry in kept if hasattr(entry, "status_code")]
        assert sorted(page.get("Content-Encoding", "none") for page in pages) == [
            "br",
            "gzip",
            "none",
        ]
        for encoding, first in answers.items():
            again = client.get("/en/", headers={"accept-encoding": encoding})
            assert again.content == first.content
            assert again.get("Content-Encoding") == first.get("Content-Encoding")
    finally:
        cache.clear()


def _keys(cache) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {cache._table}")  # our own table
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def original_storages():
    """Changing STORAGES or STATIC_ROOT makes Django forget every storage it built, but model
    fields (ReportRequest.file) keep the one they were given: put the originals back after the
    settings are restored, so later tests see the same objects the fields hold."""
    kept = dict(storages._storages)
    yield
    storages._storages = kept


def test_static_files_are_fingerprinted_compressed_and_immutable(
    original_storages, tmp_path, settings
):
    """collectstatic with production's storage, on the site's own files only (Wagtail's
    thousands would take minutes), then whitenoise serves them as production does."""
    settings.STATIC_ROOT = tmp_path
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    hashed = [
        path for path in tmp_path.rglob("*.css") if re.search(r"\.[0-9a-f]{12}\.css$", path.name)
    ]
    assert hashed, "no fingerprinted stylesheet"
    stylesheet = hashed[0]
    assert stylesheet.with_name(stylesheet.name + ".gz").exists()
    assert stylesheet.with_name(stylesheet.name + ".br").exists()
    url = "/static/" + stylesheet.relative_to(tmp_path).as_posix()
    response = Client().get(url, headers={"accept-encoding": "gzip, br"})  # a new handler
    assert response.status_code == 200
    assert response["Content-Encoding"] == "br"
    cache_control = response["Cache-Control"]
    assert "immutable" in cache_control and "public" in cache_control
    max_age = int(re.search(r"max-age=(\d+)", cache_control).group(1))
    assert max_age >= 365 * 24 * 60 * 60
    body = b"".join(response.streaming_content)
    assert brotli.decompress(body) == stylesheet.read_bytes()
