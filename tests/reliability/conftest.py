"""Fixtures of the reliability tests."""

import logging

import pytest


@pytest.fixture(autouse=True)
def no_throttling(settings):
    """Throttling is tested with the API; here it would only turn hundreds of requests into 429s."""
    settings.RESULTS_API = {**getattr(settings, "RESULTS_API", {}), "THROTTLE_CLASSES": []}


@pytest.fixture
def quiet_request_log():
    """Keep django.request's record of each 4xx and 5xx out of the output: there are hundreds."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)
