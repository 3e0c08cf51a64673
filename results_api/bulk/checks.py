"""System checks of the bulk actions' settings (``RESULTS_API["BULK_*"]``).

E030: ``BULK_ACTIONS`` names an unknown action; E031: a size, limit or age
that is not a positive whole number, or a negative pause; W040: bulk actions on without
``django.contrib.admin``, whose ``LogEntry`` records who did what.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from ..conf import SETTING_NAME, api_settings

# The bulk modules are imported in the check, not here: without django_celery_results
# installed they cannot be (results_api.E007 then says what to add).

SIZES = ("BULK_MAX_ROWS", "BULK_BATCH_SIZE", "BULK_TOKEN_MAX_AGE")


@register()
def check_bulk_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Return errors for unknown bulk actions and bad sizes, a warning for no audit trail."""
    if not apps.is_installed("django_celery_results"):
        return []
    from .plan import ACTIONS

    try:
        listed = api_settings.BULK_ACTIONS
    except ImproperlyConfigured:
        return []  # results_api.E001 reports the settings
    problems: list[CheckMessage] = []
    if not isinstance(listed, list | tuple) or not set(listed) <= set(ACTIONS):
        problems.append(
            Error(
                _("%(setting)s['BULK_ACTIONS'] must list bulk actions, not %(value)r.")
                % {"setting": SETTING_NAME, "value": listed},
                hint=_("Any of: %(actions)s.") % {"actions": ", ".join(ACTIONS)},
                id="results_api.E030",
            )
        )
    for name in SIZES:
        value = getattr(api_settings, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(
                Error(
                    _("%(setting)s[%(key)r] must be a whole number of 1 or more, not %(value)r.")
                    % {"setting": SETTING_NAME, "key": name, "value": value},
                    id="results_api.E031",
                )
            )
    pause = api_settings.BULK_PAUSE_FACTOR
    if not isinstance(pause, int | float) or isinstance(pause, bool) or pause < 0:
        problems.append(
            Error(
                _("%(setting)s['BULK_PAUSE_FACTOR'] must be a number of 0 or more, not %(value)r.")
                % {"setting": SETTING_NAME, "value": pause},
                id="results_api.E031",
            )
        )
    if listed and not apps.is_installed("django.contrib.admin"):
        problems.append(
            Warning(
                _(
                    "Bulk actions are on, but django.contrib.admin is not installed: they are "
                    "recorded only in the results_api.audit log, not in the admin's history."
                ),
                hint=_("Add django.contrib.admin to INSTALLED_APPS, or keep that log."),
                id="results_api.W040",
            )
        )
    return problems
