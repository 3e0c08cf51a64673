"""``GET tasks/metadata/``: what a client needs to build its controls, learned at run time.

    GET tasks/metadata/
    -> {"model": "tenants.taskresult", "time_zone": "Europe/Paris",
        "fields": [{"name": "tenant", "kind": "foreign_key", "filters": {"exact": "tenant",
                    "in": "tenant__in"}, "choices": [{"value": 1, "label": "Acme"}], ...}, ...],
        "ordering": [...], "group_by": [...], "actions": {"revoke": {...}}, ...}

Every field of the task representation, extra fields included, with its kind,
its label, the filters that apply to it (read from the filter set in use),
whether ``?ordering=`` takes it, and the choices of a select: a field's own
choices, or for a foreign key the related rows that the caller's scoped
task results point at (never one outside the scope), at most
``FILTER_CHOICES_LIMIT``. Also the states, the stats' ``group_by`` fields and
intervals, the page sizes, and the actions this user may take. The
dashboard (:mod:`results_api.dashboard`) reads it; it needs no drf-spectacular.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): DRF: ``Request._request`` (the Django request a DRF request wraps).
"""

from __future__ import annotations

import copy
from typing import Any

from celery import states
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_filters.rest_framework import FilterSet
from rest_framework.request import Request

from django_celery_results.columns import concrete_field, key_field
from django_celery_results.conf import apply_scope_hook
from django_celery_results.models.abstract import AbstractTaskResult

from ..conf import api_settings
from ..content.redaction import may_see_traceback
from ..control import RETRYABLE_STATES
from ..fields.catalogue import STANDARD
from ..fields.rules import FieldKind, field_kind, field_rules
from ..stats.queries import INTERVALS, group_by_fields
from .actions import ACTIONS, action_enabled
from .filters import ComputedFilter
from .live_updates import UPDATED_SINCE

__all__ = ["ACTION_STATES", "describe_tasks", "filter_choices"]

# The states in which each action has an effect. Retry accepts only these;
# revoking a finished task is accepted but changes nothing.
ACTION_STATES: dict[str, tuple[str, ...]] = {
    "revoke": tuple(sorted(states.UNREADY_STATES)),
    "retry": tuple(sorted(RETRYABLE_STATES)),
}


def _label(field: models.Field | None, name: str) -> str:
    text = str(field.verbose_name) if field is not None else name.replace("_", " ")
    return text[:1].upper() + text[1:]


def _filters_by_field(filterset_class: type[FilterSet]) -> dict[str, dict[str, str]]:
    """Return ``{field name: {lookup: parameter}}`` of the filter set's filters.

    A computed filter (``exc_type``, ``exc_pattern``) compares a value the
    database computes from the result, not the result: it is no filter of
    the ``result`` field.
    """
    found: dict[str, dict[str, str]] = {}
    for name, filter_ in filterset_class.base_filters.items():
        if (
            name == UPDATED_SINCE
            or getattr(filter_, "method", None)
            or isinstance(filter_, ComputedFilter)
        ):
            continue
        found.setdefault(filter_.field_name, {})[filter_.lookup_expr] = name
    return found


def filter_choices(
    request: Request, model: type[AbstractTaskResult], field: models.Field, limit: int
) -> list[dict[str, Any]] | None:
    """Return the values a select of ``field`` offers this caller, or None if over ``limit``.

    A field's own choices as they are; for a foreign key, the related rows
    that at least one of the caller's scoped task results points at, so a
    tenant's member is offered their own tenant and never learns another's name.
    """
    if field.choices and not field.is_relation:
        return [{"value": value, "label": str(label)} for value, label in field.flatchoices]
    if not isinstance(field, models.ForeignKey):
        return None
    scoped = apply_scope_hook(request, model._default_manager.all())
    target = key_field(field)
    related = field.related_model._default_manager.filter(
        Exists(scoped.filter(**{field.attname: OuterRef(target.attname)}))
    )
    rows = list(related[: limit + 1])
    if len(rows) > limit:
        return None
    choices = [{"value": getattr(row, target.attname), "label": str(row)} for row in rows]
    return sorted(choices, key=lambda choice: choice["label"].casefold())


