"""Contact details and web drafts encrypted at rest; keyed digests to find contacts by phone
or e-mail (feedback.encryption). Existing rows are encrypted in batches; the reverse decrypts
them back (with the keys in force, so run it before dropping a key)."""

from django.db import migrations, models

import feedback.encryption

BATCH = 500
CONTACT_FIELDS = ("name", "phone", "email")


def _in_batches(queryset):
    """Rows by primary key, BATCH at a time: memory stays flat on a large registry."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _e164(phone: str) -> str:
    # Intake stores E.164 already; a number it cannot read is digested as it was stored.
    from feedback.workflow.intake import InvalidPhone, normalise_phone

    try:
        return normalise_phone(phone)
    except InvalidPhone:
        return phone.strip()


def encrypt_rows(apps, schema_editor):
    from feedback.channels.phones import phone_digest
    from feedback.encryption import email_digest, encrypt

    # At this step the columns are plain text in the historical models: values read and
    # written here are exactly what the database holds.
    Contact = apps.get_model("feedback", "Contact")
    for rows in _in_batches(Contact.objects.all()):
        for contact in rows:
            contact.phone_digest = phone_digest(_e164(contact.phone)) if contact.phone else ""
            contact.email_digest = email_digest(contact.email)
            for name in CONTACT_FIELDS:
                value = getattr(contact, name)
                setattr(contact, name, encrypt(value) if value else "")
        Contact.objects.bulk_update(rows, [*CONTACT_FIELDS, "phone_digest", "email_digest"])
    SubmissionDraft = apps.get_model("feedback", "SubmissionDraft")
    for rows in _in_batches(SubmissionDraft.objects.all()):
        for draft in rows:
            draft.data = encrypt(draft.data or "{}")
        SubmissionDraft.objects.bulk_update(rows, ["data"])


def decrypt_rows(apps, schema_editor):
    from feedback.encryption import decrypt

    Contact = apps.get_model("feedback", "Contact")
    for rows in _in_batches(Contact.objects.all()):
        for contact in rows:
            for name in CONTACT_FIELDS:
                value = getattr(contact, name)
                setattr(contact, name, decrypt(value) if value else "")
        Contact.objects.bulk_update(rows, CONTACT_FIELDS)
    SubmissionDraft = apps.get_model("feedback", "SubmissionDraft")
    for rows in _in_batches(SubmissionDraft.objects.all()):
        for draft in rows:
            draft.data = decrypt(draft.data) if draft.data else "{}"
        SubmissionDraft.objects.bulk_update(rows, ["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0020_case_disputed_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="phone_digest",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.AddField(
            model_name="contact",
            name="email_digest",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        # 1. Plain text columns, wide enough for a token.
        migrations.AlterField(
            model_name="contact",
            name="name",
            field=models.TextField(blank=True, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="contact",
            name="phone",
            field=models.TextField(blank=True, verbose_name="phone"),
        ),
        migrations.AlterField(
            model_name="contact",
            name="email",
            field=models.TextField(blank=True, verbose_name="e-mail"),
        ),
        migrations.AlterField(
            model_name="submissiondraft",
            name="data",
            field=models.TextField(blank=True),
        ),
        # 2. Encrypt what is there (reverse: decrypt it back).
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
        # 3. The encrypted fields themselves: the same text columns, no schema change.
        migrations.AlterField(
            model_name="contact",
            name="name",
            field=feedback.encryption.EncryptedTextField(
                blank=True, max_length=200, verbose_name="name"
            ),
        ),
        migrations.AlterField(
            model_name="contact",
            name="phone",
            field=feedback.encryption.EncryptedTextField(
                blank=True, max_length=20, verbose_name="phone"
            ),
        ),
        migrations.AlterField(
            model_name="contact",
            name="email",
            field=feedback.encryption.EncryptedTextField(
                blank=True, max_length=254, verbose_name="e-mail"
            ),
        ),
        migrations.AlterField(
            model_name="submissiondraft",
            name="data",
            field=feedback.encryption.EncryptedJSONField(default=dict),
        ),
    ]
