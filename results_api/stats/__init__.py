"""The stats engine: counts, durations and percentiles, from the task table or from its rollup.

``queries`` answers ``tasks/stats/`` straight from the task table;
``rollups`` keeps per-quarter-hour counts and duration histograms in
:class:`results_api.models.TaskResultRollup`, and ``from_rollup`` answers
from them plus the recent rows; ``task_counts``, ``bins`` and ``histogram``
are the counting and histogram pieces both share.

May import: :mod:`results_api.conf`, :mod:`results_api.models`,
:mod:`results_api.fields` and :mod:`django_celery_results`; never the HTTP
API (:mod:`results_api.rest`) nor the dashboard.
"""

import warnings
from typing import Any


def __getattr__(name: str) -> Any:
    """Hand on the names of the former ``results_api.stats`` module, with a warning."""
    from . import queries

    if name.startswith("__") or not hasattr(queries, name):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"results_api.stats.{name} moved to results_api.stats.queries.{name}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(queries, name)
