"""System checks: misconfiguration fails at start-up with what to change.

Ids: E001-E003 the task result model setting, E004-E006 the group result
model setting, E010-E011 the extend-props callback, E020 the public
django-celery-results distribution installed beside this one, E030 the
settings of the status views and of masking (scope hook, redaction hook,
keys, mask, the public switch), W001 a foreign key of a custom task result
model that no composite index leads, W002 workers that store no start time
(no runtimes, no waiting times), W003 results stored without the task's
name, arguments and worker (``result_extended`` off).
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from . import conf
from .models import get_task_result_model
from .models.abstract import AbstractGroupResult, AbstractTaskResult

PUBLIC_DISTRIBUTION = "django-celery-results"


def _check_model_setting(setting: str, base: type, first_id: int) -> list[Error]:
    label = conf.get_setting(setting)
    base_path = f"{base.__module__}.{base.__qualname__}"
    if not isinstance(label, str) or label.count(".") != 1:
        return [
            Error(
                _("%(setting)s must be 'app_label.ModelName', not %(label)r.")
                % {"setting": setting, "label": label},
                hint=_('Set %(setting)s = "myapp.TaskResult" (a model subclassing %(base)s).')
                % {"setting": setting, "base": base_path},
                id=f"django_celery_results.E{first_id:03d}",
            )
        ]
    try:
        model = apps.get_model(label)
    except LookupError:
        return [
            Error(
                _("%(setting)s refers to %(label)r, which is not an installed model.")
                % {"setting": setting, "label": label},
                hint=_("Add the model's app to INSTALLED_APPS, or correct the label."),
                id=f"django_celery_results.E{first_id + 1:03d}",
            )
        ]
    if not issubclass(model, base):
        return [
            Error(
                _("%(setting)s refers to %(label)r, which does not subclass %(base)s.")
                % {"setting": setting, "label": label, "base": base_path},
                hint=_("Declare the model as `class %(model)s(%(base)s)`.")
                % {"model": model.__name__, "base": base.__name__},
                id=f"django_celery_results.E{first_id + 2:03d}",
            )
        ]
    return []


@register()
def check_result_models(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Check that the model settings name installed subclasses of the abstract models."""
    return _check_model_setting(conf.TASKRESULT_MODEL, AbstractTaskResult, 1) + (
        _check_model_setting(conf.GROUPRESULT_MODEL, AbstractGroupResult, 4)
    )


