"""Kombu's stock JSON without the registry's per-call work, for the backend's hot paths.

Every stored state encodes a result and a meta, and every read decodes up
to four columns. While the ``json`` serializer is the one kombu ships (the
default), these go through one reused encoder and decoder set up exactly as
kombu's ``dumps`` and ``loads`` set up theirs: the same text, the same
values, the same ``EncodeError``/``DecodeError``. A project that registers
its own ``json`` serializer keeps going through kombu's registry.
"""

from __future__ import annotations

import json
from typing import Any

from kombu.exceptions import DecodeError, EncodeError
from kombu.serialization import registry
from kombu.utils import json as kombu_json

JSON_CONTENT_TYPE = "application/json"

_ENCODER = kombu_json.JSONEncoder()
_DECODER = json.JSONDecoder(object_hook=kombu_json.object_hook)


def is_stock_json() -> bool:
    """Return whether kombu's ``json`` serializer is still kombu's own."""
    codec = getattr(registry, "_encoders", {}).get("json")
    decoder = getattr(registry, "_decoders", {}).get(JSON_CONTENT_TYPE)
    return codec is not None and codec.encoder is kombu_json.dumps and decoder is kombu_json.loads


def dumps(data: Any) -> str:
    """Return ``data`` as kombu's ``json`` serializer writes it."""
    try:
        return _ENCODER.encode(data)
    except Exception as exc:
        raise EncodeError(exc) from exc


def loads(text: str) -> Any:
    """Return the value of JSON ``text`` as kombu's ``json`` serializer reads it."""
    try:
        return _DECODER.decode(text)
    except Exception as exc:
        raise DecodeError(exc) from exc
