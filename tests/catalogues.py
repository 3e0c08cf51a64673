"""The message catalogues of both packages: what their .po files say, and what the code marks."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("django_celery_results", "results_api")
LANGUAGES = ("es", "pt_BR", "ru", "zh_Hans")


def catalogue(package: str, language: str, suffix: str = "po") -> Path:
    return ROOT / package / "locale" / language / "LC_MESSAGES" / f"django.{suffix}"


def read_po(path: Path) -> tuple[dict[str, str], list[str]]:
    """Return a .po file's msgid -> msgstr (header left out) and the flags of its entries."""
    entries: dict[str, str] = {}
    flags: list[str] = []
    key, parts = None, {"msgid": [], "msgstr": []}

    def finish() -> None:
        msgid = "".join(parts["msgid"])
        if parts["msgid"] and msgid:
            entries[msgid] = "".join(parts["msgstr"])

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,"):
            flags.append(line)
        elif line.startswith(("msgid ", "msgstr ")):
            key, _, literal = line.partition(" ")
            if key == "msgid":
                finish()
                parts = {"msgid": [], "msgstr": []}
            parts[key].append(ast.literal_eval(literal))
        elif line.startswith('"') and key:
            parts[key].append(ast.literal_eval(line))
    finish()
    return entries, flags


def marked_strings(package: str, workdir: Path) -> set[str]:
    """Return every string the package's code marks for translation, as makemessages finds them."""
    copy = workdir / package
    shutil.copytree(ROOT / package, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (copy / "locale").mkdir()
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "es", "--no-location"],
        cwd=copy,
        env=environment,
        check=True,
        capture_output=True,
    )
    entries, _flags = read_po(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")
    return set(entries)
