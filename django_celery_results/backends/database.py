"""The ``django-db`` result backend: task, group and chord state in Django models.

Each method does one step and leaves the SQL to the managers; the task
result model is the active one (``CELERY_RESULTS_TASKRESULT_MODEL``).

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``BaseDatabaseWrapper.in_atomic_block``. Celery (not a
Django library, named for completeness): ``BaseBackend._encode()`` and
``GroupResult._failed_join_report()``.
"""

from __future__ import annotations

import binascii
import contextlib
import datetime
import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from celery import maybe_signature, states
from celery.backends.base import BaseDictBackend, get_current_task
from celery.exceptions import ChordError
from celery.result import GroupResult, allow_join_result, result_from_tuple
from celery.utils.serialization import b64decode, b64encode
from django.db import connections, router
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import DecodeError
from kombu.serialization import loads

from .. import codec, refusals
from ..conf import UNFINISHED_EXPIRES, get_setting
from ..extension import extend_task_properties
from ..models import ChordCounter, get_group_result_model, get_task_result_model
from ..models.abstract import AbstractGroupResult, AbstractTaskResult

logger = logging.getLogger(__name__)

# Connection-level errors after which a fresh connection may succeed.
RETRYABLE_ERRORS = (InterfaceError, OperationalError)
EXCEPTIONS_TO_CATCH = RETRYABLE_ERRORS  # upstream's name
EMPTY_META: dict[str, Any] = {"children": []}
META_FIELDS = (
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
    "content_type",
    "content_encoding",
)


