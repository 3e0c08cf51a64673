"""No oracle: a search never matches through a masked value or a traceback (a property).

Secrets are drawn from letters no visible text holds (æ, ø, þ, ð, ß), so a
row found by a piece of a secret could only have been found through it.
"""

from __future__ import annotations

import json

from celery.utils.saferepr import saferepr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_celery_results.models import TaskResult
from results_api.search.syntax import MIN_TERM_LENGTH, Term
from results_api.search.text import searchable_text

from ..conftest import task_ids, tasks_url

SECRET_KEYS = ("password", "Token", "api_key", "SECRET")
secrets = st.text(alphabet="æøþðß", min_size=MIN_TERM_LENGTH, max_size=40)
visible_words = st.text(alphabet="abcdefghijklmnop", min_size=MIN_TERM_LENGTH, max_size=12)
keys = st.text(alphabet="abcdefghijklmnop_", min_size=1, max_size=8)


def nested(secret: st.SearchStrategy, leaf: st.SearchStrategy) -> st.SearchStrategy:
    """Data holding, at some depth, ``{secret key: secret}`` beside visible values."""
    holder = st.builds(
        lambda key, value, other, word: {key: value, other: word},
        st.sampled_from(SECRET_KEYS),
        st.one_of(secret, st.lists(secret, max_size=3), st.dictionaries(keys, secret, max_size=2)),
        keys.filter(lambda key: key.casefold() not in {k.casefold() for k in SECRET_KEYS}),
        leaf,
    )
    return st.recursive(
        holder,
        lambda children: st.one_of(
            st.lists(children, min_size=1, max_size=3),
            st.dictionaries(
                keys.filter(lambda k: k.casefold() not in {s.casefold() for s in SECRET_KEYS}),
                children,
                min_size=1,
                max_size=3,
            ),
        ),
        max_leaves=6,
    )


def row(args, kwargs, result, meta):
    return ("t-1", "app.task", args, kwargs, result, meta, "application/json")


def substrings(text: str):
    for start in range(len(text)):
        for end in range(start + MIN_TERM_LENGTH, len(text) + 1):
            yield text[start:end]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=nested(secrets, visible_words), secret=secrets, word=visible_words)
def test_no_piece_of_a_secret_is_searchable_in_data_or_in_reprs(data, secret, word):
    kwargs = {"visible": word, "nested": data, "password": secret}
    stored = row(
        json.dumps(saferepr((word, data), 1024)),  # Celery's repr of args, maybe cut short
        json.dumps(saferepr(kwargs, 1024)),
        json.dumps(kwargs),  # the result as JSON
        json.dumps({"children": [], "secret": secret, "more": data}),
    )
    text = searchable_text(TaskResult, stored)
    hidden = {piece for value in _secrets_in(kwargs, secret) for piece in substrings(value)}
    for piece in hidden:
        assert Term(piece).needle not in text, piece
    assert Term(word).needle in text  # the same row, found by its visible text


def _secrets_in(value, secret):
    """Every string of the secret alphabet in ``value`` (the drawn secrets)."""
    found = [secret]
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str) and item and set(item) <= set("æøþðß"):
            found.append(item)
    return found


def test_a_traceback_is_never_searched(staff_client, make_task):
    make_task(task_id="t-tb", status="FAILURE", traceback="Traceback: ZeroDivisionError in qqq")
    assert task_ids(staff_client.get(tasks_url(search="qqq"))) == []


def test_a_masked_value_is_not_found_through_the_api_but_its_row_is(staff_client, make_task):
    make_task(
        task_id="t-secret",
        task_kwargs=json.dumps("{'password': 'hunter2', 'user': 'ann'}"),
        result=json.dumps({"token": {"deep": "tok-999"}, "ok": "done"}),
    )
    assert task_ids(staff_client.get(tasks_url(search="hunter2"))) == []
    assert task_ids(staff_client.get(tasks_url(search="unter"))) == []
    assert task_ids(staff_client.get(tasks_url(search="tok-9"))) == []
    assert task_ids(staff_client.get(tasks_url(search="kwargs.user:ann"))) == ["t-secret"]
