"""Tasks of the reliability tests' workers."""

import os
import random
import time

from celery import shared_task
from django.db import connection

BODY_RUNS_TABLE = "reliability_chord_body_run"


@shared_task
def slow_add(x, y, delay=0.02, tenant_id=None):
    """Add after ``delay`` seconds, so that a run of many lasts long enough to be disturbed."""
    time.sleep(delay)
    return x + y


@shared_task
def jittered_part(chord_number, index, max_delay=0.01):
    """One header task of a chord: finishes after a random fraction of ``max_delay``."""
    time.sleep(random.random() * max_delay)
    return [chord_number, index, os.getpid()]


@shared_task
def counted_body(parts, chord_number):
    """A chord body that records each of its runs in the database, then sums its header."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BODY_RUNS_TABLE} (chord_number, pid) VALUES (%s, %s)",
            [chord_number, os.getpid()],
        )
    return {"chord": chord_number, "parts": len(parts), "pids": sorted({p[2] for p in parts})}


@shared_task(bind=True)
def redelivered(self, value, delay=0.0):
    """Return ``value`` after ``delay``: sent twice under one task id, as a redelivery."""
    time.sleep(delay)
    return value


@shared_task
def exit_process():
    """End the pool process running it: the worker's main process stores the failure."""
    os._exit(1)


@shared_task
def timed_part(chord_number, index, delay):
    """One header task of a chord that finishes after exactly ``delay`` seconds."""
    time.sleep(delay)
    return [chord_number, index, os.getpid()]


@shared_task
def create_tenant(name):
    """A task's own ORM work: one row of the test app, committed on its own."""
    from tests.testapp.models import Tenant

    return Tenant.objects.create(name=name).pk


@shared_task
def leave_transaction_open(name, how):
    """Write a row, then return without ending the transaction it is in.

    ``how``: ``begin`` (a raw BEGIN Django does not know of), ``autocommit``
    (autocommit turned off, never committed) or ``atomic`` (a block entered, never left).
    """
    from django.db import transaction

    from tests.testapp.models import Tenant

    if how == "begin":
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
    elif how == "autocommit":
        transaction.set_autocommit(False)
    elif how == "atomic":
        transaction.atomic().__enter__()
    Tenant.objects.create(name=name)
    return how


@shared_task
def break_connection():
    """End the database session of this task's connection from the server side."""
    from django.db import OperationalError

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    except OperationalError:
        pass
    return "broken"
