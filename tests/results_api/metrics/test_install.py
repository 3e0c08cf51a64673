"""The endpoint without prometheus-client: an error that says what to install."""

from __future__ import annotations

import importlib
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured


def test_mounting_the_endpoint_without_prometheus_client_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "results_api.metrics.urls", raising=False)

    with pytest.raises(ImproperlyConfigured, match=r"\[metrics\] extra"):
        importlib.import_module("results_api.metrics.urls")
