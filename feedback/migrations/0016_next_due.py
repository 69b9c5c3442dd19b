"""The inbox's sort key: Case.next_due, stored and indexed, filled for existing cases.

Filled with feedback.workflow.next_due itself (a plain function of four fields the historical
model has), so the rule is written once; no history row is written (the field is derived and
left out of the chained history).
"""

from django.conf import settings
from django.db import migrations, models

# The inbox's search by words on PostgreSQL (feedback.workspace.inbox.search_cases): a GIN
# index on exactly the expression the search filters on. Not in Case.Meta: SQLite has no GIN,
# and there the search falls back to substring matching.
WORDS_INDEX = "case_words_gin"


def words_index():
    from django.contrib.postgres.indexes import GinIndex

    from feedback.workspace.search import case_words

    return GinIndex(case_words(), name=WORDS_INDEX)


def add_words_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("feedback", "Case"), words_index())


def remove_words_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("feedback", "Case"), words_index())

BATCH = 2000


def fill_next_due(apps, schema_editor):
    from feedback.workflow.actions import next_due

    Case = apps.get_model("feedback", "Case")
    fields = ("status", "acknowledge_due", "resolve_due", "expected_by", "next_due")
    cases = Case.objects.only(*fields).order_by("pk")
    batch = []
    for case in cases.iterator(chunk_size=BATCH):
        case.next_due = next_due(case)
        if case.next_due is not None:
            batch.append(case)
        if len(batch) >= BATCH:
            Case.objects.bulk_update(batch, ["next_due"])
            batch = []
    if batch:
        Case.objects.bulk_update(batch, ["next_due"])


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0015_workspace"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="next_due",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="next deadline"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["next_due", "id"], name="case_next_due_idx"),
        ),
        migrations.RunPython(fill_next_due, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(add_words_index, remove_words_index),
    ]
