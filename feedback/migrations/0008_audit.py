"""The keyed audit chain: content digests, an erasure seal, user ids that survive a user's
deletion, published heads; and the existing history re-chained under the new scheme.

Re-chaining. Rows written before this migration were chained with an unkeyed SHA-256. This
migration recomputes every chained row's content digest and HMAC link under AUDIT_CHAIN_KEY,
in the rows' existing chain order, and moves the head, so `verify_audit_chain` passes on
existing data. It trusts the old chain as it stands: run `verify_audit_chain` with the previous
release before migrating if that trust needs proof. Reversing is a no-op (the old code cannot
verify the keyed hashes; restore a backup to go back).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

HISTORY_MODELS = [
    "historicalappeal",
    "historicalattachment",
    "historicalcase",
    "historicalcaseevent",
    "historicalcharterterm",
    "historicalcontact",
    "historicalinstitution",
    "historicalservice",
    "historicalstaffprofile",
]
DIGESTS = [
    ("content_digest", 64),
    ("personal_digest", 64),
    ("personal_salt", 32),
    ("erasure_seal", 64),
]


def rechain_history(apps, schema_editor):
    from feedback.audit import chain_key, rechain

    models_ = [apps.get_model("feedback", name) for name in HISTORY_MODELS]
    rechain(models_, apps.get_model("feedback", "AuditChainHead"), chain_key())


def user_id_instead_of_foreign_key(name):
    """Keep the column and its values; only the constraint goes (a deleted user's id stays)."""
    return [
        migrations.AlterField(
            model_name=name,
            name="history_user",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name=name, name="history_user"),
                migrations.AddField(
                    model_name=name,
                    name="history_user_id",
                    field=models.IntegerField(blank=True, db_index=True, null=True),
                ),
            ]
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0007_case_facts_and_invariants"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PublishedChainHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField(unique=True)),
                ("seq", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("published_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"ordering": ["-date"]},
        ),
        *[op for name in HISTORY_MODELS for op in user_id_instead_of_foreign_key(name)],
        *[
            migrations.AddField(
                model_name=name,
                name=field,
                field=models.CharField(blank=True, editable=False, max_length=length),
            )
            for name in HISTORY_MODELS
            for field, length in DIGESTS
        ],
        migrations.RunPython(rechain_history, migrations.RunPython.noop),
    ]
