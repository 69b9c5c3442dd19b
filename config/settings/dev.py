"""Developer machine: SQLite, database search, tasks in-process, e-mail and SMS on the console."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import env_bool, env_list

DEBUG = env_bool("DJANGO_DEBUG", True)

# Demo values for `make run`, so the home page and the SMS show the USSD and SMS channels:
# they are not a real code or number (the page says so). Set USSD_CODE and SMS_SHORT_NUMBER
# (an Africa's Talking sandbox gives both) to use real ones; set them empty to offer neither.
USSD_CODE = os.environ.get("USSD_CODE", "*384*1811#")
SMS_SHORT_NUMBER = os.environ.get("SMS_SHORT_NUMBER", "15811")
CHANNELS_ARE_DEMO_VALUES = "USSD_CODE" not in os.environ and "SMS_SHORT_NUMBER" not in os.environ

# Staff sign-in: `make run`'s demo logins ask for no second factor unless the environment
# names roles (STAFF_TWO_FACTOR_ROLES=auditor,lead,oversight,admin).
STAFF_TWO_FACTOR_ROLES = env_list("STAFF_TWO_FACTOR_ROLES", "")

# Issue 20: a developer changing a template sees the change at once: the public page cache is
# off unless the environment turns it on (PUBLIC_PAGE_CACHE_SECONDS=86400).
PUBLIC_PAGE_CACHE_SECONDS = int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "0"))
