"""URLs of the JSON status views (names as in django-celery-results).

Include them with ``path("celery/", include("django_celery_results.urls"))``.
The older id-first paths stay unless ``DJANGO_CELERY_RESULTS_ID_FIRST_URLS = False``.
"""

import re
from urllib.parse import quote

from django.conf import settings
from django.urls import path, register_converter

from . import views
from .url_ids import id_from_segment


class TaskPatternConverter:
    """Match task and group ids, which are not always UUIDs.

    Ids of letters, digits, ``-``, ``_`` and ``.`` are written as they are,
    as in django-celery-results; any other id (with a space, a ``/``, a
    ``:``...) is percent-encoded, so every stored id has a URL (see
    :mod:`django_celery_results.url_ids`).
    """

    regex = r"[\w\-\.%]+"

    def to_python(self, value: str) -> str:
        task_id = id_from_segment(value)
        if "\x00" in task_id:
            raise ValueError("no task id holds a NUL character")  # the URL does not match
        return task_id

    def to_url(self, value: str) -> str:
        if value in (".", ".."):
            return "%2E" * len(value)
        return value if _PLAIN_ID.fullmatch(value) else quote(value, safe="")


_PLAIN_ID = re.compile(r"[\w\-\.]+")


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
