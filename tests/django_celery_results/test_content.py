"""Stored content decoded for display: JSON only, depth bounded, what cannot be shown marked."""

from __future__ import annotations

import math

import pytest
from kombu.utils import json as kombu_json

from django_celery_results.content import (
    MAX_DEPTH,
    TOO_DEEP,
    Undecodable,
    decode_exact,
    decode_json,
    exceeds_depth,
    is_decodable,
)


def nested(levels: int) -> list:
    value: list = []
    for _ in range(levels):
        value = [value]
    return value


def test_only_json_is_decodable():
    assert is_decodable("application/json")
    assert not is_decodable("application/x-python-serialize")
    assert not is_decodable(None)


def test_a_value_as_deep_as_the_limit_is_shown_whole():
    text = kombu_json.dumps(nested(MAX_DEPTH - 1))
    assert decode_json(text) == nested(MAX_DEPTH - 1)


def test_a_value_hundreds_of_levels_deep_shows_its_first_levels_and_a_mark():
    value = decode_json(kombu_json.dumps({"a": nested(900), "b": 1}))

    assert not exceeds_depth(value)
    assert value["b"] == 1
    inner = value["a"]
    while isinstance(inner, list):
        inner = inner[0]
    assert inner == TOO_DEEP


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = kombu_json.dumps({"s": "[" * 200 + '\\"{' * 100, "n": nested(3)})
    assert decode_json(text) == {"s": "[" * 200 + '\\"{' * 100, "n": nested(3)}


def test_nan_and_infinity_are_null_for_display():
    assert decode_json('[NaN, Infinity, -Infinity, 1, {"k": [NaN]}]') == [
        None,
        None,
        None,
        1,
        {"k": [None]},
    ]


def test_nan_and_infinity_are_kept_as_floats_when_decoded_exactly():
    value = decode_exact('[NaN, Infinity, -Infinity, 1.5, "NaN", "\\ud800"]')

    assert math.isnan(value[0])
    assert value[1:] == [math.inf, -math.inf, 1.5, "NaN", "\ud800"]


def test_exact_decoding_refuses_what_display_would_cut():
    text = kombu_json.dumps(nested(MAX_DEPTH + 1))

    assert decode_json(text) is not None
    with pytest.raises(Undecodable):
        decode_exact(text)
    with pytest.raises(Undecodable):
        decode_exact("{not json")


def test_a_lone_surrogate_is_replaced_and_a_pair_is_kept():
    value = decode_json(r'["\ud800", "\ud83d\ude00", {"\udfff": 1}]')
    assert value[1] == "\U0001f600"
    assert "\ud800" not in value[0] and "\ufffd" in value[0]
    (key,) = value[2]
    key.encode("utf-8")  # no lone surrogate left


@pytest.mark.parametrize("text", ["", "{", "[1,", "nope", b"\xff\xfe", "[" * 5000, 3])
def test_text_that_is_not_json_is_undecodable(text):
    with pytest.raises(Undecodable):
        decode_json(text)


def test_bytes_stored_by_the_worker_show_as_the_encoders_mapping():
    assert decode_json(kombu_json.dumps(b"\x00\xff")) == {"__type__": "base64", "__value__": "AP8="}
