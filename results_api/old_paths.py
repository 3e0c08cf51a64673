"""The import paths of the modules that moved into subpackages, kept working with a warning.

``results_api.views``, ``results_api.pagination`` and the other former
top-level modules were grouped into :mod:`results_api.rest`,
:mod:`results_api.stats`, :mod:`results_api.fields` and
:mod:`results_api.content`. Importing an old path (in code or in a setting's
import string) still gives the very module object of the new one, so a
patch through either name is seen by both, and warns once with the new path.
"""

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

MOVED = {
    "results_api.action_views": "results_api.rest.action_views",
    "results_api.actions": "results_api.rest.actions",
    "results_api.arguments": "results_api.content.arguments",
    "results_api.bins": "results_api.stats.bins",
    "results_api.bounds": "results_api.rest.request_values",
    "results_api.conditional": "results_api.rest.conditional",
    "results_api.export": "results_api.rest.export",
    "results_api.filters": "results_api.rest.filters",
    "results_api.histogram": "results_api.stats.histogram",
    "results_api.introspection": "results_api.fields.rules",
    "results_api.live": "results_api.rest.live_updates",
    "results_api.metadata": "results_api.rest.metadata",
    "results_api.ordering": "results_api.rest.ordering",
    "results_api.pagination": "results_api.rest.pagination",
    "results_api.parsers": "results_api.rest.parsers",
    "results_api.permission_cache": "results_api.content.permission_cache",
    "results_api.prepared": "results_api.rest.prepared",
    "results_api.redaction": "results_api.content.redaction",
    "results_api.reprs": "django_celery_results.reprs",
    "results_api.rollup_stats": "results_api.stats.from_rollup",
    "results_api.rollups": "results_api.stats.rollups",
    "results_api.serializers": "results_api.rest.serializers",
    "results_api.spectacular": "results_api.rest.schema",
    "results_api.task_counts": "results_api.stats.task_counts",
    "results_api.throttling": "results_api.rest.throttling",
    "results_api.views": "results_api.rest.views",
}
"""Each former module path and the module now holding what it held."""


class _MovedModuleLoader(importlib.abc.Loader):
    """Load an old path as the module at its new path (the same object)."""

    def __init__(self, new_name: str) -> None:
        self.new_name = new_name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.new_name}; import it from there",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(self.new_name)

    def exec_module(self, module: ModuleType) -> None:
        """The module ran under its new name already."""


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Find the former module paths of :data:`MOVED`, and nothing else."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new_name = MOVED.get(fullname)
        if new_name is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _MovedModuleLoader(new_name))


def install() -> None:
    """Put the finder on ``sys.meta_path`` once per process."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
