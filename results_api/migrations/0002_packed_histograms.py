"""The rollup rebuilt: histograms stored packed, each row's percentiles, rows of every status.

Histograms are stored as packed bin ordinals with their cumulative counts
(``results_api/stats/histogram.py``), each row keeps its own p50 and p95, and each
bucket has a row of every final status together. The rollup is emptied, and
stats read the task table until the next run of ``rollup_task_results`` (or
the periodic task) builds it again.
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
        *(
            migrations.AddField(
                model_name="taskresultrollup", name=name, field=models.FloatField(null=True)
            )
            for name in ("runtime_p50", "runtime_p95", "wait_p50", "wait_p95")
        ),
    ]
