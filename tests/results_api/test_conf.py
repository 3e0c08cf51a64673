"""``api_settings``: defaults, the project's values, imports and reloads."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from rest_framework.permissions import AllowAny, IsAdminUser

from results_api.conf import DEFAULTS, api_settings


def test_defaults():
    permission_classes = api_settings.PERMISSION_CLASSES
    assert permission_classes == [IsAdminUser]
    assert api_settings.PAGE_SIZE == DEFAULTS["PAGE_SIZE"] == 50
    assert api_settings.MAX_PAGE_SIZE == 500
    assert api_settings.EXCLUDE_FIELDS == []
    assert api_settings.STRICT_QUERY_PARAMS is True


def test_project_values_override_defaults_and_reload_on_change():
    with override_settings(RESULTS_API={"PAGE_SIZE": 7}):
        assert api_settings.PAGE_SIZE == 7
        with override_settings(RESULTS_API={"PAGE_SIZE": 9}):
            assert api_settings.PAGE_SIZE == 9
        assert api_settings.PAGE_SIZE == 7
    assert api_settings.PAGE_SIZE == 50


def test_dotted_paths_are_imported(settings):
    settings.RESULTS_API = {
        "PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
        "CELERY_APP": "tests.celery_app.app",
    }
    from tests.celery_app import app

    permission_classes = api_settings.PERMISSION_CLASSES
    assert permission_classes == [AllowAny]
    assert api_settings.CELERY_APP is app


def test_objects_are_accepted_as_they_are(settings):
    app = object()
    settings.RESULTS_API = {"CELERY_APP": app}
    assert api_settings.CELERY_APP is app


def test_unknown_key_is_a_configuration_error_naming_it(settings):
    settings.RESULTS_API = {"PAGE_SIZ": 10}
    with pytest.raises(ImproperlyConfigured, match="PAGE_SIZ"):
        api_settings.PAGE_SIZE  # noqa: B018


def test_unimportable_path_is_an_error_naming_the_setting(settings):
    settings.RESULTS_API = {"CELERY_APP": "nowhere.app"}
    with pytest.raises(ImportError, match="CELERY_APP"):
        api_settings.CELERY_APP  # noqa: B018


@pytest.mark.parametrize(
    ("key", "setting"),
    [
        ("SCOPE_QUERYSET", "CELERY_RESULTS_SCOPE_QUERYSET"),
        ("REDACT_KEYS", "CELERY_RESULTS_REDACT_KEYS"),
        ("REDACT_HOOK", "CELERY_RESULTS_REDACT_HOOK"),
        ("REDACT_MASK", "CELERY_RESULTS_REDACT_MASK"),
    ],
)
def test_a_scope_or_masking_key_is_refused_naming_the_stores_setting(settings, key, setting):
    settings.RESULTS_API = {key: None}
    with pytest.raises(ImproperlyConfigured, match=setting):
        api_settings.PAGE_SIZE  # noqa: B018


def test_every_default_is_documented_by_a_comment_of_its_own():
    """Between each key of DEFAULTS and the entry before it stands a comment."""
    import ast
    import inspect
    import io
    import tokenize

    import results_api.conf

    source = inspect.getsource(results_api.conf)
    comments = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    assignment = next(
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "DEFAULTS"
    )
    dictionary = assignment.value
    assert isinstance(dictionary, ast.Dict)
    previous_end = dictionary.lineno
    undocumented = []
    for key, value in zip(dictionary.keys, dictionary.values, strict=True):
        assert isinstance(key, ast.Constant)
        if not comments & set(range(previous_end + 1, key.lineno)):
            undocumented.append(key.value)
        previous_end = value.end_lineno
    assert sorted(undocumented) == [], "no comment above these keys"
    assert [key.value for key in dictionary.keys] == list(DEFAULTS)
