"""``manage.py check`` in a fresh process names a broken API set-up instead of a traceback."""

from __future__ import annotations

import pytest

from tests.throwaway import ThrowawayProject


@pytest.fixture
def project(tmp_path):
    return ThrowawayProject(tmp_path / "project")


@pytest.mark.parametrize(
    ("setting", "error_id"),
    [
        ('RESULTS_API = {"PAGESIZE": 3}', "results_api.E001"),
        ('RESULTS_API = {"PERMISSION_CLASSES": ["myapp.Nowhere"]}', "results_api.E002"),
        ('RESULTS_API = {"PAGINATION_CLASS": "myapp.Nowhere"}', "results_api.E002"),
    ],
)
def test_a_bad_results_api_setting_is_reported_by_its_check(project, setting, error_id):
    project.extra = setting

    finished = project.run("check")

    assert finished.returncode == 1
    assert f"({error_id})" in finished.stderr
    assert "Traceback" not in finished.stderr


@pytest.mark.parametrize("app", ["rest_framework", "django_filters", "django_celery_results"])
def test_a_missing_app_the_api_needs_is_e007_naming_it(project, app):
    project.apps.remove(app)

    finished = project.run("check")

    assert finished.returncode == 1
    assert "(results_api.E007)" in finished.stderr
    assert f'Add "{app}" to INSTALLED_APPS' in finished.stderr
    assert "Traceback" not in finished.stderr


def test_drf_spectacular_without_its_schema_class_is_e009(project):
    project.apps.append("drf_spectacular")

    finished = project.run("check")

    assert finished.returncode == 1
    assert "(results_api.E009)" in finished.stderr
    assert "DEFAULT_SCHEMA_CLASS" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_drf_spectacular_with_its_schema_class_passes(project):
    project.apps.append("drf_spectacular")
    project.extra = (
        'REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}'
    )

    finished = project.run("check")

    assert finished.returncode == 0, finished.stderr


@pytest.mark.parametrize(
    "setting",
    ['DEFAULT_AUTO_FIELD = "django.db.models.AutoField"', "del DEFAULT_AUTO_FIELD"],
    ids=["auto-field", "unset"],
)
def test_any_default_auto_field_asks_no_migration_and_no_warning(project, setting):
    project.extra = setting

    checked = project.run("check")
    migrations = project.run("makemigrations", "--check", "--dry-run")

    assert "no issues" in checked.stdout, checked.stderr
    assert migrations.returncode == 0, migrations.stdout
