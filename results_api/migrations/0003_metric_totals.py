"""The metrics' totals: cumulative counts and histograms per label combination.

Empty at first: the next run of ``rollup_task_results`` (or the periodic
task) counts every stored final result into them.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("results_api", "0002_packed_histograms"),
    ]

    operations = [
        migrations.CreateModel(
            name="MetricState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("model", models.CharField(max_length=100, unique=True)),
                ("counted_until", models.DateTimeField(null=True)),
                ("settings", models.TextField(default="{}")),
                ("series", models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="MetricTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("model", models.CharField(max_length=100)),
                ("kind", models.CharField(max_length=8)),
                ("labels", models.TextField()),
                ("labels_key", models.CharField(max_length=32)),
                ("status", models.CharField(blank=True, max_length=50)),
                ("count", models.BigIntegerField(default=0)),
                ("total", models.FloatField(default=0)),
                ("buckets", models.TextField(blank=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("model", "kind", "labels_key", "status"),
                        name="results_api_metric_key",
                    )
                ],
            },
        ),
    ]
