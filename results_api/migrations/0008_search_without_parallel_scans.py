"""On PostgreSQL, no parallel scan of the search side table (a worker costs more than the index)."""

from django.db import migrations

from results_api.search.database import allow_parallel_scans, forbid_parallel_scans


class Migration(migrations.Migration):
    dependencies = [
        ("results_api", "0007_search_lines"),
    ]

    operations = [
        migrations.RunPython(forbid_parallel_scans, allow_parallel_scans, elidable=False),
    ]
