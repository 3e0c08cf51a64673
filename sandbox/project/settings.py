"""Settings of the sandbox: SQLite and a filesystem broker unless the environment says otherwise.

Environment (all optional; ``sandbox/run`` documents them too):

* ``SANDBOX_VAR_DIR``: where the database, broker files and logs live (``sandbox/var``).
* ``SANDBOX_DATABASE_URL`` (``postgres://user:pass@host:5432/name``), or
  ``SANDBOX_PG_HOST`` / ``_PORT`` / ``_USER`` / ``_PASSWORD`` / ``_NAME``: PostgreSQL.
* ``SANDBOX_BROKER_URL`` (``redis://127.0.0.1:6379/0``): another broker.
* ``SANDBOX_DEBUG=1``: Django's debug pages.
* ``SANDBOX_TIME_ZONE``: the project's time zone (``UTC``), in which the dashboard shows dates.
"""

import os
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SANDBOX_VAR_DIR") or BASE_DIR / "var").resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("SANDBOX_SECRET_KEY", "sandbox-only-not-a-secret")
DEBUG = os.environ.get("SANDBOX_DEBUG", "") not in ("", "0", "false", "no")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", *os.environ.get("SANDBOX_HOSTS", "").split()]
ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = os.environ.get("SANDBOX_TIME_ZONE", "UTC")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_results",
    "results_api",
    "tenants",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

STATIC_URL = "static/"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "results_dashboard:index"
LOGOUT_REDIRECT_URL = "login"


def _database() -> dict:
    """Return the default database: PostgreSQL when the environment names one, else SQLite."""
    url = os.environ.get("SANDBOX_DATABASE_URL")
    if url:
        import dj_database_url

        return dj_database_url.parse(url)
    if any(name.startswith("SANDBOX_PG_") for name in os.environ):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("SANDBOX_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("SANDBOX_PG_PORT", "5432"),
            "USER": os.environ.get("SANDBOX_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("SANDBOX_PG_PASSWORD", ""),
            "NAME": os.environ.get("SANDBOX_PG_NAME", "celery_results_sandbox"),
        }
    options = {"timeout": 20}  # seconds a writer waits for the lock (SQLite's busy timeout)
    if django.VERSION >= (5, 1):
        # Take the write lock when a transaction starts, so that two writers
        # queue on the busy timeout instead of failing to upgrade a read lock.
        options["transaction_mode"] = "IMMEDIATE"
    # WAL mode (readers never block the worker's writes) is set per connection
    # in tenants.apps, which works on every supported Django version.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "sandbox.sqlite3",
        "OPTIONS": options,
    }


DATABASES = {"default": _database()}
# As the README recommends: a worker keeps its connection across tasks and checks it first.
DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Celery: the worker stores every state of every task, with its tenant.
CELERY_BROKER_URL = os.environ.get("SANDBOX_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem"):
    BROKER_DIR = VAR_DIR / "broker"
    (BROKER_DIR / "queue").mkdir(parents=True, exist_ok=True)
    (BROKER_DIR / "control").mkdir(parents=True, exist_ok=True)
    # kombu's filesystem transport, with sends a polling worker never sees half written.
    CELERY_BROKER_TRANSPORT = "tenants.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "polling_interval": 0.2,
    }
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("SANDBOX_QUEUE", "sandbox")
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
# Start times: without them every runtime and waiting time is null.
CELERY_TASK_TRACK_STARTED = True
# A PENDING row for each task sent, so the dashboard shows the queue and the waits.
CELERY_RESULTS_TRACK_SENT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# As the README recommends: a result write the database refused for a moment (SQLite's
# lock held by a busy process, a restarted server) is retried, not lost.
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
CELERY_RESULTS_TASKRESULT_MODEL = "tenants.TaskResult"
CELERY_RESULTS_EXTEND_TASK_PROPS_CALLBACK = "tenants.results.extend_task_props"
# Who sees which rows, on every page: the results API, the dashboard, the
# metrics and the status views (/celery/...).
CELERY_RESULTS_SCOPE_QUERYSET = "tenants.scope.scope_to_tenant"

# The results API: any logged-in user, narrowed to their tenant unless staff
# (CELERY_RESULTS_SCOPE_QUERYSET above).
RESULTS_API = {
    "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The dashboard asks tasks/stats/ for its counts and chart when something
    # changed, and a user may keep a few tabs open: more than the default 120/minute.
    "THROTTLE_RATES": {"stats": "300/minute"},
    # Revoke and retry, for staff only (the default permission classes): the
    # dashboard shows their buttons to the users the API lets act.
    "REVOKE_ENABLED": True,
    "RETRY_ENABLED": True,
    # The same over every task a filter selects (tasks/bulk/<action>/), for staff
    # with the bulk permissions (superusers have them): a preview, then a confirmation.
    "BULK_ACTIONS": ["retry", "revoke", "delete"],
    "CELERY_APP": "project.celery.app",
}
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
SPECTACULAR_SETTINGS = {
    "TITLE": "Celery results API (sandbox)",
    "DESCRIPTION": "Task and group results stored by the sandbox's worker, per tenant.",
    "VERSION": "1.0.0",
    # Swagger UI and ReDoc from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