def _reconnect_after_connection_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """Close the connections after a connection-level error, then raise it.

    Without ``result_backend_always_retry`` nothing else would: a worker's
    main process (which stores the failures of lost pool processes) has no
    request cycle to close a dead connection, and would keep failing on it
    long after the database is back.
    """

    @functools.wraps(method)
    def wrapper(self: DatabaseBackend, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except RETRYABLE_ERRORS:
            self._close_connections()
            raise

    return wrapper


class DatabaseBackend(BaseDictBackend):
    """The Django database backend, using models to store task state."""

    subpolling_interval = 0.5

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read once, like Celery's own backends read their settings: a lookup in a
        # Django-backed Celery configuration costs over 10 us.
        conf = self.app.conf
        self.extended = bool(conf.find_value_for_key("extended", "result"))
        self.eager_results_unstored = bool(
            conf.task_always_eager and not conf.task_store_eager_result
        )
        # kombu's own JSON, encoded and decoded without the registry's per-call work.
        self.stock_json = codec.is_stock_json()
        self._empty_meta: str | None = None

    def _ensure_not_eager(self) -> None:
        """Celery's warning on reading results that eager tasks do not store, read at start."""
        if self.eager_results_unstored:
            super()._ensure_not_eager()

    @property
    def TaskModel(self) -> type[AbstractTaskResult]:
        """The active task result model."""
        return get_task_result_model()

    @property
    def GroupModel(self) -> type[AbstractGroupResult]:
        """The active group result model."""
        return get_group_result_model()

    def exception_safe_to_retry(self, exc: Exception) -> bool:
        """Retry connection errors (with ``result_backend_always_retry``) on a new connection."""
        return isinstance(exc, RETRYABLE_ERRORS) and self._close_connections()

    def _close_connections(self) -> bool:
        """Close the result models' connections, so that the next query opens a new one.

        Return False, closing none, if one of them is inside a transaction.
        """
        aliases = {router.db_for_write(self.TaskModel), router.db_for_write(self.GroupModel)}
        if any(connections[alias].in_atomic_block for alias in aliases):
            return False
        for alias in aliases:
            connections[alias].close()
        return True

    # Encoding

    def encode_content(self, data: Any) -> tuple[str, str, str]:
        """Serialise ``data``; binary content is stored as base64 text."""
        if self.serializer == "json" and self.stock_json:
            return codec.JSON_CONTENT_TYPE, "utf-8", codec.dumps(data)
        content_type, content_encoding, content = self._encode(data)
        if content_encoding == "binary":
            content = b64encode(content)
        return content_type, content_encoding, content

    def encode_meta(self, meta: dict[str, Any]) -> str:
        """Encode a task's meta; the usual one, no children and nothing else, once per backend."""
        if meta != EMPTY_META:
            return self.encode_content(meta)[2]
        if self._empty_meta is None:
            self._empty_meta = self.encode_content(EMPTY_META)[2]
        return self._empty_meta

    def _encoded_meta(self, request: Any) -> str:
        """Encode the meta of a state: the request's meta and the task's children.

        A worker's request usually has neither, and its meta is then the
        backend's one encoding of the empty meta.
        """
        if (
            request is not None
            and self._empty_meta is not None
            and not getattr(request, "meta", None)
            and not getattr(request, "children", None)
        ):
            return self._empty_meta
        meta = {
            **self._get_meta_from_request(request),
            "children": self.current_task_children(request),
        }
        return self.encode_meta(meta)

    def decode_content(self, obj: Any, content: str | None) -> Any:
        """Deserialise ``content`` with the type it was stored with (``obj.content_type``).

        Only types in the backend's ``accept`` list are decoded.
        """
        if not content:
            return None
        content_type = obj.content_type or self.content_type
        if (
            content_type == codec.JSON_CONTENT_TYPE
            and content_type in self.accept
            and isinstance(content, str)
            and obj.content_encoding != "binary"
            and self.stock_json
        ):
            return codec.loads(content)
        if obj.content_encoding == "binary":
            content = b64decode(content)
        return loads(
            content,
            content_type=content_type,
            content_encoding=self.content_encoding,
            accept=self.accept,
        )

    # Tasks

    def _get_meta_from_request(self, request: Any = None) -> dict:
        request = request or getattr(get_current_task(), "request", None)
        return getattr(request, "meta", None) or {}

    def _get_extended_properties(self, request: Any) -> dict[str, Any]:
        """Return the columns ``result_extended`` stores, encoded like the result.

        They do not change while a request lives, so each of its later
        states reuses what the first computed.
        """
        known = getattr(request, "_results_extended_properties", None)
        if known is not None:
            return known
        task_args = getattr(request, "argsrepr", None)
        if task_args is None:
            task_args = getattr(request, "args", None)
        task_kwargs = getattr(request, "kwargsrepr", None)
        if task_kwargs is None:
            task_kwargs = getattr(request, "kwargs", None)
        # An eager request carries no task name; the running task has it.
        task_name = getattr(request, "task", None) or getattr(get_current_task(), "name", None)
        properties = {
            "task_name": task_name,
            "task_args": None if task_args is None else self.encode_content(task_args)[2],
            "task_kwargs": None if task_kwargs is None else self.encode_content(task_kwargs)[2],
            "worker": getattr(request, "hostname", None),
            "periodic_task_name": getattr(request, "periodic_task_name", None),
        }
        with contextlib.suppress(AttributeError):  # a request that takes no attributes
            request._results_extended_properties = properties
        return properties

    @_reconnect_after_connection_errors
    def _store_result(
        self,
        task_id: str,
        result: Any,
        status: str,
        traceback: str | None = None,
        request: Any = None,
        using: str | None = None,
    ) -> Any:
        """Store one state of a task, with the callback's values, in one statement."""
        content_type, content_encoding, encoded_result = self.encode_content(result)
        properties: dict[str, Any] = {
            "task_id": task_id,
            "status": status,
            "result": encoded_result,
            "traceback": traceback,
            "meta": self._encoded_meta(request),
            "content_type": content_type,
            "content_encoding": content_encoding,
        }
        if status == states.STARTED:
            properties["date_started"] = timezone.now()
        if request is not None and self.extended:
            properties.update(self._get_extended_properties(request))

        model = self.TaskModel
        manager = model._default_manager
        extension = extend_task_properties(model, request, properties)
        if not extension:
            manager.store_values(properties, using=using)
            return result
        alias = using or router.db_for_write(model)
        refusals.store_extended(
            lambda row: manager.store_values(row, using=alias), alias, properties, extension
        )
        return result

    def sent_task_values(
        self, request: Any, sent_at: datetime.datetime
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return the PENDING row of a task just sent, and the callback's values for it.

        ``request`` is built from the outgoing message (see
        :mod:`django_celery_results.sent`); the name, args and kwargs are
        encoded as ``result_extended`` stores them, and ``sent_at`` is the
        row's ``date_created`` (and ``date_done``, the time of its last state).
        """
        content_type, content_encoding, encoded_result = self.encode_content(None)
        properties = {
            "task_id": request.id,
            "status": states.PENDING,
            "result": encoded_result,
            "traceback": None,
            "meta": self.encode_meta(EMPTY_META),
            "content_type": content_type,
            "content_encoding": content_encoding,
            "date_started": None,
            **self._get_extended_properties(request),
        }
        extension = extend_task_properties(self.TaskModel, request, properties)
        properties["date_created"] = properties["date_done"] = sent_at
        return properties, extension

    @_reconnect_after_connection_errors
    def _get_task_meta_for(self, task_id: str) -> dict[str, Any]:
        """Return the decoded meta of ``task_id`` (PENDING if nothing is stored)."""
        row = self.TaskModel._default_manager.get_task_values(task_id, META_FIELDS)
        if row is None:
            return self.meta_from_decoded(
                {"task_id": task_id, "status": states.PENDING, "result": None}
                | dict.fromkeys(
                    ("task_name", "task_args", "task_kwargs", "date_done", "traceback", "worker")
                )
                | {"args": None, "kwargs": None}
            )
        stored = _Stored(row.pop("content_type"), row.pop("content_encoding"))
        meta = self.decode_content(stored, row.pop("meta")) or {}
        task_args, task_kwargs = row["task_args"], row["task_kwargs"]
        with contextlib.suppress(DecodeError, binascii.Error):
            task_args = self.decode_content(stored, task_args)
            task_kwargs = self.decode_content(stored, task_kwargs)
        row.update(
            meta,
            result=self.decode_content(stored, row["result"]),
            # Celery's names are args/kwargs; task_args/task_kwargs stay for compatibility.
            task_args=task_args,
            task_kwargs=task_kwargs,
            args=task_args,
            kwargs=task_kwargs,
        )
        return self.meta_from_decoded(row)

    @_reconnect_after_connection_errors
    def _forget(self, task_id: str) -> None:
        self.TaskModel._default_manager.forget(task_id)

    def cleanup(self) -> None:
        """Delete expired task results, group results and stale chord counters.

        Tasks that never finished expire after ``CELERY_RESULTS_UNFINISHED_EXPIRES``
        when it is set, else with the others after ``result_expires``.
        """
        unfinished_expires = get_setting(UNFINISHED_EXPIRES)
        task_model = self.TaskModel
        if self.expires:
            ChordCounter._default_manager.delete_expired(self.expires, task_model)
        # Without either setting, this deletes nothing.
        task_model._default_manager.delete_expired(
            self.expires, unfinished_expires=unfinished_expires
        )
        if self.expires:
            self.GroupModel._default_manager.delete_expired(self.expires)

    # Groups

    @_reconnect_after_connection_errors
    def _restore_group(self, group_id: str) -> dict[str, Any] | None:
        # From the write database: a replica may not have the group saved a moment ago.
        manager = self.GroupModel._default_manager
        group = (
            manager.using(router.db_for_write(self.GroupModel)).filter(group_id=group_id).first()
        )
        if group is None:
            return None
        meta = group.as_dict()
        decoded = self.decode_content(group, meta["result"])
        meta["result"] = result_from_tuple(decoded, app=self.app) if decoded else None
        return meta

    @_reconnect_after_connection_errors
    def _save_group(self, group_id: str, group_result: GroupResult) -> GroupResult:
        content_type, content_encoding, result = self.encode_content(group_result.as_tuple())
        self.GroupModel._default_manager.store_group_result(
            content_type, content_encoding, group_id, result
        )
        return group_result

    @_reconnect_after_connection_errors
    def _delete_group(self, group_id: str) -> None:
        self.GroupModel._default_manager.forget(group_id)

    # Chords

    def apply_chord(self, header_result_args: Any, body: Any, **kwargs: Any) -> None:
        """Create the counter that the chord's header tasks count down."""
        if isinstance(header_result_args, GroupResult):
            header_result = header_result_args
        else:
            header_result = self.app.GroupResult(*header_result_args)
        results = [result.as_tuple() for result in header_result]
        chord_size = body.get("chord_size") or len(results)
        ChordCounter._default_manager.create_counter(
            header_result.id, json.dumps(results), chord_size
        )

    def on_chord_part_return(self, request: Any, state: str, result: Any, **kwargs: Any) -> None:
        """Count a finished header task; the call that completes the chord runs its body."""
        task_id, group_id = request.id, request.group
        if not task_id or not group_id:
            return
        try:
            counter = ChordCounter._default_manager.count_down(group_id, self.TaskModel)
        except ChordCounter.DoesNotExist:
            logger.warning(
                "No ChordCounter for group %s (task %s): its body already ran or it expired",
                group_id,
                task_id,
            )
            return
        if counter is not None:
            callback = maybe_signature(request.chord, app=self.app)
            trigger_callback(self.app, callback, counter.group_result(app=self.app))


def trigger_callback(app: Any, callback: Any, group_result: GroupResult) -> None:
    """Send the chord body with the header's results, or mark it failed."""
    join = group_result.join_native if group_result.supports_native_join else group_result.join
    try:
        with allow_join_result():
            ret = join(timeout=app.conf.result_chord_join_timeout, propagate=True)
    except Exception as exc:
        try:
            culprit = next(group_result._failed_join_report())
            reason = f"Dependency {culprit.id} raised {exc!r}"
        except StopIteration:
            reason = repr(exc)
        logger.exception("Chord %r raised: %r", group_result.id, exc)
        app.backend.chord_error_from_stack(callback, ChordError(reason))
        return
    try:
        callback.delay(ret)
    except Exception as exc:
        logger.exception("Chord %r raised: %r", group_result.id, exc)
        app.backend.chord_error_from_stack(callback, exc=ChordError(f"Callback error: {exc!r}"))


class _Stored:
    """How a stored row is encoded, for :meth:`DatabaseBackend.decode_content`."""

    __slots__ = ("content_encoding", "content_type")

    def __init__(self, content_type: str, content_encoding: str) -> None:
        self.content_type = content_type
        self.content_encoding = content_encoding