def _field_entries(request: Request, view: Any) -> list[dict[str, Any]]:
    model = view.get_model()
    serializer_fields = view.get_serializer_class()().fields
    filterset = view.get_filterset_class()
    filters = _filters_by_field(filterset)
    orderable = set(view.ordering_fields)
    extra_names = {extra.name for extra in field_rules(model).extra}
    limit = api_settings.FILTER_CHOICES_LIMIT
    entries = []
    for name in serializer_fields:
        standard = STANDARD.get(name) if name not in extra_names else None
        source = standard.column if standard is not None else name
        try:
            field = concrete_field(model, source) if source else None
        except FieldDoesNotExist:  # a serializer field the project added
            field = None
        kind: str
        if standard is not None:
            kind, label = standard.kind, standard.label
        else:
            kind = field_kind(field).value if field is not None else "text"
            label = _label(field, name)
        entry: dict[str, Any] = {
            "name": name,
            "label": label,
            "kind": kind,
            "extra": name in extra_names,
            "filters": filters.get(source or name, {}),
            "orderable": name in orderable,
        }
        exact = filterset.base_filters.get(entry["filters"].get("exact", ""))
        if exact is not None and exact.extra.get("choices"):
            entry["kind"] = FieldKind.CHOICES.value
            entry["choices"] = _filter_choices_of(exact)
        elif field is not None and kind == FieldKind.FOREIGN_KEY.value and entry["filters"]:
            entry["choices"] = filter_choices(request, model, field, limit)
        entries.append(entry)
    return entries


def _filter_choices_of(filter_: Any) -> list[dict[str, Any]]:
    """Return the choices a filter validates its values against."""
    choices = filter_.extra["choices"]
    if callable(choices):
        choices = choices()
    return [{"value": value, "label": str(label)} for value, label in choices]


def allowed_actions(request: Request, view: Any) -> dict[str, dict[str, Any]]:
    """Return each action this user may POST now, with the states it applies to.

    An action is listed when it is turned on and every permission class of
    that action (the read ones, then its own) admits this user for a POST.
    """
    allowed = {}
    for name in ACTIONS:
        if not action_enabled(name):
            continue
        probe = copy.copy(view)
        probe.action = name
        http = copy.copy(request._request)
        http.method = "POST"
        probe_request = Request(http, authenticators=(), parser_context=request.parser_context)
        probe_request.user, probe_request.auth = request.user, request.auth
        probe.request = probe_request
        if all(p.has_permission(probe_request, probe) for p in probe.get_permissions()):
            allowed[name] = {"states": list(ACTION_STATES[name])}
    return allowed


def allowed_bulk_actions(request: Request, view: Any) -> list[str]:
    """Return the bulk actions this user may confirm now (``tasks/bulk/<action>/``)."""
    allowed = []
    for name in api_settings.BULK_ACTIONS:
        probe = copy.copy(view)
        probe.action, probe.kwargs = "bulk", {**view.kwargs, "bulk_action": name}
        probe.request = request
        if all(p.has_permission(request, probe) for p in probe.get_permissions()):
            allowed.append(name)
    return allowed


def describe_tasks(request: Request, view: Any) -> dict[str, Any]:
    """Return the description of the task endpoints as ``request``'s user sees them."""
    model = view.get_model()
    return {
        "model": model._meta.label_lower,
        "verbose_name": str(model._meta.verbose_name),
        "time_zone": timezone.get_current_timezone_name(),
        "fields": _field_entries(request, view),
        "ordering": list(view.ordering_fields),
        "default_ordering": list(view.ordering),
        "group_by": list(group_by_fields(model)),
        "intervals": list(INTERVALS),
        "stats_max_buckets": api_settings.STATS_MAX_BUCKETS,
        "page_size": api_settings.PAGE_SIZE,
        "max_page_size": api_settings.MAX_PAGE_SIZE,
        "updated_since_overlap": api_settings.UPDATED_SINCE_OVERLAP,
        "ready_states": sorted(states.READY_STATES),
        "traceback_visible": may_see_traceback(request.user, model),
        "actions": allowed_actions(request, view),
        "bulk_actions": allowed_bulk_actions(request, view),
    }
