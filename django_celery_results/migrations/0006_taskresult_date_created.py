import django.utils.timezone
from django.db import migrations, models


def copy_date_done_to_date_created(apps, schema_editor):
    """Give existing rows a creation date: the best known is when they were done."""
    TaskResult = apps.get_model("django_celery_results", "TaskResult")
    if TaskResult._meta.swapped:
        return
    TaskResult.objects.using(schema_editor.connection.alias).update(
        date_created=models.F("date_done")
    )


class Migration(migrations.Migration):
    dependencies = [("django_celery_results", "0005_taskresult_worker")]

    operations = [
        migrations.AddField(
            model_name="taskresult",
            name="date_created",
            field=models.DateTimeField(
                auto_now_add=True,
                db_index=True,
                default=django.utils.timezone.now,
                help_text="Datetime field when the task result was created in UTC",
                verbose_name="Created DateTime",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(copy_date_done_to_date_created, migrations.RunPython.noop),
    ]
