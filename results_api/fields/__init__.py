"""What the API knows about the fields of the active task result model.

``catalogue`` describes each standard field of a task once (its column,
kind, label and filters; whether it is shown, ordered, grouped, rolled up,
searched, a metrics label); ``rules`` reads the model once: which fields are shown,
filtered, ordered, grouped and rolled up, and of which kind each extra
field is; ``durations`` holds the runtime and waiting-time rules;
``conditions`` reads which rows a queryset's filters select (for the stats'
rollup and the metrics' scope).

May import: :mod:`results_api.conf`, :mod:`results_api.failures` (the
computed group keys) and :mod:`django_celery_results`; nothing else of
:mod:`results_api`.
"""