@register()
def check_extend_task_props_callback(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Check that the extend-props callback can be imported and called."""
    try:
        conf.get_extend_task_props_callback()
    except ImproperlyConfigured as exc:
        not_importable = isinstance(exc.__cause__, ImportError)
        return [
            Error(
                str(exc),
                hint=_(
                    "Give a function f(request, task_properties) -> dict, or the dotted "
                    'path of one, e.g. "myapp.results.extend_task_props".'
                ),
                id="django_celery_results.E010" if not_importable else "django_celery_results.E011",
            )
        ]
    return []


@register()
def check_status_view_and_masking_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Check the scope and redaction hooks, the keys, the mask and the public switch."""
    problems = []
    for resolve in (conf.get_scope_hook, conf.get_redact_hook):
        try:
            resolve()
        except ImproperlyConfigured as exc:
            problems.append((str(exc), _("Give a function, or the dotted path of one.")))
    for name, valid, message, example in (
        (
            conf.REDACT_KEYS,
            lambda keys: (
                not isinstance(keys, str) and all(isinstance(key, str) for key in keys or ())
            ),
            _("%(setting)s must be a list of key names, not %(value)r."),
            '["password", "token"]',
        ),
        (
            conf.REDACT_MASK,
            lambda mask: isinstance(mask, str),
            _("%(setting)s must be text, not %(value)r."),
            '"********"',
        ),
        (
            conf.STATUS_VIEWS_PUBLIC,
            lambda public: isinstance(public, bool),
            _("%(setting)s must be True or False, not %(value)r."),
            "False",
        ),
    ):
        value = conf.get_setting(name)
        if not valid(value):
            problems.append(
                (
                    message % {"setting": name, "value": value},
                    _("For example: %(example)s") % {"example": f"{name} = {example}"},
                )
            )
    return [
        Error(message, hint=hint, id="django_celery_results.E030") for message, hint in problems
    ]


@register()
def check_public_distribution_absent(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Check that the public django-celery-results is not installed over our package."""
    try:
        public = importlib.metadata.distribution(PUBLIC_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return []
    return [
        Error(
            _(
                "The public %(distribution)s %(version)s is installed beside "
                "celery-results-api; both install the package django_celery_results, so "
                "one overwrites the other's files."
            )
            % {"distribution": PUBLIC_DISTRIBUTION, "version": public.version},
            hint=_(
                "Run `pip uninstall %(distribution)s` and then reinstall celery-results-api "
                "with --force-reinstall (see the README's Install)."
            )
            % {"distribution": PUBLIC_DISTRIBUTION},
            id="django_celery_results.E020",
        )
    ]


@register()
def check_foreign_keys_lead_an_index(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn when a custom model's foreign key (say ``tenant``) leads no composite index.

    Dashboards filter by it and sort by date; a single-column index on the
    key alone makes them sort every row of the tenant.
    """
    try:
        model = get_task_result_model()
    except ImproperlyConfigured:
        return []  # reported by check_result_models
    leaders = {
        index.fields[0].lstrip("-") for index in model._meta.indexes if len(index.fields) > 1
    }
    warnings = []
    for field in model.extra_fields():
        if field.many_to_one and not leaders & {field.name, field.attname}:
            warnings.append(
                Warning(
                    _(
                        "%(model)s.%(field)s leads no composite index, so results filtered "
                        "by %(field)s and ordered by date are slow on large tables."
                    )
                    % {"model": model._meta.label, "field": field.name},
                    hint=_("In the model's Meta: %(indexes)s")
                    % {
                        "indexes": "indexes = [*AbstractTaskResult.Meta.indexes, "
                        f'models.Index(fields=["{field.name}", "-date_created"]), '
                        f'models.Index(fields=["{field.name}", "status", "-date_created"])]'
                    },
                    obj=model,
                    id="django_celery_results.W001",
                )
            )
    return warnings


DATABASE_BACKEND_NAMES = ("django-db", "django_celery_results.backends")


def _uses_database_backend(backend: Any) -> bool:
    return isinstance(backend, str) and backend.startswith(DATABASE_BACKEND_NAMES)


def _celery_setting(name: str, django_name: str) -> tuple[bool, Any]:
    """Return whether results go to the database backend, and Celery's setting ``name``.

    Read from the current Celery app when it uses the ``django-db`` backend,
    else from the Django settings under Celery's usual ``CELERY_`` namespace.
    """
    from celery import current_app

    conf = current_app.conf
    if _uses_database_backend(conf.result_backend):
        return True, conf[name]
    if _uses_database_backend(getattr(settings, "CELERY_RESULT_BACKEND", None)):
        return True, getattr(settings, django_name, False)
    return False, None


@register()
def check_start_time_recorded(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn when workers store no STARTED state: runtimes and waiting times would all be null."""
    used, track_started = _celery_setting("task_track_started", "CELERY_TASK_TRACK_STARTED")
    if not used or track_started:
        return []
    return [
        Warning(
            "Celery's task_track_started is off: workers store no start time, so every "
            "task's runtime and waiting time, and their statistics, will be empty.",
            hint=(
                "Set CELERY_TASK_TRACK_STARTED = True in the Django settings (Celery's "
                "task_track_started), so that workers store STARTED with its time."
            ),
            id="django_celery_results.W002",
        )
    ]


@register()
def check_extended_results(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn when results are stored without their task's name, arguments and worker."""
    used, extended = _celery_setting("result_extended", "CELERY_RESULT_EXTENDED")
    if not used or extended:
        return []
    return [
        Warning(
            "Celery's result_extended is off: results are stored without the task's name, "
            "arguments, keyword arguments and worker, so they are null in the admin, the "
            "results API and the dashboard, and no filter or search on them finds anything.",
            hint=(
                "Set CELERY_RESULT_EXTENDED = True in the Django settings (Celery's "
                "result_extended)."
            ),
            id="django_celery_results.W003",
        )
    ]
