"""Test settings: the default result models. Environment variables pick the servers.

``CRA_DATABASE=postgres`` switches from SQLite to PostgreSQL (``CRA_PG_*``),
``CRA_DATABASE=mariadb`` to MariaDB (``CRA_MARIADB_*``);
``CRA_REDIS_URL`` is the broker of the real-worker tests.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("CRA_VAR_DIR", ROOT / "var"))
VAR.mkdir(exist_ok=True)
# Test databases are named per run, so that suites running at once never share one.
RUN_TAG = f"{os.environ.get('CRA_SETTINGS_TAG', 'default')}_{os.getpid()}"

SECRET_KEY = "tests-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]
# pytest-django's live_server serves static files under it (None breaks it).
STATIC_URL = "/static/"

ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Test users log in thousands of times; PBKDF2 would spend most of the suite hashing.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_celery_results",
    "results_api",
    "tests.testapp",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

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

DATABASE = os.environ.get("CRA_DATABASE", "sqlite")
if DATABASE == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("CRA_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("CRA_PG_PORT", "5432"),
            "USER": os.environ.get("CRA_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("CRA_PG_PASSWORD", ""),
            "NAME": os.environ.get("CRA_DB_NAME", "celery_results"),
            "TEST": {"NAME": f"test_celery_results_{RUN_TAG}"},
        }
    }
elif DATABASE == "mariadb":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "HOST": os.environ.get("CRA_MARIADB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("CRA_MARIADB_PORT", "3306"),
            "USER": os.environ.get("CRA_MARIADB_USER", "root"),
            "PASSWORD": os.environ.get("CRA_MARIADB_PASSWORD", ""),
            "NAME": os.environ.get("CRA_DB_NAME", "celery_results"),
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {
                "NAME": f"test_celery_results_{RUN_TAG}",
                "CHARSET": "utf8mb4",
                "COLLATION": "utf8mb4_unicode_ci",
            },
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("CRA_DB_NAME", str(VAR / "tests.sqlite3")),
            "OPTIONS": {"timeout": 30},
            # A file, so that a worker process sees the test database too.
            "TEST": {"NAME": str(VAR / f"test_{RUN_TAG}.sqlite3")},
        }
    }

CELERY_BROKER_URL = os.environ.get("CRA_REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = "django-db"
# A queue of its own per test session, so concurrent suites on one Redis never mix.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CRA_CELERY_QUEUE", "celery")
CELERY_RESULT_EXTENDED = True
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_BACKEND_ALWAYS_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Remote control (ping, revoke, add_consumer) of its own per test session, passed
# to the workers it starts: Celery's revoke marks the task REVOKED in the backend
# of every worker that hears it, so another session's revoke of "t-1" would store
# a row in this session's databases.
CELERY_CONTROL_EXCHANGE = os.environ.setdefault("CRA_CONTROL_EXCHANGE", f"tests-{RUN_TAG}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
SPECTACULAR_SETTINGS = {"TITLE": "celery-results-api (tests)", "SERVE_INCLUDE_SCHEMA": False}
