"""Tasks the real-worker tests run."""

from celery import shared_task


@shared_task
def add(x, y, tenant_id=None):
    return x + y


@shared_task
def fail(message="boom", tenant_id=None):
    raise ValueError(message)


@shared_task(bind=True, max_retries=3, default_retry_delay=0)
def retry_once(self, tenant_id=None):
    if self.request.retries == 0:
        raise self.retry(countdown=0)
    return self.request.retries


@shared_task
def collect(results, tenant_id=None):
    return sum(results)


@shared_task
def ping():
    return "pong"


@shared_task
def process_id(delay=0.0):
    """Return the id of the worker process that ran it, after ``delay`` seconds."""
    import os
    import time

    time.sleep(delay)
    return os.getpid()


@shared_task
def distinct(values):
    return sorted(set(values))
