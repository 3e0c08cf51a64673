"""What the API knows about the fields of the active task result model.

``rules`` reads the model once: which fields are shown, filtered, ordered,
grouped and rolled up, and of which kind each is; ``durations`` holds the
runtime and waiting-time rules; ``conditions`` reads which rows a queryset's
filters select (for the stats' rollup and the metrics' scope).

May import: :mod:`results_api.conf` and :mod:`django_celery_results`;
nothing else of :mod:`results_api`.
"""
