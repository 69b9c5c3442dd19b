"""Settings of the `manage.py db_worker` process that test_worker_stopped.py starts: the test
settings, with the queue, the e-mail and the SMS backends the environment names (the test's
own SMTP server and fake gateway), since the test settings fix them to in-memory ones a
separate process cannot share."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import EMAIL_BACKEND, SMS_BACKEND

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EMAIL_BACKEND = os.environ.get("FAULTS_EMAIL_BACKEND", EMAIL_BACKEND)
SMS_BACKEND = os.environ.get("FAULTS_SMS_BACKEND", SMS_BACKEND)
AFRICASTALKING_TIMEOUT = float(os.environ.get("AFRICASTALKING_TIMEOUT", "10"))
ELASTICSEARCH_URL = ""  # the database's own search engine, in the test database
