"""On PostgreSQL, a GIN index over the MD5 of each line of the search text (key:value terms)."""

from django.db import migrations

from results_api.search.database import create_lines_index, drop_lines_index


class Migration(migrations.Migration):
    dependencies = [
        ("results_api", "0006_bulk_actions"),
    ]

    operations = [
        migrations.RunPython(create_lines_index, drop_lines_index, elidable=False),
    ]
