"""Developer machine: SQLite, database search, tasks in-process, e-mail and SMS on the console."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
