"""Celery's argument reprs: parsed exactly, or refused where Celery cut or mangled them."""

from __future__ import annotations

import ast
import gc
import threading
import time

import pytest
from celery.utils.saferepr import saferepr

from django_celery_results.reprs import (
    MAX_PARSED_LENGTH,
    NotALiteral,
    exact_literal,
    parse_literal,
    render_literal,
    truncation_marks,
)

# What Celery's AMQP layer passes to saferepr for argsrepr and kwargsrepr.
MAXSIZE, MAXLEVELS = 1024, 3


def celery_repr(value: object) -> str:
    """Return ``value`` as Celery stores it as argsrepr/kwargsrepr by default."""
    return saferepr(value, MAXSIZE, maxlevels=MAXLEVELS)


@pytest.mark.parametrize(
    "value",
    [
        (1, "pdf"),
        (),
        ("one",),
        {"tenant_id": 3, "names": ["a", "b"], "flag": True, "none": None, "ratio": 0.5},
        ("it's", 'say "hi"', "ünïcode 🚀"),
        ([1, [2, 3]],),
        (-7, 2**70, 1e-9),
    ],
    ids=["tuple", "empty", "one-tuple", "dict", "quotes-unicode", "nested", "numbers"],
)
def test_a_whole_celery_repr_parses_to_the_value_it_was_made_from(value):
    assert exact_literal(celery_repr(value)) == value


def test_a_plain_python_repr_without_backslashes_parses_too():
    assert exact_literal(repr(("it's", {"k": 'q"'}))) == ("it's", {"k": 'q"'})


def test_a_celery_repr_with_escaped_quotes_parses():
    assert exact_literal(celery_repr(("it's", "a 'b' c"))) == ("it's", "a 'b' c")


def test_a_plain_python_repr_with_backslashes_is_refused_as_ambiguous():
    with pytest.raises(NotALiteral, match="exact"):
        exact_literal(repr(("line\nbreak",)))


def test_a_repr_cut_at_the_maximum_length_after_an_item_is_refused():
    text = celery_repr(tuple(["ab"] * 1000))
    assert text.endswith("'ab', ...)")  # parses: the cut is an Ellipsis item
    with pytest.raises(NotALiteral, match="cut short"):
        exact_literal(text)


def test_a_repr_cut_at_the_maximum_length_after_a_separator_is_refused():
    text = celery_repr(tuple(["word"] * 1000))
    assert text.endswith(", , ...)")
    with pytest.raises(NotALiteral):
        exact_literal(text)


def test_a_repr_cut_inside_a_number_is_refused():
    text = celery_repr(tuple(range(1000)))
    assert text.endswith("..., ...)")
    with pytest.raises(NotALiteral):
        exact_literal(text)


def test_a_long_string_cut_by_celery_is_refused():
    text = celery_repr(("x" * 5000,))
    assert "..." in text
    with pytest.raises(NotALiteral, match="cut short"):
        exact_literal(text)


def test_a_long_string_cut_at_a_space_is_refused():
    # saferepr cuts at the last space before the limit, far below the maximum length
    text = celery_repr(("short " + "y" * 5000,))
    assert len(text) < 100
    with pytest.raises(NotALiteral, match="cut short"):
        exact_literal(text)


def test_a_container_nested_deeper_than_the_levels_is_refused():
    text = celery_repr(({"a": {"b": {"c": {"d": 1}}}},))
    assert "{...}" in text
    with pytest.raises(NotALiteral, match="cut short"):
        exact_literal(text)


def test_a_string_with_a_backslash_that_saferepr_left_unescaped_is_refused():
    text = celery_repr(("C:\\temp",))
    assert text == "('C:\\temp',)"  # parses as C:<tab>emp
    with pytest.raises(NotALiteral, match="exact"):
        exact_literal(text)


def test_an_object_repr_is_no_literal():
    with pytest.raises(NotALiteral, match="not a Python literal"):
        exact_literal(celery_repr((object(),)))


def test_text_longer_than_the_limit_is_not_parsed():
    with pytest.raises(NotALiteral, match="longer than"):
        parse_literal("'" + "x" * MAX_PARSED_LENGTH + "'")


def test_deeply_nested_text_is_no_literal_rather_than_a_crash():
    with pytest.raises(NotALiteral):
        parse_literal("[" * 100_000 + "]" * 100_000)


def test_truncation_marks_are_found_in_keys_sets_and_bytes():
    assert truncation_marks({"key...": 1})
    assert truncation_marks({1, ...})
    assert truncation_marks((b"abc...",))
    assert not truncation_marks({"key": [1, "two", (3.0, None)]})


def test_render_writes_ellipsis_back_as_celery_does():
    assert render_literal((1, {"a": [...]}, ...)) == "(1, {'a': [...]}, ...)"
    assert render_literal(("one",)) == "('one',)"
    assert render_literal(set()) == "set()"


# Parses per thread: without turns taken, 3.11 failed within 15 every time tried.
ROUNDS = 15


@pytest.mark.slow
def test_literals_parsed_in_several_threads_at_once_all_parse():
    """CPython 3.11 shares the AST constructor's state between threads: without turns taken,
    a garbage collection that switches threads mid-parse made another parse fail (on 3.12.1
    and 3.13.0 the same race never failed, so there this passes either way)."""
    text = repr([{"key": [number, (number, "s"), {"v": [1, 2]}]} for number in range(200)])
    expected = ast.literal_eval(text)
    failures: list[BaseException] = []

    def switch_threads(phase: str, info: dict) -> None:
        if phase == "start":
            time.sleep(0.0002)

    def parse_at_depth(depth: int) -> None:
        if depth:
            return parse_at_depth(depth - 1)  # each thread parses from a stack of its own depth
        for _ in range(ROUNDS):
            try:
                assert parse_literal(text) == expected
            except BaseException as exc:  # any failure is the test's answer
                failures.append(exc)

    threshold = gc.get_threshold()
    gc.set_threshold(20)
    gc.callbacks.append(switch_threads)
    try:
        threads = [threading.Thread(target=parse_at_depth, args=(10 + 20 * n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        gc.callbacks.remove(switch_threads)
        gc.set_threshold(*threshold)

    assert failures == []
