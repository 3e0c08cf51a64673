"""The search query language: free terms, phrases, key-targeted values and what is refused."""

from __future__ import annotations

import pytest

from results_api.search.syntax import MIN_TERM_LENGTH, SearchSyntaxError, Term, parse


def test_words_are_separate_terms():
    assert parse("order 123").terms == (Term("order"), Term("123"))


def test_a_quoted_phrase_is_one_term_with_its_spaces():
    assert parse('"bad  input" x-1').terms == (Term("bad  input"), Term("x-1"))


def test_a_backslash_escapes_a_quote_inside_a_phrase():
    assert parse(r'"say \"hi\""').terms == (Term('say "hi"'),)


def test_a_field_and_keys_before_a_colon_target_a_value():
    assert parse("kwargs.order_id:123").terms == (Term("123", "kwargs.order_id"),)


def test_a_targeted_value_may_be_quoted_and_short():
    assert parse('kwargs.customer.name:"Ann Lee" result:ok').terms == (
        Term("Ann Lee", "kwargs.customer.name"),
        Term("ok", "result"),
    )


def test_a_colon_after_any_other_word_is_part_of_a_free_term():
    assert parse("https://shop.example/orders").terms == (Term("https://shop.example/orders"),)


def test_the_field_name_of_a_target_ignores_case_as_values_do():
    assert parse("KWARGS.Id:A").terms == (Term("A", "kwargs.id"),)


def test_a_free_term_needs_three_characters():
    assert MIN_TERM_LENGTH == 3
    with pytest.raises(SearchSyntaxError, match="at least 3 characters"):
        parse("ab")


@pytest.mark.parametrize(
    "query, message",
    [
        ('"open', "not closed"),
        ("kwargs.id:", "value right after kwargs.id"),
        ("kwargs.id: 3", "value right after kwargs.id"),
        ("   ", "at least one"),
        ("abc " * 11, "at most 10 terms"),
        ("x" * 501, "at most 500 characters"),
    ],
)
def test_a_query_that_cannot_be_searched_says_why(query, message):
    with pytest.raises(SearchSyntaxError, match=message):
        parse(query)


def test_a_free_term_is_looked_for_in_lower_case():
    assert parse("ValueError").needles == ("valueerror",)


def test_a_targeted_term_is_looked_for_as_a_whole_line():
    assert parse("result.exc_type:ValueError").needles == ("\nresult.exc_type=valueerror\n",)
