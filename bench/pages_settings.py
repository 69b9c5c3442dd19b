"""Production's settings for bench/pages.py: plain static storage (bench/load_settings.py)
and the benchmark's URLconf, which adds the framework floor to production's URLs."""

from bench.load_settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
