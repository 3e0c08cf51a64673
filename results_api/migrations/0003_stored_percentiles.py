"""Each rollup row keeps its percentiles: the rollup is emptied, to be built again with them.

The stats read the task table until the next run of ``rollup_task_results``
(or the periodic task) rebuilds the rollup from it.
"""

from django.db import migrations, models


def forget_rollups(apps, schema_editor):
    alias = schema_editor.connection.alias
    apps.get_model("results_api", "TaskResultRollup").objects.using(alias).delete()
    apps.get_model("results_api", "RollupState").objects.using(alias).delete()


class Migration(migrations.Migration):
    dependencies = [("results_api", "0002_packed_histograms")]

    operations = [
        migrations.RunPython(forget_rollups, migrations.RunPython.noop),
        migrations.AddField(
            model_name="taskresultrollup", name="runtime_p50", field=models.FloatField(null=True)
        ),
        migrations.AddField(
            model_name="taskresultrollup", name="runtime_p95", field=models.FloatField(null=True)
        ),
        migrations.AddField(
            model_name="taskresultrollup", name="wait_p50", field=models.FloatField(null=True)
        ),
        migrations.AddField(
            model_name="taskresultrollup", name="wait_p95", field=models.FloatField(null=True)
        ),
    ]
