"""The bulk actions in the OpenAPI schema: documented once turned on, absent before."""

from __future__ import annotations

import pytest
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator

SPECTACULAR = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
ROUTE = "/api/results/tasks/bulk/{bulk_action}/"


def operations(settings) -> dict:
    settings.REST_FRAMEWORK = SPECTACULAR
    patterns = [path("api/results/", include("results_api.urls"))]
    return SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)["paths"]


@pytest.mark.django_db
def test_the_bulk_endpoint_is_left_out_of_the_schema_until_turned_on(settings):
    assert ROUTE not in operations(settings)


@pytest.mark.django_db
def test_the_bulk_preview_and_confirmation_are_documented_once_on(settings):
    settings.RESULTS_API = {"BULK_ACTIONS": ["delete"]}

    documented = operations(settings)[ROUTE]

    assert set(documented) == {"get", "post"}
    assert {"200", "400", "403", "404"} <= set(documented["get"]["responses"])
    assert "409" in documented["post"]["responses"]
    assert any(parameter["name"] == "status" for parameter in documented["get"]["parameters"])
