"""The Celery app of the workers the reliability tests start.

Its one addition to a plain Django project's app is a receiver of Celery's
``task_internal_error`` signal that logs the id of each task whose result
may not have been stored: Celery's own log records of such errors often do
not name the task (``Pool callback raised exception: OperationalError(...)``),
and error trackers hook this same signal.
"""

import logging
import os

from celery import Celery
from celery.signals import task_internal_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.reliability.worker_settings")

# Not the current app of the test process, whose tasks must keep going to its own
# worker's queue; a worker makes its app current itself.
app = Celery("reliability", set_as_current=False)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["tests.testapp", "tests.reliability"])

logger = logging.getLogger("tests.reliability")
INTERNAL_ERROR_RECORD = "Internal error of task [%s]: its result may not be stored: %r"


@task_internal_error.connect
def log_internal_error(sender=None, task_id=None, exception=None, **kwargs):
    logger.error(INTERNAL_ERROR_RECORD, task_id, exception)
