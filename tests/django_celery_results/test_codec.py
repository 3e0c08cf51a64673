"""The backend's JSON path: the same text and values as kombu's serializer registry."""

import datetime
import decimal
import uuid

import pytest
from celery import states
from kombu import serialization
from kombu.exceptions import DecodeError, EncodeError

from django_celery_results import codec
from django_celery_results.backends import DatabaseBackend

PAYLOADS = [
    None,
    0,
    -1.5,
    "plain",
    "ünïcødé ✓ \u2028 \x00",
    [1, "two", None, True],
    {"nested": {"list": [1, 2, {"deep": "é"}]}, "empty": {}},
    {"when": datetime.datetime(2026, 11, 24, 13, 0, tzinfo=datetime.timezone.utc)},
    {"day": datetime.date(2026, 11, 24), "at": datetime.time(13, 0)},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"amount": decimal.Decimal("12.50")},
    {"raw": b"bytes", "binary": b"\xff\xfe"},
    {"nan": float("nan"), "inf": float("inf")},
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_json_is_written_as_kombu_writes_it(payload):
    assert codec.dumps(payload) == serialization.dumps(payload, serializer="json")[2]


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_json_is_read_as_kombu_reads_it(payload):
    text = serialization.dumps(payload, serializer="json")[2]
    expected = serialization.loads(text, "application/json", "utf-8")
    decoded = codec.loads(text)
    assert repr(decoded) == repr(expected)


def test_what_json_cannot_hold_is_an_encode_error():
    with pytest.raises(EncodeError):
        codec.dumps({"object": object()})


def test_text_that_is_not_json_is_a_decode_error():
    with pytest.raises(DecodeError):
        codec.loads("{not json")


@pytest.mark.django_db
def test_the_backend_stores_and_reads_through_the_same_path(backend):
    backend.store_result("t-codec", {"when": datetime.date(2026, 11, 24)}, states.SUCCESS)

    meta = backend.get_task_meta("t-codec", cache=False)

    assert meta["result"] == {"when": datetime.date(2026, 11, 24)}


def test_a_project_json_serializer_is_used_instead(celery_app):
    original = serialization.registry._encoders["json"]

    def shout(data):
        return original.encoder(data).upper()

    serialization.register(
        "json", shout, serialization.registry._decoders["application/json"],
        content_type="application/json", content_encoding="utf-8",
    )  # fmt: skip
    try:
        assert not codec.is_stock_json()
        backend = DatabaseBackend(app=celery_app)
        assert backend.encode_content("quiet")[2] == '"QUIET"'
    finally:
        serialization.register(
            "json", original.encoder, serialization.registry._decoders["application/json"],
            content_type="application/json", content_encoding="utf-8",
        )  # fmt: skip
    assert codec.is_stock_json()
