"""Drop three redundant indexes that django-celery-results 2.1.0's 0009 created.

Databases migrated by a later release never had them; this only tidies
databases that ran 2.1.0, and is a no-op everywhere else.
"""

from django.db import migrations

REDUNDANT = {
    "ChordCounter": ("django_cele_group_i_299b0d_idx", ["group_id"]),
    "GroupResult": ("django_cele_group_i_3cddec_idx", ["group_id"]),
    "TaskResult": ("django_cele_task_id_7f8fca_idx", ["task_id"]),
}


def drop_redundant_indexes(apps, schema_editor):
    from django.db import models

    connection = schema_editor.connection
    for model_name, (index_name, fields) in REDUNDANT.items():
        model = apps.get_model("django_celery_results", model_name)
        if model._meta.swapped:
            continue
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        if index_name in constraints:
            schema_editor.remove_index(model, models.Index(fields=fields, name=index_name))


class Migration(migrations.Migration):
    dependencies = [("django_celery_results", "0009_groupresult")]

    operations = [migrations.RunPython(drop_redundant_indexes, migrations.RunPython.noop)]
