"""Django settings of the end-to-end benchmark's workers and clients, in either virtualenv.

``BENCH_E2E_CONFIG`` picks the configuration: ``defaults`` (ours, Django's
connection defaults), ``recommended`` (ours, as the README sets it up),
``upstream`` (django-celery-results 2.6.0, run from its own virtualenv) or
``redis`` (Celery's Redis result backend). ``BENCH_DB_NAME``, ``CRA_PG_*``,
``BENCH_REDIS_URL`` and ``BENCH_QUEUE`` say where.
"""

import os

CONFIG = os.environ.get("BENCH_E2E_CONFIG", "recommended")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:63799/0")

SECRET_KEY = "benchmarks-only"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
INSTALLED_APPS = [] if CONFIG == "redis" else ["django_celery_results"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("CRA_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("CRA_PG_PORT", "54329"),
        "USER": os.environ.get("CRA_PG_USER", "postgres"),
        "PASSWORD": os.environ.get("CRA_PG_PASSWORD", ""),
        "NAME": os.environ.get("BENCH_DB_NAME", "cra_bench_e2e"),
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL if CONFIG == "redis" else "django-db"
CELERY_RESULT_EXPIRES = 3600
CELERY_RESULT_EXTENDED = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_QUEUE", "bench-e2e")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

if CONFIG == "recommended":
    # The README's Install section.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
