"""A REST API over the stored Celery results, built from the active task result model.

Read-only unless a project turns on its actions (revoke, retry, and the
bulk retry, revoke and delete).

    INSTALLED_APPS += ["rest_framework", "django_filters", "results_api"]
    urlpatterns += [path("api/results/", include("results_api.urls"))]

Settings: ``RESULTS_API`` (see :mod:`results_api.conf`).

The layout, from the bottom up (a package imports only those below it):
``conf`` and ``models``; ``fields`` (what the API knows of the model's
fields), ``content`` (redaction and stored arguments), ``failures`` (a
failure's exception type), ``audit`` (the admin history of actions) and
``control`` (how a task is retried or revoked through Celery); ``stats``
(the stats engine and its rollups), ``search`` (search inside stored
content) and ``bulk`` (bulk actions); ``rest`` (the REST API, which mixes
the bulk actions into its task viewset); ``metrics`` (Prometheus) and
``dashboard``; and the entry points
Django and Celery look for here (``apps``, ``checks``, ``urls``, ``tasks``,
``management``). ``old_paths`` keeps the former flat module paths
importing, with a warning.
"""

from . import old_paths

old_paths.install()
