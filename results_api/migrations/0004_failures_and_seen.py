"""Each rollup row counts its failures and keeps its first and last ``date_done``.

What the stats' ``failures``, ``first_seen`` and ``last_seen`` read. The
rollup is emptied, and stats read the task table until the next run of
``rollup_task_results`` (or the periodic task) builds it again.
"""

from django.db import migrations, models


def forget_rollups(apps, schema_editor):
    alias = schema_editor.connection.alias
    apps.get_model("results_api", "TaskResultRollup").objects.using(alias).delete()
    apps.get_model("results_api", "RollupState").objects.using(alias).delete()


class Migration(migrations.Migration):
    dependencies = [("results_api", "0003_metric_totals")]

    operations = [
        migrations.RunPython(forget_rollups, migrations.RunPython.noop),
        migrations.AddField(
            model_name="taskresultrollup",
            name="failures",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="taskresultrollup", name="first_done", field=models.FloatField(null=True)
        ),
        migrations.AddField(
            model_name="taskresultrollup", name="last_done", field=models.FloatField(null=True)
        ),
    ]
