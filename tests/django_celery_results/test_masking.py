"""Masking primitives of the result store, shared by the status views and the results API."""

from __future__ import annotations

from django_celery_results.content import MAX_DEPTH, TOO_DEEP
from django_celery_results.masking import MaskingRules, mask_data, mask_repr, store_masking_rules

RULES = MaskingRules.build(["password", "token"], "***")


def test_secret_values_are_masked_at_any_depth_of_decoded_data():
    data = {"a": [{"Password": "x", "n": 1}], "token": {"deep": 1}}
    assert mask_data(data, RULES) == {"a": [{"Password": "***", "n": 1}], "token": "***"}


def test_masking_data_deeper_than_the_limit_marks_it_instead_of_recursing():
    value: list = [{"password": "x"}]
    for _ in range(5 * MAX_DEPTH):
        value = [value]
    masked = mask_data(value, RULES)
    for _ in range(MAX_DEPTH + 1):
        masked = masked[0]
    assert masked == TOO_DEEP


def test_keyword_forms_in_object_reprs_are_masked():
    assert mask_repr("Creds(user='u', password='x')", RULES) == "Creds(user='u', password='***')"


def test_a_repr_nested_deeper_than_the_limit_is_masked_by_pattern():
    text = "[" * 150 + "{'password': 'x'}" + "]" * 150
    assert "'x'" not in mask_repr(text, RULES)


def test_a_secret_key_in_a_repr_is_found_whatever_its_case():
    assert (
        mask_repr("{'PassWord': 'x', 'TOKEN': 'y'}", RULES) == "{'PassWord': '***', 'TOKEN': '***'}"
    )


def test_a_repr_naming_no_secret_is_returned_as_it_is():
    text = "{'user': 'u', 'n': [1, 2]}"
    assert mask_repr(text, RULES) is text


def test_no_rules_mask_nothing():
    assert mask_repr("{'password': 'x'}", MaskingRules()) == "{'password': 'x'}"


def test_the_store_rules_come_from_the_flat_settings(settings):
    settings.CELERY_RESULTS_REDACT_KEYS = ["pin"]
    settings.CELERY_RESULTS_REDACT_MASK = "[hidden]"
    settings.CELERY_RESULTS_REDACT_HOOK = lambda key: key.endswith("_dsn")

    rules = store_masking_rules()

    assert mask_data({"pin": 1, "db_dsn": "x", "password": 2}, rules) == {
        "pin": "[hidden]",
        "db_dsn": "[hidden]",
        "password": 2,
    }


def test_a_bytes_key_in_a_repr_is_masked_like_the_same_key_as_text():
    assert mask_repr("({b'password': 'x'},)", RULES) == "({b'password': '***'},)"


def test_a_nested_bytes_key_in_a_repr_is_masked():
    assert mask_repr("{'cfg': {b'token': 'y'}}", RULES) == "{'cfg': {b'token': '***'}}"


def test_a_bytes_key_in_a_repr_cut_short_is_masked_by_pattern():
    assert "'y'" not in mask_repr("({b'token': 'y', 'n': [[...]]}, 'abc...", RULES)


def test_a_bytes_key_in_decoded_data_is_masked():
    assert mask_data({"cfg": {b"Token": "y"}}, RULES) == {"cfg": {b"Token": "***"}}
