"""Settings of the web server the load test starts: the run's settings, as deployed.

Connections are kept between requests (``CONN_MAX_AGE``) and sessions are
read from the cache (``cached_db``), as the README recommends for a site
serving the API, and the API's throttles are off: the load comes from one
test user, far over the default per-user rates.
"""

from tests.reliability.worker_settings import *  # noqa: F403

DEBUG = False
CONN_MAX_AGE = 60
DATABASES["default"]["CONN_MAX_AGE"] = CONN_MAX_AGE  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
RESULTS_API = {"THROTTLE_CLASSES": []}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
}
