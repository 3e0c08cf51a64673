"""A throwaway Django project in a temporary directory, run by ``django-admin`` in a subprocess.

Start-up behaviour (system checks, the admin's discovery, URLconf imports)
happens once per process, so tests of a misconfiguration run a real
``manage.py``-like process on settings written for the test.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BASE_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "django_filters",
    "django_celery_results",
    "results_api",
]

SETTINGS = """\
SECRET_KEY = "throwaway"
USE_TZ = True
ROOT_URLCONF = "throwaway_urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = {apps!r}
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        }},
    }}
]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {database!r}}}}}
{extra}
"""

URLS = """\
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/results/", include("results_api.urls")),
]
"""
# The store's status views, routed only when its app is installed (as a project would).
STORE_URLS = 'urlpatterns.append(path("celery/", include("django_celery_results.urls")))\n'


@dataclass
class ThrowawayProject:
    """Settings and URLs written to ``directory``; ``run()`` calls ``django-admin`` on them."""

    directory: Path
    apps: list[str] = field(default_factory=lambda: list(BASE_APPS))
    extra: str = ""
    python: str = sys.executable
    # Put the checkout on the path (its packages and tests.testapp); False
    # for a virtualenv that must use only what was installed into it.
    with_checkout: bool = True

    def write(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        database = str(self.directory / "db.sqlite3")
        settings = SETTINGS.format(apps=self.apps, database=database, extra=self.extra)
        (self.directory / "throwaway_settings.py").write_text(settings)
        store = STORE_URLS if "django_celery_results" in self.apps else ""
        (self.directory / "throwaway_urls.py").write_text(URLS + store)

    def environment(self) -> dict[str, str]:
        """Return the environment of a process of the project: its settings on the path."""
        path = [str(self.directory)] + ([str(ROOT)] if self.with_checkout else [])
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")
        }
        environment.update(
            DJANGO_SETTINGS_MODULE="throwaway_settings",
            PYTHONPATH=os.pathsep.join(path),
        )
        return environment

    def run(self, *arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run ``python -m django <arguments>`` in the project; return the finished process."""
        if not (self.directory / "throwaway_settings.py").exists():
            self.write()
        return subprocess.run(
            [self.python, "-m", "django", *arguments],
            cwd=self.directory,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    @contextlib.contextmanager
    def serve(self, ready_path: str) -> Iterator[str]:
        """Run ``runserver`` on a free port for the block; yield its address once ready."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=self.directory,
            env=self.environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        address = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{address}{ready_path}", timeout=5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.2)
            yield address
        finally:
            server.terminate()
            server.wait(timeout=30)
