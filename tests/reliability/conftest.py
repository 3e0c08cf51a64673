"""Fixtures of the reliability tests."""

import pytest


@pytest.fixture(autouse=True)
def no_throttling(settings):
    """Throttling is tested with the API; here it would only turn hundreds of requests into 429s."""
    settings.RESULTS_API = {**getattr(settings, "RESULTS_API", {}), "THROTTLE_CLASSES": []}
