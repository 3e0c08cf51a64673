"""The catalogue of standard task fields: every consumer answers what it describes, as before.

Each consumer is asked through its public face (the metadata, the list, the
stats, the search syntax and text, the metrics labels, the rollup) and
compared twice: with the catalogue, and with what the API answered before
the catalogue existed, written out here once.
"""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from django_celery_results.columns import CONTENT_COLUMNS, DATE_COLUMNS, concrete_field
from django_celery_results.models import get_task_result_model
from results_api.fields.catalogue import (
    COMPUTED_GROUP_BY,
    CONTENT,
    GROUP_BY,
    METRIC_LABELS,
    ORDERED,
    ROLLED_UP,
    SHOWN,
    STANDARD,
    STANDARD_FIELDS,
)
from results_api.fields.rules import field_kind
from results_api.metrics.labels import label_set
from results_api.search.syntax import SEARCHED_CONTENT, parse
from results_api.search.text import COLUMNS, searchable_text
from results_api.stats.rollups import rollup_dimensions

# What the API answered for the standard fields before the catalogue: (name, label, kind,
# orderable) in the metadata, in the representation's order.
STANDARD_METADATA_BEFORE = [
    ("task_id", "Task id", "char", True),
    ("task_name", "Task", "char", True),
    ("status", "Status", "choices", True),
    ("worker", "Worker", "char", True),
    ("periodic_task_name", "Periodic task", "char", True),
    ("date_created", "Created", "date", True),
    ("date_started", "Started", "date", True),
    ("date_done", "Done", "date", True),
    ("runtime", "Runtime", "number", True),
    ("wait", "Waiting time", "number", True),
    ("args", "Arguments", "json", False),
    ("kwargs", "Keyword arguments", "json", False),
    ("result", "Result", "json", False),
    ("traceback", "Traceback", "text", False),
    ("meta", "Meta", "json", False),
    ("content_type", "Content type", "char", False),
]
FILTERS_BEFORE = {
    "task_id": {"exact": "task_id", "startswith": "task_id__startswith", "in": "task_id__in"},
    "task_name": {
        "exact": "task_name",
        "in": "task_name__in",
        "icontains": "task_name__icontains",
    },
    "status": {"exact": "status", "in": "status__in"},
    "worker": {"exact": "worker"},
    "periodic_task_name": {"exact": "periodic_task_name"},
    "date_created": {"gte": "date_created__gte", "lte": "date_created__lte"},
    "date_started": {"gte": "date_started__gte", "lte": "date_started__lte"},
    "date_done": {"gte": "date_done__gte", "lte": "date_done__lte"},
}
ORDERING_BEFORE = [
    "task_id",
    "task_name",
    "status",
    "worker",
    "periodic_task_name",
    "date_created",
    "date_started",
    "date_done",
    "runtime",
    "wait",
]
GROUP_BY_BEFORE = ["status", "task_name", "worker", "periodic_task_name", "exc_type", "exc_pattern"]


def metadata(client) -> dict:
    response = client.get(reverse("results_api:task-metadata"))
    assert response.status_code == 200, response.content
    return response.json()


def standard_entries(body: dict) -> list[dict]:
    return [field for field in body["fields"] if field["name"] in STANDARD]


def test_the_metadata_describes_the_standard_fields_as_before(staff_client):
    described = [
        (field["name"], field["label"], field["kind"], field["orderable"])
        for field in standard_entries(metadata(staff_client))
    ]
    assert described == STANDARD_METADATA_BEFORE


def test_the_metadata_labels_and_kinds_are_the_catalogues(staff_client):
    for field in standard_entries(metadata(staff_client)):
        entry = STANDARD[field["name"]]
        assert field["label"] == entry.label
        # A filter with choices makes a select of any field: the status' states.
        assert field["kind"] == ("choices" if field.get("choices") else entry.kind)


def test_the_standard_filters_are_the_catalogues_lookups_as_before(staff_client):
    filters = {
        field["name"]: field["filters"]
        for field in standard_entries(metadata(staff_client))
        if field["filters"]
    }
    assert filters == FILTERS_BEFORE
    assert {name: tuple(lookups) for name, lookups in filters.items() if name not in CONTENT} == {
        field.name: field.lookups for field in STANDARD_FIELDS if field.lookups
    }


def test_a_status_filter_accepts_the_catalogues_choices_only(staff_client, make_task):
    make_task(status="FAILURE")
    url = reverse("results_api:task-list")
    assert len(staff_client.get(url, {"status__in": "FAILURE,RETRY"}).json()["results"]) == 1
    response = staff_client.get(url, {"status": "BROKEN"})
    assert response.status_code == 400
    assert "status" in response.json()
    assert {value for value, _ in STANDARD["status"].choices} >= {"FAILURE", "RETRY"}


