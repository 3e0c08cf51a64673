"""A read-only REST API over the stored Celery results, built from the active model."""
