"""The distribution: ``python -m build`` makes an sdist and a wheel that carry every package file.

The wheel (which ``build`` makes from the sdist) is installed with the
README's command into a fresh virtualenv, where a new project migrates,
passes its checks and finds the templates and catalogues.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from tests.catalogues import LANGUAGES
from tests.throwaway import ThrowawayProject

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("django_celery_results", "results_api")

# Once per settings module is enough: nothing here reads the test database.
pytestmark = [pytest.mark.slow, pytest.mark.default_model]


def package_files() -> set[str]:
    """Return the files of both packages a clone has (tracked or new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *PACKAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {name for name in listed if (ROOT / name).is_file()}


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """Return a copy of the checkout's files, as a clone or a source archive has them."""
    copy = tmp_path_factory.mktemp("source")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def dist(source, tmp_path_factory) -> dict[str, Path]:
    """Return the sdist and the wheel ``python -m build`` makes from the source."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.fixture(scope="module")
def fresh_python(dist, tmp_path_factory) -> str:
    """Return the python of a new virtualenv with the wheel installed by the README's command."""
    environment = tmp_path_factory.mktemp("venv")
    venv.create(environment, with_pip=True)
    python = str(environment / "bin" / "python")
    requirement = f"celery-results-api[api] @ {dist['wheel'].as_uri()}"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement],
        check=True,
        capture_output=True,
        timeout=900,
    )
    return python


def test_the_wheel_carries_every_package_file(dist):
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = set(wheel.namelist())

    assert package_files() - names == set()


def test_the_sdist_carries_every_package_file(dist):
    with tarfile.open(dist["sdist"]) as sdist:
        top = sdist.getnames()[0].split("/")[0]
        names = {name.removeprefix(f"{top}/") for name in sdist.getnames()}

    assert package_files() - names == set()


def test_the_wheel_carries_migrations_templates_and_catalogues(dist):
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = set(wheel.namelist())

    assert "django_celery_results/migrations/0014_alter_taskresult_status.py" in names
    assert any(name.endswith(".html") and "/templates/" in name for name in names)
    catalogues = {
        f"{package}/locale/{language}/LC_MESSAGES/django.{suffix}"
        for package in PACKAGES
        for language in LANGUAGES
        for suffix in ("po", "mo")
    }
    assert catalogues - names == set()


def test_a_new_project_migrates_and_passes_its_checks_with_the_installed_wheel(
    fresh_python, tmp_path
):
    project = ThrowawayProject(tmp_path / "project", python=fresh_python, with_checkout=False)

    migrated = project.run("migrate", "--no-input")
    checked = project.run("check")

    assert migrated.returncode == 0, migrated.stderr
    assert "Applying django_celery_results.0014_alter_taskresult_status... OK" in migrated.stdout
    assert checked.returncode == 0, checked.stderr


def test_the_installed_packages_come_from_the_virtualenv_with_their_files(fresh_python, tmp_path):
    project = ThrowawayProject(tmp_path / "project", python=fresh_python, with_checkout=False)
    script = (
        "import django_celery_results, results_api; "
        "from celery.app.backends import by_name; "
        "from django.template.loader import get_template; "
        "from django_celery_results.utils import now; "
        "print(django_celery_results.__file__, results_api.__file__); "
        "print(by_name('django-db').__module__); "
        "print(get_template('django_celery_results/admin/change_list.html').origin.name); "
        "from django.utils import translation; translation.activate('es'); "
        "print(translation.gettext('Invalid cursor.').replace(' ', '_'))"
    )

    finished = project.run("shell", "-c", script)

    assert finished.returncode == 0, finished.stderr
    *_, store, api, backend, template, translated = finished.stdout.split()
    assert all("/site-packages/" in path for path in (store, api, template))
    assert backend == "django_celery_results.backends.database"
    assert translated == "Cursor_no_válido."