def test_a_task_shows_the_catalogues_fields_in_its_order(staff_client, make_task):
    make_task()
    item = staff_client.get(reverse("results_api:task-list")).json()["results"][0]
    assert [name for name in item if name in STANDARD] == list(SHOWN)
    assert list(SHOWN) == [name for name, *_ in STANDARD_METADATA_BEFORE]


def test_ordering_accepts_the_catalogues_ordered_fields_as_before(staff_client):
    ordering = metadata(staff_client)["ordering"]
    assert ordering[: len(ORDERED)] == list(ORDERED) == ORDERING_BEFORE
    response = staff_client.get(reverse("results_api:task-list"), {"ordering": "nope"})
    assert response.status_code == 400
    assert ", ".join(ORDERING_BEFORE) in response.json()["ordering"][0]


def test_group_by_accepts_the_catalogues_groups_as_before(staff_client):
    group_by = metadata(staff_client)["group_by"]
    assert group_by[: len(GROUP_BY_BEFORE)] == [*GROUP_BY, *COMPUTED_GROUP_BY] == GROUP_BY_BEFORE
    response = staff_client.get(reverse("results_api:task-stats"), {"group_by": "nope"})
    assert response.status_code == 400
    assert ", ".join(GROUP_BY_BEFORE) in response.json()["group_by"][0]


@pytest.mark.each_combination  # on each model setting
def test_the_rollup_counts_by_the_catalogues_dimensions_first():
    dimensions = rollup_dimensions(get_task_result_model())
    assert dimensions[: len(ROLLED_UP)] == ROLLED_UP
    assert ROLLED_UP == ("task_name", "worker", "periodic_task_name")


@pytest.mark.each_combination
@pytest.mark.parametrize("name", METRIC_LABELS)
def test_a_standard_field_the_catalogue_offers_labels_the_metrics(settings, name):
    settings.RESULTS_API = {"METRICS_LABELS": [name]}
    assert label_set(get_task_result_model()).names == (name,)


@pytest.mark.each_combination
def test_a_standard_field_the_catalogue_does_not_offer_is_no_metrics_label(settings):
    settings.RESULTS_API = {"METRICS_LABELS": ["date_done"]}
    with pytest.raises(ImproperlyConfigured):
        label_set(get_task_result_model())
    assert METRIC_LABELS == ("worker", "periodic_task_name")


def test_a_search_targets_the_catalogues_stored_content_only():
    assert SEARCHED_CONTENT == CONTENT == ("args", "kwargs", "result", "meta")
    for name in CONTENT:
        assert parse(f"{name}.key:value").terms[0].path == f"{name}.key"
    assert parse("traceback.key:value").terms[0].path is None


def test_the_searchable_text_reads_the_catalogues_searched_fields_in_order(make_task):
    assert COLUMNS == (
        "task_id",
        "task_name",
        "task_args",
        "task_kwargs",
        "result",
        "meta",
        "content_type",
    )
    row = make_task(
        task_id="t-1",
        task_args=json.dumps("(1, 2)"),
        task_kwargs=json.dumps("{'password': 'x', 'a': 1}"),
        meta=json.dumps({"k": [1, {"token": "s"}]}),
    )
    text = searchable_text(get_task_result_model(), [getattr(row, c) for c in COLUMNS])
    assert text == (
        "\ntask_id=t-1\ntask_name=tests.testapp.tasks.add\nargs=1\nargs=2"
        "\nkwargs.password=********\nkwargs.a=1\nresult=3\nmeta.k=1\nmeta.k.token=********\n"
    )


@pytest.mark.each_combination
def test_each_standard_field_reads_a_column_of_the_active_model_of_its_kind():
    model = get_task_result_model()
    for field in STANDARD_FIELDS:
        if field.column is None:
            assert field.duration is not None and field.duration.name == field.name
            continue
        column = concrete_field(model, field.column)
        if field.kind in ("char", "date"):  # what the column's class says
            assert field_kind(column).value == field.kind, field.name
        assert field.content == (field.kind == "json") == (field.column in CONTENT_COLUMNS)
        assert field.date == (field.kind == "date") == (field.column in DATE_COLUMNS)


def test_the_task_shows_each_stored_content_masked_as_the_catalogue_says(staff_client, make_task):
    secret = {"password": "hunter2", "order": 7}
    make_task(
        task_args=json.dumps("('hunter2',)"),
        task_kwargs=json.dumps("{'password': 'hunter2', 'order': 7}"),
        result=json.dumps(secret),
        meta=json.dumps(secret),
    )
    item = staff_client.get(reverse("results_api:task-list")).json()["results"][0]
    for name in CONTENT:
        if STANDARD[name].arguments:  # Celery's repr, masked in place and kept a string
            assert isinstance(item[name], str)
        else:
            assert item[name] == {"password": "********", "order": 7}
    assert item["kwargs"] == "{'password': '********', 'order': 7}"
