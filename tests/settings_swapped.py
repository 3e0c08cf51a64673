"""Test settings with the task result model swapped for the test app's custom one."""

import os

os.environ.setdefault("CRA_SETTINGS_TAG", "swapped")

from tests.settings import *  # noqa: F403

CELERY_RESULTS_TASKRESULT_MODEL = "testapp.TaskResult"
CELERY_RESULTS_EXTEND_TASK_PROPS_CALLBACK = "tests.testapp.results.extend_task_props"
