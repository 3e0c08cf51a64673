"""``manage.py check`` in a fresh process names a bad model setting, even with the admin installed.

The admin is discovered before the checks run; it must not fail first
with a traceback.
"""

from __future__ import annotations

import pytest

from tests.throwaway import ThrowawayProject


@pytest.fixture
def project(tmp_path):
    return ThrowawayProject(tmp_path / "project")


def test_a_correct_project_passes_the_checks(project):
    finished = project.run("check")

    assert finished.returncode == 0, finished.stderr
    assert "no issues" in finished.stdout


@pytest.mark.parametrize(
    ("setting", "error_id"),
    [
        ('CELERY_RESULTS_TASKRESULT_MODEL = "TaskResult"', "django_celery_results.E001"),
        ('CELERY_RESULTS_TASKRESULT_MODEL = "myapp.TaskResul"', "django_celery_results.E002"),
        ('CELERY_RESULTS_TASKRESULT_MODEL = "auth.User"', "django_celery_results.E003"),
        ('CELERY_RESULTS_GROUPRESULT_MODEL = "GroupResult"', "django_celery_results.E004"),
        ('CELERY_RESULTS_GROUPRESULT_MODEL = "myapp.Group"', "django_celery_results.E005"),
    ],
)
def test_a_bad_model_setting_is_reported_by_its_check_not_a_traceback(project, setting, error_id):
    project.extra = setting

    finished = project.run("check")

    assert finished.returncode == 1
    assert f"({error_id})" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_a_custom_model_whose_app_is_not_installed_is_e002(project):
    project.extra = 'CELERY_RESULTS_TASKRESULT_MODEL = "testapp.TaskResult"'

    finished = project.run("check")

    assert "(django_celery_results.E002)" in finished.stderr
    assert "INSTALLED_APPS" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_the_custom_model_is_in_the_admin_once_its_app_is_installed(project):
    project.apps.append("tests.testapp")
    project.extra = 'CELERY_RESULTS_TASKRESULT_MODEL = "testapp.TaskResult"'
    script = (
        "from django.contrib import admin; "
        "from tests.testapp.models import TaskResult; "
        "print(admin.site.is_registered(TaskResult))"
    )

    finished = project.run("shell", "-c", script)

    assert finished.stdout.strip().endswith("True"), finished.stderr
