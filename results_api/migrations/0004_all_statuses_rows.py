"""The rollup gains rows of every final status together: it is emptied, to be built again.

The stats read the task table until the next run of ``rollup_task_results``
(or the periodic task) rebuilds the rollup from it.
"""

from django.db import migrations


def forget_rollups(apps, schema_editor):
    alias = schema_editor.connection.alias
    apps.get_model("results_api", "TaskResultRollup").objects.using(alias).delete()
    apps.get_model("results_api", "RollupState").objects.using(alias).delete()


class Migration(migrations.Migration):
    dependencies = [("results_api", "0003_stored_percentiles")]

    operations = [migrations.RunPython(forget_rollups, migrations.RunPython.noop)]
