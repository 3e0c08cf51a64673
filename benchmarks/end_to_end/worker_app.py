"""The end-to-end benchmark's Celery app and tasks; also its client, run in either virtualenv.

    python worker_app.py latency < task ids   -> {"median_us": ..., "p90_us": ...}
    python worker_app.py chord N               -> {"started": epoch, "body_id": ...}

It imports nothing of this repository, so that the django-celery-results
2.6.0 virtualenv runs it with its own ``django_celery_results``.
"""

import json
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "worker_settings")

from celery import Celery, chord

app = Celery("bench_e2e")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="bench.noop")
def noop(number):
    """A task that does nothing but return: the cost measured is the result store's."""
    return number


@app.task(name="bench.collect")
def collect(parts):
    """A chord body: how many header results it received."""
    return len(parts)


def state_latency(task_ids):
    """Time ``AsyncResult(id).state`` of stored results, one fresh id per call."""
    timings = []
    for task_id in task_ids:
        started = time.perf_counter()
        state = app.AsyncResult(task_id).state
        timings.append(time.perf_counter() - started)
        assert state == "SUCCESS", state
    timings.sort()
    return {
        "median_us": statistics.median(timings) * 1e6,
        "p90_us": timings[int(len(timings) * 0.9)] * 1e6,
    }


def send_chord(size):
    """Send a chord of ``size`` no-op header tasks; return when it was sent and its body id."""
    header = [noop.s(number) for number in range(size)]
    started = time.time()
    result = chord(header, app=app)(collect.s())
    return {"started": started, "body_id": result.id}


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1] == "latency":
        print(json.dumps(state_latency(sys.stdin.read().split())))
    elif sys.argv[1] == "chord":
        print(json.dumps(send_chord(int(sys.argv[2]))))
    else:
        raise SystemExit(f"unknown command {sys.argv[1]}")
