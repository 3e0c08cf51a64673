"""System checks of search: what a custom model and each database need (docs/api.md, "Search")."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, connections
from django.utils.translation import gettext as _

from .database import has_trigram_index

# The models are imported in the checks, not here: without django_celery_results
# installed they cannot be (results_api.E007 then says what to add).


@register()
def check_search_model(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn when the active task model cannot be keyed in the search side table."""
    if not apps.is_installed("django_celery_results"):
        return []
    from django_celery_results.models import get_task_result_model

    from .index import indexable

    try:
        model = get_task_result_model()
    except Exception:  # the result store's own checks name the problem
        return []
    if indexable(model):
        return []
    return [
        Warning(
            _(
                "%(model)s has a primary key that is not an integer, so its content cannot be "
                "indexed for ?search=: every search masks and matches the rows live, and answers "
                "503 past RESULTS_API['SEARCH_SCAN_LIMIT'] rows."
            )
            % {"model": model._meta.label},
            hint=_(
                "Give the model an integer primary key (AbstractTaskResult's default, "
                "an AutoField or BigAutoField) to use the side table and its index."
            ),
            id="results_api.W030",
        )
    ]


@register(Tags.database)
def check_trigram_index(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    """Warn when a PostgreSQL database lacks the search's trigram index (pg_trgm missing)."""
    problems = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass('results_api_tasksearchtext') IS NOT NULL")
                if not cursor.fetchone()[0]:
                    continue  # not migrated yet: the migration creates both
            present = has_trigram_index(alias)
        except DatabaseError:
            continue
        if not present:
            problems.append(
                Warning(
                    _(
                        "Database %(alias)r has no trigram index for ?search= (the PostgreSQL "
                        "extension pg_trgm is missing): every search scans the side table."
                    )
                    % {"alias": alias},
                    hint=_(
                        "Have a superuser run CREATE EXTENSION pg_trgm; then migrate "
                        "results_api zero-search again, or create the index by hand "
                        "(docs/api.md, Search)."
                    ),
                    id="results_api.W031",
                )
            )
    return problems
