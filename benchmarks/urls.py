from django.urls import include, path

urlpatterns = [path("api/results/", include("results_api.urls"))]
