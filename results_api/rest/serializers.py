"""Serializers of the results API, and the rules for decoding stored content.

``get_task_serializer_class(model)`` builds ``f"{Model}Serializer"`` once per
model from ``TaskResultSerializer`` (or ``RESULTS_API["TASK_SERIALIZER_CLASS"]``):
the standard fields of docs/api.md ("A task result"), then every extra field under its name (a
ForeignKey as its primary key value, read from the row: no extra query).

Decoding: ``args``, ``kwargs``, ``result`` and ``meta`` are decoded only when
the row's ``content_type`` is JSON. Pickle, YAML, msgpack or anything else is
never decoded by the API (decoding pickle runs code): those fields are
``null`` and ``content_type`` says why. Content that is not valid JSON is
``null`` too, and so are NaN and Infinity inside it; containers nested
deeper than 50 levels show as a string saying so (see
:mod:`django_celery_results.content`, which decodes for every page).

With ``result_extended``, Celery stores the task's ``argsrepr`` and
``kwargsrepr`` (Python reprs, possibly shortened or masked by the sender) as
JSON strings, so ``args`` and ``kwargs`` are those strings, e.g. ``"(1, 2)"``:
shown as stored, never evaluated.

Redaction (:mod:`results_api.content.redaction`) masks secret values in ``args``,
``kwargs``, ``result`` and ``meta``, and ``traceback`` is null for users without
``TRACEBACK_PERMISSION``: every output built from these serializers (JSON,
browsable API, CSV export) shows the same.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): DRF: ``Serializer._declared_fields``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import quote

from django.urls import reverse
from rest_framework import serializers

from django_celery_results.content import JSON_CONTENT_TYPES, Undecodable, decode_json
from django_celery_results.models.abstract import AbstractGroupResult, AbstractTaskResult
from django_celery_results.setting_caches import forget_when_changed
from django_celery_results.url_ids import id_to_segment

from ..conf import SETTING_NAME, api_settings
from ..content.redaction import may_redact, may_see_traceback, redact_arguments, redact_data
from ..fields.catalogue import SHOWN, STANDARD
from ..fields.durations import RUNTIME, WAIT
from ..fields.rules import field_rules
from .prepared import PreparedFieldsMixin, pin_time_zone, read_source

__all__ = [
    "JSON_CONTENT_TYPES",
    "GroupResultSerializer",
    "StoredContentField",
    "TaskResultSerializer",
    "TracebackField",
    "get_group_serializer_class",
    "get_task_serializer_class",
    "pin_time_zone",
]


# The redactions that mask by key only: skipped for stored text that names no secret key.
_BY_KEYS = (redact_arguments, redact_data)


class StoredContentField(serializers.Field):
    """A stored column, decoded when its row's content type is JSON, else ``null``.

    ``redact`` masks secrets in the decoded value (see :mod:`results_api.content.redaction`).
    """

    def __init__(self, *, redact: Callable[[Any], Any] | None = None, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        self.redact = redact
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        if instance.content_type not in JSON_CONTENT_TYPES:
            return None
        return read_source(self, instance)

    def to_representation(self, value: str) -> Any:
        try:
            decoded = decode_json(value)
        except Undecodable:
            return None
        if self.redact is None or (self.redact in _BY_KEYS and not may_redact(value)):
            return decoded
        return self.redact(decoded)


def stored_content(name: str) -> StoredContentField:
    """Return the field of the stored content ``name``, read and masked as the catalogue says.

    Celery's repr of the arguments is masked as arguments, other content as data.
    """
    field = STANDARD[name]
    assert field.content, f"{name} is no stored content"
    redact = redact_arguments if field.arguments else redact_data
    if field.column == name:
        return StoredContentField(redact=redact)
    return StoredContentField(source=field.column, redact=redact)


class TracebackField(serializers.CharField):
    """The traceback, or ``null`` for a user without ``TRACEBACK_PERMISSION``.

    Decided once per serializer (one request); without a request in the
    context (code serialising rows itself) the traceback is shown.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(read_only=True, allow_null=True)
        kwargs.setdefault(
            "help_text", "Null for users without the RESULTS_API TRACEBACK_PERMISSION."
        )
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        traceback = read_source(self, instance)
        if traceback is None:
            return None  # no permission query for the many rows without one
        allowed = getattr(self, "_allowed", None)
        if allowed is None:
            request = self.context.get("request")
            user = getattr(request, "user", None)
            allowed = self._allowed = request is None or may_see_traceback(user, type(instance))
        return traceback if allowed else None


