"""Read the fenced code blocks of a Markdown section, with their language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Snippet:
    """One fenced block: its language (``python``, ``console``, ...) and its text."""

    language: str
    text: str


def section(document: str, heading: str) -> str:
    """Return the text of the ``## heading`` section of ``document`` (a path in the checkout)."""
    text = (ROOT / document).read_text()
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def snippets(document: str, heading: str) -> list[Snippet]:
    """Return the fenced blocks of a section, in order."""
    return [
        Snippet(match.group(1), match.group(2))
        for match in FENCE.finditer(section(document, heading))
    ]
