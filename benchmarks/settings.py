"""Django settings of the benchmarks: the test app's custom model and callback.

``BENCH_DB`` (postgres or sqlite) and ``BENCH_DB_NAME`` pick the database;
``CRA_PG_*`` the PostgreSQL server.
"""

import os

from benchmarks.harness import VAR

VAR.mkdir(exist_ok=True)

SECRET_KEY = "benchmarks-only"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "benchmarks.urls"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.messages",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "rest_framework",
    "django_filters",
    "django_celery_results",
    "results_api",
    "tests.testapp",
]
MIDDLEWARE = [
    "benchmarks.timing.DatabaseTimeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
# The admin's changelist and search are measured too.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

NAME = os.environ.get("BENCH_DB_NAME", "cra_bench")
if os.environ.get("BENCH_DB", "postgres") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("CRA_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("CRA_PG_PORT", "54329"),
            "USER": os.environ.get("CRA_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("CRA_PG_PASSWORD", ""),
            "NAME": NAME,
            "CONN_MAX_AGE": 60,
        }
    }
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR / f"{NAME}.sqlite3")}
    }

# As the README recommends for the API: sessions read from the cache, the database only on a miss.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
# The writers store STARTED before each final state, as a worker with it on does.
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULTS_TASKRESULT_MODEL = "testapp.TaskResult"
CELERY_RESULTS_EXTEND_TASK_PROPS_CALLBACK = "tests.testapp.results.extend_task_props"
# The benchmark sends its requests as fast as it can: no throttling.
RESULTS_API = {"THROTTLE_CLASSES": []}
