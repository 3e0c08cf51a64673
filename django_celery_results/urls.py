"""URLs of the JSON status views (names as in django-celery-results).

Include them with ``path("celery/", include("django_celery_results.urls"))``.
The older id-first paths stay unless ``DJANGO_CELERY_RESULTS_ID_FIRST_URLS = False``.
"""

from django.conf import settings
from django.urls import path, register_converter

from . import views


class TaskPatternConverter:
    """Match task and group ids, which are not always UUIDs."""

    regex = r"[\w\d\-\.]+"

    def to_python(self, value: str) -> str:
        return str(value)

    def to_url(self, value: str) -> str:
        return value


register_converter(TaskPatternConverter, "task_pattern")

urlpatterns = [
    path(
        "task/done/<task_pattern:task_id>/",
        views.is_task_successful,
        name="celery-is_task_successful",
    ),
    path("task/status/<task_pattern:task_id>/", views.task_status, name="celery-task_status"),
    path(
        "group/done/<task_pattern:group_id>/",
        views.is_group_successful,
        name="celery-is_group_successful",
    ),
    path("group/status/<task_pattern:group_id>/", views.group_status, name="celery-group_status"),
]

if getattr(settings, "DJANGO_CELERY_RESULTS_ID_FIRST_URLS", True):
    urlpatterns += [
        path("<task_pattern:task_id>/done/", views.is_task_successful),
        path("<task_pattern:task_id>/status/", views.task_status),
        path("<task_pattern:group_id>/group/done/", views.is_group_successful),
        path("<task_pattern:group_id>/group/status/", views.group_status),
    ]
