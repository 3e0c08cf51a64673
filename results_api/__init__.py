"""A REST API over the stored Celery results, built from the active task result model.

Read-only unless a project turns on its revoke and retry actions.

    INSTALLED_APPS += ["rest_framework", "django_filters", "results_api"]
    urlpatterns += [path("api/results/", include("results_api.urls"))]

Settings: ``RESULTS_API`` (see :mod:`results_api.conf`).
"""
