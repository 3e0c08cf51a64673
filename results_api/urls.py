"""URLs of the results API (namespace ``results_api``)::

    path("api/results/", include("results_api.urls")),

``tasks/``, ``tasks/<task_id>/``, ``tasks/stats/``, ``tasks/export/``,
``tasks/<task_id>/revoke/`` and ``retry/`` (POST, off by default),
``groups/``, ``groups/<group_id>/``.
"""

from rest_framework.routers import SimpleRouter

from .views import GroupResultViewSet, TaskResultViewSet

app_name = "results_api"

# SimpleRouter: no format-suffix routes, which would misread task ids with dots.
router = SimpleRouter()
router.register("tasks", TaskResultViewSet, basename="task")
router.register("groups", GroupResultViewSet, basename="group")

urlpatterns = router.urls
