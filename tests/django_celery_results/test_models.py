"""The models: upstream's tables and indexes, the swappable TaskResult and its getters."""

from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import connection
from django.test.utils import override_settings

from django_celery_results.models import (
    ChordCounter,
    GroupResult,
    TaskResult,
    get_group_result_model,
    get_task_result_model,
)
from django_celery_results.models.abstract import AbstractTaskResult
from tests.testapp.models import TaskResult as CustomTaskResult

UPSTREAM_INDEX_NAMES = {
    "django_cele_task_na_08aec9_idx",
    "django_cele_status_9b6201_idx",
    "django_cele_worker_d54dd8_idx",
    "django_cele_date_cr_f04a50_idx",
    "django_cele_date_do_f59aad_idx",
    "django_cele_periodi_1993cf_idx",
}


def test_default_models_use_the_upstream_tables():
    assert [m._meta.db_table for m in (TaskResult, GroupResult, ChordCounter)] == [
        "django_celery_results_taskresult",
        "django_celery_results_groupresult",
        "django_celery_results_chordcounter",
    ]


def test_default_task_result_keeps_the_upstream_index_names():
    assert {index.name for index in TaskResult._meta.indexes} == UPSTREAM_INDEX_NAMES


def test_a_custom_model_gets_index_names_of_its_own():
    names = {index.name for index in CustomTaskResult._meta.indexes}

    assert len(names) == len(CustomTaskResult._meta.indexes)
    assert not names & UPSTREAM_INDEX_NAMES


@contextmanager
def setting_removed(name):
    """Remove a setting for a while, announced as override_settings announces a change."""
    with override_settings():
        if hasattr(settings, name):
            delattr(settings, name)
        setting_changed.send(sender=None, setting=name, value=None, enter=True)
        yield
    setting_changed.send(
        sender=None, setting=name, value=getattr(settings, name, None), enter=False
    )


def test_the_default_active_model_is_the_package_task_result():
    with (
        setting_removed("CELERY_RESULTS_TASKRESULT_MODEL"),
        setting_removed("CELERY_RESULTS_GROUPRESULT_MODEL"),
    ):
        assert get_task_result_model() is TaskResult
        assert get_group_result_model() is GroupResult


def test_the_setting_swaps_the_active_model():
    with override_settings(CELERY_RESULTS_TASKRESULT_MODEL="testapp.TaskResult"):
        assert get_task_result_model() is CustomTaskResult
        assert TaskResult._meta.swapped == "testapp.TaskResult"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("TaskResult", "must be of the form 'app_label.ModelName'"),
        ("testapp.Missing", "has not been installed"),
        ("testapp.Tenant", "does not subclass"),
    ],
)
def test_a_bad_setting_raises_improperly_configured_naming_it(value, message):
    with (
        override_settings(CELERY_RESULTS_TASKRESULT_MODEL=value),
        pytest.raises(ImproperlyConfigured, match=message) as info,
    ):
        get_task_result_model()
    assert "CELERY_RESULTS_TASKRESULT_MODEL" in str(info.value)


def test_extra_fields_are_what_a_subclass_adds():
    assert [field.name for field in CustomTaskResult.extra_fields()] == [
        "tenant",
        "priority",
        "attempt",
    ]
    assert TaskResult.extra_fields() == []


def test_the_abstract_model_declares_no_named_index():
    assert all(not index.name for index in AbstractTaskResult._meta.indexes)


def test_as_dict_holds_the_values_celery_reads():
    row = TaskResult(task_id="t-1", status="SUCCESS", result="1")

    assert set(row.as_dict()) == {
        "task_id",
        "task_name",
        "task_args",
        "task_kwargs",
        "status",
        "result",
        "date_done",
        "traceback",
        "meta",
        "worker",
    }


def test_chord_counter_header_task_ids_flatten_nested_groups():
    sub_tasks = '[[["a", null], null], [["g", null], [[["b", null], null], [["c", null], null]]]]'

    assert sorted(ChordCounter(sub_tasks=sub_tasks).header_task_ids()) == ["a", "b", "c"]


@pytest.mark.django_db
@pytest.mark.swapped
def test_a_swapped_project_has_no_default_task_table():
    assert "django_celery_results_taskresult" not in connection.introspection.table_names()


@pytest.mark.django_db
@pytest.mark.default_model
def test_a_default_project_has_the_default_task_table():
    assert "django_celery_results_taskresult" in connection.introspection.table_names()
