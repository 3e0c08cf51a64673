"""Both packages ship es, pt_BR, ru and zh_Hans catalogues: complete, translated and compiled."""

from __future__ import annotations

import gettext
import os
import re
import shutil

import pytest

from tests.catalogues import LANGUAGES, PACKAGES, catalogue, marked_strings, read_po

# Nothing here reads the database or the active model: once per settings module.
pytestmark = pytest.mark.default_model

PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w+\}")
CASES = [(package, language) for package in PACKAGES for language in LANGUAGES]


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    if not shutil.which("xgettext"):
        message = "xgettext is missing (scripts/services install installs gettext)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {
        package: marked_strings(package, tmp_path_factory.mktemp(package)) for package in PACKAGES
    }


@pytest.mark.parametrize(("package", "language"), CASES)
def test_every_marked_string_is_in_the_catalogue(marked, package, language):
    entries, _flags = read_po(catalogue(package, language))

    assert sorted(marked[package] - set(entries)) == []
    assert sorted(set(entries) - marked[package]) == []


@pytest.mark.parametrize(("package", "language"), CASES)
def test_every_entry_is_translated_and_none_is_fuzzy(package, language):
    entries, flags = read_po(catalogue(package, language))

    assert entries
    assert [msgid for msgid, msgstr in entries.items() if not msgstr.strip()] == []
    assert [flag for flag in flags if "fuzzy" in flag] == []


@pytest.mark.parametrize(("package", "language"), CASES)
def test_the_committed_mo_is_the_compiled_po(package, language):
    entries, _flags = read_po(catalogue(package, language))
    with catalogue(package, language, "mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)

    assert {msgid: translations.gettext(msgid) for msgid in entries} == entries


@pytest.mark.parametrize(("package", "language"), CASES)
def test_each_translation_keeps_the_placeholders_of_its_message(package, language):
    entries, _flags = read_po(catalogue(package, language))

    wrong = {
        msgid: msgstr
        for msgid, msgstr in entries.items()
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr))
    }
    assert wrong == {}
