"""The OpenAPI schema drf-spectacular generates: every filter typed, ordering as an enum."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator

from results_api.rest.filters import get_task_filterset_class

SPECTACULAR = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}


def _schema() -> dict:
    patterns = [path("api/results/", include("results_api.urls"))]
    with override_settings(REST_FRAMEWORK=SPECTACULAR):
        return SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)


def _parameters(schema: dict, path: str = "/api/results/tasks/") -> dict[str, dict]:
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}


@pytest.fixture
def custom_schema(custom_model):
    return _schema()


def test_schema_lists_every_filter_of_the_custom_model(custom_model, custom_schema):
    names = set(_parameters(custom_schema))
    assert set(get_task_filterset_class(custom_model).base_filters) <= names
    assert {"ordering", "cursor", "page_size"} <= names


INT64 = {"type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1}


def test_schema_types_a_foreign_key_to_an_integer_pk_as_integer(custom_schema):
    parameters = _parameters(custom_schema)
    assert parameters["tenant"]["schema"] == INT64
    assert parameters["tenant__in"]["schema"] == {"type": "array", "items": INT64}
    assert parameters["tenant__in"]["explode"] is False


def test_schema_types_choices_as_enum(custom_schema):
    parameters = _parameters(custom_schema)
    assert parameters["priority"]["schema"]["enum"] == ["high", "low", "normal"]
    assert parameters["priority__in"]["schema"]["items"]["enum"] == ["high", "low", "normal"]


def test_schema_types_status_as_enum_of_celery_states(custom_schema):
    from celery import states

    parameters = _parameters(custom_schema)
    assert set(parameters["status"]["schema"]["enum"]) == set(states.ALL_STATES)
    assert set(parameters["status__in"]["schema"]["items"]["enum"]) == set(states.ALL_STATES)


def test_schema_types_numbers_as_integer(custom_schema):
    parameters = _parameters(custom_schema)
    for name in ("attempt", "attempt__gte", "attempt__lte"):
        assert parameters[name]["schema"] == INT64


def test_schema_types_dates_as_date_time(custom_schema):
    parameters = _parameters(custom_schema)
    for field in ("date_created", "date_started", "date_done"):
        for bound in ("gte", "lte"):
            assert parameters[f"{field}__{bound}"]["schema"] == {
                "type": "string",
                "format": "date-time",
            }


def test_schema_documents_ordering_as_an_enum_of_fields(custom_schema):
    ordering = _parameters(custom_schema)["ordering"]
    enum = set(ordering["schema"]["items"]["enum"])
    assert {"tenant", "-tenant", "priority", "-attempt", "date_done", "-date_created"} <= enum
    assert "result" not in enum


def test_schema_documents_page_size_bounds(custom_schema):
    page_size = _parameters(custom_schema)["page_size"]["schema"]
    assert (page_size["type"], page_size["minimum"], page_size["maximum"]) == ("integer", 1, 500)


def test_schema_documents_the_response_fields_with_extra_fields(custom_schema):
    component = custom_schema["components"]["schemas"]["TaskResult"]["properties"]
    assert component["tenant"]["type"] == "integer"
    assert component["attempt"]["type"] == "integer"
    assert component["runtime"]["type"] == "number"
    assert component["result"]["nullable"] is True


@pytest.mark.default_model
def test_schema_of_the_default_model_has_no_extra_filters(db):
    names = set(_parameters(_schema()))
    assert not {"tenant", "priority", "attempt"} & names
    assert {"status", "status__in", "task_name__in"} <= names


def test_schema_documents_group_filters(db):
    names = set(_parameters(_schema(), "/api/results/groups/"))
    assert {"group_id", "date_done__gte", "ordering", "cursor"} <= names


def test_schema_documents_stats_parameters_with_the_list_filters(custom_schema):
    parameters = _parameters(custom_schema, "/api/results/tasks/stats/")
    assert parameters["group_by"]["schema"]["items"]["enum"] == [
        "status",
        "task_name",
        "worker",
        "periodic_task_name",
        "exc_type",
        "exc_pattern",
        "tenant",
        "priority",
        "attempt",
    ]
    assert parameters["interval"]["schema"]["enum"] == ["day", "hour", "minute"]
    assert {"tenant", "status__in", "date_done__gte"} <= set(parameters)
    assert not {"ordering", "cursor", "page_size"} & set(parameters)


def test_schema_documents_stats_rows(custom_schema):
    response = custom_schema["paths"]["/api/results/tasks/stats/"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"]["$ref"].endswith("/TaskResultStats")
    row = custom_schema["components"]["schemas"]["TaskResultStatsRow"]
    assert row["properties"]["tenant"]["type"] == "integer"
    assert row["properties"]["bucket"]["format"] == "date-time"
    assert set(row["required"]) == {
        "count",
        "failures",
        "first_seen",
        "last_seen",
        "runtime_avg",
        "runtime_max",
        "runtime_p50",
        "runtime_p95",
        "wait_avg",
        "wait_max",
        "wait_p50",
        "wait_p95",
    }


# Operators: deltas, ETags, export, actions, throttles


def test_schema_documents_updated_since_as_a_date_time(custom_schema):
    updated_since = _parameters(custom_schema)["updated_since"]
    assert updated_since["schema"] == {"type": "string", "format": "date-time"}
    assert "Next-Updated-Since" in updated_since["description"]


@pytest.mark.parametrize(
    "path", ["/api/results/tasks/", "/api/results/tasks/{task_id}/", "/api/results/tasks/stats/"]
)
def test_schema_documents_if_none_match_its_304_and_the_throttles_429(custom_schema, path):
    operation = custom_schema["paths"][path]["get"]
    assert {"200", "304", "429"} <= set(operation["responses"])
    headers = [p for p in operation["parameters"] if p["in"] == "header"]
    assert [header["name"] for header in headers] == ["If-None-Match"]


def test_schema_documents_the_export_as_csv_with_the_lists_filters(custom_schema):
    operation = custom_schema["paths"]["/api/results/tasks/export/"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"text/csv"}
    names = set(_parameters(custom_schema, "/api/results/tasks/export/"))
    assert {"tenant", "status__in", "updated_since", "ordering"} <= names
    assert not {"cursor", "page_size"} & names


def test_schema_leaves_out_actions_that_are_off(custom_schema):
    assert not [path for path in custom_schema["paths"] if path.endswith(("/revoke/", "/retry/"))]


def test_schema_documents_actions_that_are_on(custom_model, settings):
    settings.RESULTS_API = {"REVOKE_ENABLED": True, "RETRY_ENABLED": True}
    paths = _schema()["paths"]
    revoke = paths["/api/results/tasks/{task_id}/revoke/"]["post"]
    retry = paths["/api/results/tasks/{task_id}/retry/"]["post"]
    assert revoke["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Revoke"
    )
    assert {"202", "404", "429", "503"} <= set(revoke["responses"])
    assert {"202", "404", "409", "429", "503"} <= set(retry["responses"])
    assert "requestBody" not in retry
