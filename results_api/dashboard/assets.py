"""The dashboard's style sheet and script modules, served by the dashboard's own URL.

The files live at ``results_api/dashboard/<name>`` among the static files: the
package's own under ``results_api/dashboard/static/``, unless the project's
static files finders (``django.contrib.staticfiles``: ``STATICFILES_DIRS``, an app
listed earlier) hold a file of the same path, which then replaces it — the usual
way to override an app's static file. Nothing needs ``collectstatic``.

The page links each file as ``assets/<name>?v=<hash of its content>``, answered with
a year of ``Cache-Control: immutable``. A module's relative imports
(``from "./table.js"``) are served with the version of the module they name, and
a module's version covers its imports' versions: a change to any module changes the
URL of every module that imports it, up to the page's, so a browser never mixes the
modules of two releases.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from django_celery_results.setting_caches import forget_when_changed

__all__ = ["ENTRY", "STATIC_PATH", "Asset", "get_asset", "module_graph"]

# Where the files are among the static files, app-namespaced.
STATIC_PATH = "results_api/dashboard/"
PACKAGE_STATIC = Path(__file__).resolve().parent / "static"
# The page's main module.
ENTRY = "dashboard.js"
# A file name of one folder: no path, no hidden file.
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.(js|css)")
MEDIA_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}
# A relative import of a module beside this one: ``from "./x.js"``, ``import "./x.js"``,
# ``import("./x.js")``.
IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])\./([A-Za-z0-9_][\w.-]*\.js)\2""")
_loading: set[str] = set()


@dataclass(frozen=True)
class Asset:
    """One file's bytes as served, media type, version (a hash of them), and its imports."""

    name: str
    content: bytes
    content_type: str
    version: str
    imports: tuple[str, ...] = ()


def find_asset(name: str) -> Path | None:
    """Return the file of ``name``: the static files finders', else the package's, else None."""
    if not NAME.fullmatch(name):
        return None
    if apps.is_installed("django.contrib.staticfiles"):
        from django.contrib.staticfiles import finders

        found = finders.find(STATIC_PATH + name)
        if isinstance(found, str):
            return Path(found)
    path = PACKAGE_STATIC / STATIC_PATH / name
    return path if path.is_file() else None


@functools.cache
def get_asset(name: str) -> Asset:
    """Return the asset called ``name``; ``KeyError`` when there is no such file."""
    path = find_asset(name)
    if path is None:
        raise KeyError(name)
    content = path.read_bytes()
    imports: list[str] = []
    if name.endswith(".js"):
        if name in _loading:
            raise ImproperlyConfigured(f"The dashboard's modules import in a circle: {name}")
        _loading.add(name)
        try:
            text = IMPORT.sub(lambda match: _versioned(match, imports), content.decode())
        finally:
            _loading.discard(name)
        content = text.encode()
    version = hashlib.sha256(content).hexdigest()[:16]
    content_type = MEDIA_TYPES[name.rsplit(".", 1)[1]]
    return Asset(name, content, content_type, version, tuple(imports))


def _versioned(match: re.Match[str], imports: list[str]) -> str:
    keyword, quote, module = match.groups()
    try:
        version = get_asset(module).version
    except KeyError:
        raise ImproperlyConfigured(f"A dashboard module imports a missing {module}") from None
    imports.append(module)
    return f"{keyword}{quote}./{module}?v={version}{quote}"


def module_graph(entry: str = ENTRY) -> list[Asset]:
    """Return ``entry`` and every module it imports, directly or not, each once."""
    seen: dict[str, Asset] = {}
    pending = [entry]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen[name] = get_asset(name)
            pending.extend(seen[name].imports)
    return list(seen.values())


# The files are read again when the settings that find them change (in tests).
forget_when_changed(
    get_asset.cache_clear,
    settings=("STATICFILES_DIRS", "STATICFILES_FINDERS", "INSTALLED_APPS"),
)
