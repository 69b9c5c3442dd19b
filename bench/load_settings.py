"""Production settings with plain static file storage, for bench/load.py --static plain (CI).

Production's storage (whitenoise's compressed manifest) needs `collectstatic` first, which
hashes and compresses every file, Wagtail's included: 218 s on this busy machine, more than
the whole CI budget of the load test. The load's clients fetch pages, never their CSS or
scripts, so the plain storage changes nothing they measure or verify.
"""

from config.settings.production import *  # noqa: F403
from config.settings.production import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
