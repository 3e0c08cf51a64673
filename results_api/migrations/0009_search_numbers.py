"""On PostgreSQL, a GIN index over the pieces of the search text's numbers (terms with digits)."""

from django.db import migrations

from results_api.search.database import create_numbers_index, drop_numbers_index


class Migration(migrations.Migration):
    dependencies = [
        ("results_api", "0008_search_without_parallel_scans"),
    ]

    operations = [
        migrations.RunPython(create_numbers_index, drop_numbers_index, elidable=False),
    ]
