"""The REST API: viewsets, serializers, filters, ordering, pages, throttles, schema, export.

Everything a request meets between the URLconf and the database lives here:
reading the query string (``filters``, ``ordering``, ``request_values``,
``live_updates``), shaping the answer (``serializers``, ``prepared``,
``pagination``, ``export``, ``conditional``, ``metadata``, ``schema``) and
the revoke and retry actions (``actions``, ``action_views``).

May import: :mod:`results_api.conf`, :mod:`results_api.models`,
:mod:`results_api.fields`, :mod:`results_api.content`,
:mod:`results_api.stats` and :mod:`django_celery_results`; never the
dashboard or the app's entry points (``apps``, ``checks``, ``urls``).
"""
