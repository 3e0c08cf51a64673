"""URLs of the results API (namespace ``results_api``)::

    path("api/results/", include("results_api.urls")),

``tasks/``, ``tasks/<task_id>/``, ``tasks/stats/``, ``tasks/export/``,
``tasks/<task_id>/revoke/`` and ``retry/`` (POST, off by default),
``groups/``, ``groups/<group_id>/``, ``groups/<group_id>/tasks/``.
"""

from django.apps import apps
from rest_framework.routers import SimpleRouter

app_name = "results_api"

# SimpleRouter: no format-suffix routes, which would misread task ids with dots.
router = SimpleRouter()
urlpatterns = []
# Without the result store's app its models cannot be imported; no routes
# then, so that `manage.py check` runs and results_api.E007 names the app.
if apps.is_installed("django_celery_results"):
    from .rest.views import GroupResultViewSet, TaskResultViewSet

    router.register("tasks", TaskResultViewSet, basename="task")
    router.register("groups", GroupResultViewSet, basename="group")
    urlpatterns = router.urls
