from django.db import migrations


def create_head(apps, schema_editor):
    AuditChainHead = apps.get_model("feedback", "AuditChainHead")
    AuditChainHead.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
