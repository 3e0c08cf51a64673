"""What the API knows about the fields of the active task result model.

``rules`` reads the model once: which fields are shown, filtered, ordered,
grouped and rolled up, and of which kind each is.

May import: :mod:`results_api.conf` and :mod:`django_celery_results`;
nothing else of :mod:`results_api`.
"""
