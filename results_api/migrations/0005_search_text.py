"""The search side table, and on PostgreSQL its pg_trgm GIN index (see docs/api.md, "Search")."""

from django.db import migrations, models

from results_api.search.database import create_trigram_index, drop_trigram_index


class Migration(migrations.Migration):
    dependencies = [
        ("results_api", "0004_failures_and_seen"),
    ]

    operations = [
        migrations.CreateModel(
            name="TaskSearchState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("model", models.CharField(max_length=100, unique=True)),
                ("indexed_until", models.DateTimeField(null=True)),
                ("fingerprint", models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="TaskSearchText",
            fields=[
                ("task_pk", models.BigIntegerField(primary_key=True, serialize=False)),
                ("text", models.TextField()),
            ],
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
