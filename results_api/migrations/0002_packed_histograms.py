"""Histograms stored packed (``results_api/histogram.py``): the rollup is emptied to be built again.

The stats read the task table until the next run of ``rollup_task_results``
(or the periodic task) rebuilds the rollup from it.
"""

from django.db import migrations, models


def forget_rollups(apps, schema_editor):
    alias = schema_editor.connection.alias
    apps.get_model("results_api", "TaskResultRollup").objects.using(alias).delete()
    apps.get_model("results_api", "RollupState").objects.using(alias).delete()


class Migration(migrations.Migration):
    dependencies = [("results_api", "0001_rollups")]

    operations = [
        migrations.RunPython(forget_rollups, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="taskresultrollup",
            name="runtime_histogram",
            field=models.TextField(default=""),
        ),
        migrations.AlterField(
            model_name="taskresultrollup",
            name="wait_histogram",
            field=models.TextField(default=""),
        ),
    ]