# The routes beside a task's detail under tasks/: a task id with one of these names is
# escaped in its URL (tests check this covers every route of the task viewset).
LIST_ROUTES = frozenset({"stats", "export", "metadata", "bulk"})
_ID_PLACEHOLDER = "__task_id__"
# What reverse() leaves unescaped in an argument (Django's RFC 3986 sub-delimiters and more).
URL_SAFE = "!$&'()*+,;=/~:@"


class TaskUrlField(serializers.Field):
    """The URL of the task's detail, ``url`` as DRF's hyperlinked serializers name it.

    Built for any task id, even ``stats`` or ``a/b``
    (:mod:`django_celery_results.url_ids`): absolute when the request is known.
    The URL around the id is reversed once per response.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="task_id", read_only=True, **kwargs)

    def to_representation(self, value: str) -> str:
        head, tail = self._template()
        return f"{head}{quote(id_to_segment(value, LIST_ROUTES), safe=URL_SAFE)}{tail}"

    def _template(self) -> tuple[str, str]:
        context = cast(dict[str, Any], self.context)
        template = context.get("_task_url_template")
        if template is None:
            request = context.get("request")
            match = getattr(request, "resolver_match", None)
            namespace = match.namespace if match and match.namespace else "results_api"
            url = reverse(f"{namespace}:task-detail", args=[_ID_PLACEHOLDER])
            if request is not None:
                url = request.build_absolute_uri(url)
            head, _, tail = url.partition(_ID_PLACEHOLDER)
            template = context["_task_url_template"] = (head, tail)
        return template


class TaskResultSerializer(PreparedFieldsMixin, serializers.ModelSerializer):
    """Represent a task result; the per-model subclass adds the extra fields."""

    url = TaskUrlField()
    args = stored_content("args")
    kwargs = stored_content("kwargs")
    result = stored_content("result")
    meta = stored_content("meta")
    traceback = TracebackField()
    runtime = serializers.SerializerMethodField()
    wait = serializers.SerializerMethodField()

    class Meta:
        fields = ("url", *SHOWN)
        read_only_fields = fields

    def get_runtime(self, instance: AbstractTaskResult) -> float | None:
        """Seconds from date_started to date_done of a finished task; null until it finishes."""
        return RUNTIME.seconds(instance)

    def get_wait(self, instance: AbstractTaskResult) -> float | None:
        """Seconds from date_created (the send time) to date_started; null unless started after.

        A row first written by its STARTED state (tasks not recorded when
        sent) has both dates equal: no send time is known.
        """
        return WAIT.seconds(instance)


class GroupResultSerializer(PreparedFieldsMixin, serializers.ModelSerializer):
    """Represent a group result; ``result`` lists its tasks when stored as JSON."""

    result = StoredContentField()

    class Meta:
        fields = ("group_id", "date_created", "date_done", "result", "content_type")
        read_only_fields = fields


@functools.cache
def get_task_serializer_class(model: type[AbstractTaskResult]) -> type[TaskResultSerializer]:
    """Return ``f"{Model}Serializer"``: the standard fields and every extra field."""
    base = api_settings.TASK_SERIALIZER_CLASS
    rules = field_rules(model)
    fields = tuple(
        name
        for name in (*base.Meta.fields, *(extra.name for extra in rules.extra))
        if rules.is_visible(name)
    )
    attrs: dict[str, Any] = {
        "__doc__": f"Represent a {model._meta.label} task result.",
        "Meta": type(
            "Meta", (base.Meta,), {"model": model, "fields": fields, "read_only_fields": fields}
        ),
    }
    # A declared field stays declared even if the Meta leaves it out; drop the hidden ones.
    attrs.update(dict.fromkeys(rules.excluded & set(base._declared_fields)))
    return type(f"{model._meta.object_name}Serializer", (base,), attrs)


@functools.cache
def get_group_serializer_class(model: type[AbstractGroupResult]) -> type[GroupResultSerializer]:
    """Return ``f"{Model}Serializer"`` for a group result model."""
    base = api_settings.GROUP_SERIALIZER_CLASS
    meta = type("Meta", (base.Meta,), {"model": model})
    attrs = {"__doc__": f"Represent a {model._meta.label} group result.", "Meta": meta}
    return type(f"{model._meta.object_name}Serializer", (base,), attrs)


forget_when_changed(
    get_task_serializer_class.cache_clear,
    get_group_serializer_class.cache_clear,
    settings=(SETTING_NAME,),
)
