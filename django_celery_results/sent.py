"""Record tasks when they are sent: a PENDING row for each task message published.

With ``CELERY_RESULTS_TRACK_SENT = True``, each task this process sends
(``delay``, ``apply_async``, ``send_task``, every task of a group or chord
as Celery publishes it) gets a PENDING row: its id, name, args and kwargs
(encoded as ``result_extended`` stores them), its send time as
``date_created``, and the extend-props callback's values. The callback is
called with a request built from the outgoing message (``.id``, ``.task``,
``.args``, ``.kwargs``, ``.headers`` and every header as an attribute), so
a callback written for the worker's request works unchanged.

The row is stored by :mod:`django_celery_results.recorder` shortly after the
message is published, and never replaces a state a worker has stored. The
README's "Queued tasks" section says what this costs and guarantees.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import current_app, signals
from celery.app.task import Context
from django.db import router
from django.utils import timezone

from . import recorder
from .conf import TRACK_SENT, track_sent
from .setting_caches import forget_when_changed

logger = logging.getLogger(__name__)

_UID = "django_celery_results.sent"
# The time the current thread's last message was about to be published.
_publishing = threading.local()


def request_from_message(headers: dict[str, Any] | None, body: Any) -> Context:
    """Return a task request (Celery's ``Context``) built from an outgoing task message."""
    headers = dict(headers or {})
    if "id" in headers and isinstance(body, (tuple, list)):  # message protocol 2
        args, kwargs, embed = body
        fields = {**(embed or {}), **headers}
    else:  # protocol 1: everything is in the body
        fields = dict(body)
        args, kwargs = body.get("args"), body.get("kwargs")
    return Context(fields, args=list(args or ()), kwargs=dict(kwargs or {}), headers=headers)


def _task_id(headers: dict[str, Any] | None, body: Any) -> str | None:
    if headers and "id" in headers:
        return headers["id"]
    return body.get("id") if isinstance(body, dict) else None


def note_send_time(
    sender: Any = None, headers: Any = None, body: Any = None, **kwargs: Any
) -> None:
    """Keep the time a message is about to be published: its task's send time."""
    _publishing.task_id = _task_id(headers, body)
    _publishing.time = timezone.now()


def record_sent_task(
    sender: Any = None, headers: Any = None, body: Any = None, **kwargs: Any
) -> None:
    """Queue the PENDING row of a task just published (with the ``django-db`` backend).

    Not for a task sent with ``ignore_result``, whose worker stores no state.

    Never raises: the task is sent whatever happens here; a failure is
    logged with the task id.
    """
    from .backends.database import DatabaseBackend

    task_id = _task_id(headers, body)
    if headers and headers.get("ignore_result"):
        return  # no worker would ever store a state of it: it would stay PENDING
    try:
        backend = current_app.backend
        if not isinstance(backend, DatabaseBackend):
            return
        if getattr(_publishing, "task_id", None) == task_id:
            sent_at = _publishing.time
        else:
            sent_at = timezone.now()
        values, extension = backend.sent_task_values(request_from_message(headers, body), sent_at)
        model = backend.TaskModel
        recorder.add(model, router.db_for_write(model), values, extension)
    except Exception as exc:
        logger.error(
            "Task %s was sent but not recorded as PENDING: %r", task_id, exc, exc_info=True
        )


def flush_on_process_shutdown(**kwargs: Any) -> None:
    """Store what a worker's pool process has sent before it exits."""
    recorder.flush(timeout=5.0)


def update_receivers() -> None:
    """Connect the publish receivers when ``CELERY_RESULTS_TRACK_SENT`` is on, else remove them.

    Not connected at all when off: Celery skips a signal without receivers.
    """
    hooks = (
        (signals.before_task_publish, note_send_time),
        (signals.after_task_publish, record_sent_task),
        (signals.worker_process_shutdown, flush_on_process_shutdown),
    )
    for signal, function in hooks:
        uid = f"{_UID}.{function.__name__}"
        if track_sent():
            signal.connect(function, weak=False, dispatch_uid=uid)
        else:
            signal.disconnect(function, dispatch_uid=uid)


# After conf's own reset of track_sent (registered first, when conf was imported).
forget_when_changed(update_receivers, settings=(TRACK_SENT,))
