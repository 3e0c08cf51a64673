"""System checks: each misconfiguration is reported at start-up with its id and a hint."""

import sys

import pytest
from django.core import checks
from django.test.utils import override_settings

# The checks run over the active models: their outcome depends on the model setting.
pytestmark = pytest.mark.each_combination


def errors_with_ids():
    return sorted(message.id for message in checks.run_checks() if message.is_serious())


def test_a_valid_configuration_has_no_errors():
    assert errors_with_ids() == []


@pytest.mark.parametrize(
    ("value", "error_id"),
    [
        ("TaskResult", "django_celery_results.E001"),
        ("a.b.c", "django_celery_results.E001"),
        ("nowhere.TaskResult", "django_celery_results.E002"),
        ("testapp.Missing", "django_celery_results.E002"),
        ("testapp.Tenant", "django_celery_results.E003"),
    ],
)
def test_a_bad_task_result_model_setting_is_an_error(value, error_id):
    with override_settings(CELERY_RESULTS_TASKRESULT_MODEL=value):
        assert error_id in errors_with_ids()


@pytest.mark.parametrize(
    ("value", "error_id"),
    [
        ("GroupResult", "django_celery_results.E004"),
        ("testapp.Missing", "django_celery_results.E005"),
        ("testapp.TaskResult", "django_celery_results.E006"),
    ],
)
def test_a_bad_group_result_model_setting_is_an_error(value, error_id):
    with override_settings(CELERY_RESULTS_GROUPRESULT_MODEL=value):
        assert error_id in errors_with_ids()


def test_the_error_names_the_setting_and_hints_at_the_fix():
    with override_settings(CELERY_RESULTS_TASKRESULT_MODEL="testapp.Tenant"):
        (error,) = [m for m in checks.run_checks() if m.id.startswith("django_celery")]

    assert "CELERY_RESULTS_TASKRESULT_MODEL" in error.msg
    assert "AbstractTaskResult" in error.hint


@pytest.mark.parametrize(
    "value", ["tests.testapp.results.missing", "no_such_module.callback", "notadottedpath"]
)
def test_a_callback_that_cannot_be_imported_is_e010(value):
    with override_settings(CELERY_RESULTS_EXTEND_TASK_PROPS_CALLBACK=value):
        assert errors_with_ids() == ["django_celery_results.E010"]


@pytest.mark.parametrize("value", [42, "tests.settings.SECRET_KEY", {"a": 1}])
def test_a_callback_that_is_not_callable_is_e011(value):
    with override_settings(CELERY_RESULTS_EXTEND_TASK_PROPS_CALLBACK=value):
        assert errors_with_ids() == ["django_celery_results.E011"]


def test_a_callable_or_its_path_passes():
    for value in ("tests.testapp.results.extend_task_props", lambda request, props: {}):
        with override_settings(CELERY_RESULTS_EXTEND_TASK_PROPS_CALLBACK=value):
            assert errors_with_ids() == []


def test_the_public_distribution_installed_beside_ours_is_e020(tmp_path, monkeypatch):
    info = tmp_path / "django_celery_results-2.6.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: django-celery-results\nVersion: 2.6.0\n"
    )
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])

    errors = [m for m in checks.run_checks() if m.is_serious()]

    assert [error.id for error in errors] == ["django_celery_results.E020"]
    assert "pip uninstall django-celery-results" in errors[0].hint


def test_a_custom_model_whose_foreign_key_leads_a_composite_index_passes():
    with override_settings(CELERY_RESULTS_TASKRESULT_MODEL="testapp.TaskResult"):
        assert "django_celery_results.W001" not in [m.id for m in checks.run_checks()]


def test_a_foreign_key_without_a_composite_index_is_w001(monkeypatch):
    from tests.testapp.models import TaskResult

    unindexed = [index for index in TaskResult._meta.indexes if "tenant" not in index.fields]
    monkeypatch.setattr(TaskResult._meta, "indexes", unindexed)
    with override_settings(CELERY_RESULTS_TASKRESULT_MODEL="testapp.TaskResult"):
        warnings = [m for m in checks.run_checks() if m.id == "django_celery_results.W001"]

    assert len(warnings) == 1
    assert "testapp.TaskResult.tenant" in warnings[0].msg
    assert 'models.Index(fields=["tenant", "-date_created"])' in warnings[0].hint


def warning_ids():
    return {message.id for message in checks.run_checks() if not message.is_serious()}


def test_workers_that_store_a_start_time_raise_no_warning(celery_app):
    assert celery_app.conf.task_track_started
    assert "django_celery_results.W002" not in warning_ids()


def test_workers_that_store_no_start_time_are_warned_about_naming_the_setting(celery_app):
    celery_app.conf.task_track_started = False
    try:
        (warning,) = [m for m in checks.run_checks() if m.id == "django_celery_results.W002"]
    finally:
        celery_app.conf.task_track_started = True
    assert "runtime" in warning.msg
    assert "CELERY_TASK_TRACK_STARTED = True" in warning.hint


def test_the_django_settings_are_read_when_the_celery_app_is_not_loaded(monkeypatch):
    from celery import Celery

    unconfigured = Celery("unconfigured", set_as_current=False)
    monkeypatch.setattr("celery.current_app", unconfigured)  # the default app of a bare process
    with override_settings(CELERY_TASK_TRACK_STARTED=False):
        assert "django_celery_results.W002" in warning_ids()
    with override_settings(CELERY_TASK_TRACK_STARTED=True):
        assert "django_celery_results.W002" not in warning_ids()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CELERY_RESULTS_SCOPE_QUERYSET", "nowhere.scope"),
        ("CELERY_RESULTS_SCOPE_QUERYSET", 3),
        ("CELERY_RESULTS_REDACT_HOOK", "nowhere.is_secret"),
        ("CELERY_RESULTS_REDACT_KEYS", "password"),
        ("CELERY_RESULTS_REDACT_MASK", None),
        ("CELERY_RESULTS_STATUS_VIEWS_PUBLIC", "yes"),
    ],
)
def test_bad_status_view_and_masking_settings_are_e030(settings, name, value):
    from django_celery_results.checks import check_status_view_and_masking_settings

    setattr(settings, name, value)

    errors = check_status_view_and_masking_settings()

    assert [error.id for error in errors] == ["django_celery_results.E030"]
    assert name in errors[0].msg


def test_the_default_status_view_and_masking_settings_pass():
    from django_celery_results.checks import check_status_view_and_masking_settings

    assert check_status_view_and_masking_settings() == []


def test_results_stored_with_their_task_name_and_arguments_raise_no_warning(celery_app):
    assert celery_app.conf.result_extended
    assert "django_celery_results.W003" not in warning_ids()


def test_results_stored_without_task_name_and_arguments_are_warned_about(celery_app):
    celery_app.conf.result_extended = False
    try:
        (warning,) = [m for m in checks.run_checks() if m.id == "django_celery_results.W003"]
    finally:
        celery_app.conf.result_extended = True
    assert "null" in warning.msg
    assert "CELERY_RESULT_EXTENDED = True" in warning.hint


def test_result_extended_is_read_from_the_django_settings_without_a_celery_app(monkeypatch):
    from celery import Celery

    unconfigured = Celery("unconfigured", set_as_current=False)
    monkeypatch.setattr("celery.current_app", unconfigured)
    with override_settings(CELERY_RESULT_EXTENDED=False):
        assert "django_celery_results.W003" in warning_ids()
    with override_settings(CELERY_RESULT_EXTENDED=True):
        assert "django_celery_results.W003" not in warning_ids()
