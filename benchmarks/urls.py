from django.contrib import admin
from django.urls import include, path

from benchmarks import reference

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/results/", include("results_api.urls")),
    path("metrics", include("results_api.metrics.urls")),
    path("ref/tasks/", reference.task_list),
    path("ref/tasks/after/", reference.task_list_after),
    path("ref/tasks/stats/", reference.task_stats),
    path("ref/tasks/search/", reference.task_search),
    path("ref/tasks/<str:task_id>/", reference.task_detail),
]
