from django.db import migrations, models


class Migration(migrations.Migration):
    """Custom states are allowed: the status column has no choices."""

    dependencies = [("django_celery_results", "0013_taskresult_django_cele_periodi_1993cf_idx")]

    operations = [
        migrations.AlterField(
            model_name="taskresult",
            name="status",
            field=models.CharField(
                default="PENDING",
                help_text="Current state of the task being run",
                max_length=50,
                verbose_name="Task State",
            ),
        ),
    ]
