"""Remove the copies of PINs and phone numbers that earlier versions left behind: task rows
whose arguments held a phone number and an SMS text with the PIN, and sessions holding the
last submission's PIN. Nothing is lost that the case does not keep; reversing does nothing."""

from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations

# The old delivery tasks took (to, body) or (to, subject, body) as arguments.
LEGACY_TASKS = ["feedback.tasks.deliver_sms", "feedback.tasks.deliver_email"]
LEGACY_SESSION_KEY = "feedback_submitted"  # {"reference": ..., "pin": ...}


def forget_copies(apps, schema_editor):
    apps.get_model("django_tasks_database", "DBTaskResult").objects.filter(
        task_path__in=LEGACY_TASKS
    ).delete()
    decoder = SessionStore()
    for session in apps.get_model("sessions", "Session").objects.filter(
        session_data__isnull=False
    ).iterator():
        data = decoder.decode(session.session_data)
        if LEGACY_SESSION_KEY in data:
            data.pop(LEGACY_SESSION_KEY)
            session.session_data = decoder.encode(data)
            session.save(update_fields=["session_data"])


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0008_audit"),
        ("django_tasks_database", "__latest__"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forget_copies, migrations.RunPython.noop)]
