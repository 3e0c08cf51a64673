"""Hostile input to the results API: generated from its own OpenAPI schema, and written by hand.

schemathesis generates requests from the schema drf-spectacular builds for
the custom test model (tenant, priority, attempt), valid and invalid ones,
and checks every response: no 5xx, and each response as the schema says
(status code, content type, body). The hand-written cases add what a
generator rarely tries: SQL metacharacters, very long values, unicode and
NUL bytes, huge ``__in`` lists, negative and enormous ``page_size``, forged
cursors. Each must get a 200 or a 400 naming the parameter, never a 500,
sent by a staff user and by a member scoped to one tenant, with the stats
rollup and the search side table built.
"""

from __future__ import annotations

import base64
import csv
import datetime
import io
import json
import re
import string
import sys
from collections import Counter
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import DatabaseError, close_old_connections, transaction
from django.test import Client, override_settings
from django.urls import include, path, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import ignored_auth

from django_celery_results.models import get_group_result_model, get_task_result_model
from results_api.search.index import index_search_text
from results_api.stats.rollups import roll_up
from tests.reliability.support import record_figures
from tests.urls import urlpatterns as test_urlpatterns

pytestmark = [pytest.mark.swapped, pytest.mark.django_db]

MAX_EXAMPLES = 60
SPECTACULAR = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}


def openapi_document() -> dict:
    """The project's own OpenAPI document, as drf-spectacular renders it."""
    patterns = [path("api/results/", include("results_api.urls"))]
    with override_settings(REST_FRAMEWORK=SPECTACULAR):
        schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


@pytest.fixture
def rows(db):
    """A few rows of every shape the API serves: tenants, states, JSON and pickle, nulls."""
    from tests.testapp.models import Tenant

    tenants = [Tenant.objects.create(name=name) for name in ("acme", "globex")]
    model = get_task_result_model()
    for number in range(12):
        model._default_manager.create(
            task_id=f"task-{number}",
            task_name=f"tests.task_{number % 3}",
            status=("SUCCESS", "FAILURE", "STARTED", "PENDING")[number % 4],
            worker="celery@host" if number % 2 else None,
            content_type="application/json" if number % 5 else "application/x-python-serialize",
            content_encoding="utf-8" if number % 5 else "binary",
            result=json.dumps({"n": number, "nan": float("nan")}) if number % 5 else "gASVAA==",
            task_args=json.dumps([number]),
            task_kwargs=json.dumps({"tenant_id": number}),
            tenant=tenants[number % 2] if number % 3 else None,
            priority=("low", "normal", "high")[number % 3],
            attempt=number if number % 4 else None,
        )
    get_group_result_model()._default_manager.create(
        group_id="group-1",
        content_type="application/json",
        content_encoding="utf-8",
        result=json.dumps([[["task-1", None], None]]),
    )


@pytest.fixture
def staff_cookie(db):
    """A session cookie of a staff user (the default permission is IsAdminUser)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("staff", is_staff=True)
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


@pytest.fixture
def wsgi_app(db):
    """Django's WSGI application, keeping the test's connection open between requests.

    As in Django's test client: a request must not close the connection that
    holds the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(rows, wsgi_app, quiet_request_log):
    schema = schemathesis.openapi.from_dict(openapi_document())
    schema.app = wsgi_app
    schema.config.generation.update(
        max_examples=MAX_EXAMPLES, deterministic=True, with_security_parameters=False
    )
    return schema


def undocumented_status_codes(document: dict) -> list[str]:
    """The status codes each operation answers but its schema leaves out."""
    missing = []
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            expected = {"200", "403", "404" if "{" in route else "400"}
            missing += [
                f"{method.upper()} {route} {code}"
                for code in sorted(expected - set(operation["responses"]))
            ]
    return missing


@pytest.fixture
def server_errors():
    """The exception behind each 500 the API answers, as Django signals it."""
    errors: list[BaseException] = []

    def record(sender, request=None, **kwargs):
        errors.append(sys.exc_info()[1])

    got_request_exception.connect(record)
    yield errors
    got_request_exception.disconnect(record)


def call_in_savepoint(function, *args, **kwargs):
    """Call ``function`` in a savepoint, rolled back if a query failed (PostgreSQL then
    refuses every later query of the test's transaction)."""
    savepoint = transaction.savepoint()
    try:
        result = function(*args, **kwargs)
    finally:
        try:
            transaction.savepoint_commit(savepoint)
        except DatabaseError:
            transaction.savepoint_rollback(savepoint)
    return result


# A query string has no types: any text is a valid one-item list of strings.
UNTYPED_LIST_PARAMETERS = frozenset({"task_name__in"})
WHOLE_NUMBER = re.compile(r"^-?\d+(\.0*)?$")


def wire_query(response) -> dict[str, list[str]]:
    """The query parameters the request really sent, as text."""
    return parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)


def is_empty(values: list[str] | None) -> bool:
    """Whether a parameter was left out, empty, or a list of empty items (``?status__in=,,``)."""
    return all(not value.strip(",") for value in values or [])


# The list routes of tasks/, which a detail path with that task id reaches instead.
LIST_ROUTES = frozenset({"export", "stats", "metadata"})


def explained_deviation(failure, case, response) -> str | None:
    """Why a failed check is no schema violation of the API as designed, or None.

    * the cursor is opaque: only a cursor the API issued is valid, which a
      schema cannot say (a forged one is a 400 naming ``cursor``);
    * ``interval`` needs ``date_done__gte`` and at most STATS_MAX_BUCKETS
      buckets, as its description says (a 400 naming them);
    * a NUL character is refused (a 400 naming the parameter): no stored
      value can hold one on PostgreSQL;
    * a search its syntax refuses (a term under 3 characters, an open quote,
      which OpenAPI cannot say of a free-text parameter) is a 400 naming it;
    * an empty value (``?status=``, ``?status__in=,,``) means the filter is
      not given;
    * ``?task_name__in=false`` is the one-item list ``["false"]``, and
      ``?attempt=2.0`` is 2 (as Django's IntegerField reads it): a query
      string has no types;
    * a task id that is the name of a list route (``export``, ``stats``,
      ``metadata``) reaches that route: ``tasks/export/`` is the CSV export,
      not the detail of a task named ``export``.
    """
    task_id = (getattr(case, "path_parameters", None) or {}).get("task_id")
    if task_id in LIST_ROUTES and urlsplit(response.request.url).path.endswith(f"/{task_id}/"):
        return "a task id that names a list route reaches that route"
    if failure.code == "ST202" and response.status_code == 400:
        # Each parameter named is refused for one of the reasons above (the first one is told).
        errors = error_messages(response)
        reasons = [refusal_reason(name, messages, response) for name, messages in errors.items()]
        if reasons and all(reasons):
            return reasons[0]
    if failure.code == "ST201" and response.status_code in (200, 304):
        names = re.findall(r"/properties/(\w+)", failure.message)
        sent = wire_query(response)
        if names and all(
            is_empty(sent.get(name))
            or (name in UNTYPED_LIST_PARAMETERS and "`type`" in failure.message)
            or all(WHOLE_NUMBER.match(value) for value in sent.get(name, []))
            for name in names
        ):
            return "an empty value means the filter is not given; query strings are untyped"
    return None


def refusal_reason(name: str, messages: list[str], response) -> str | None:
    """Why the API refuses parameter ``name`` with ``messages`` by design, or None."""
    if messages and all(message == "Null characters are not allowed." for message in messages):
        return "a NUL character is refused with a 400 naming the parameter"
    if name == "cursor":
        return "opaque cursor: a string the API did not issue is refused"
    if name == "search":
        return "a search its syntax refuses (a term under 3 characters, an open quote)"
    if name in ("interval", "date_done__gte") and "interval" in wire_query(response):
        return "interval needs date_done__gte and a bounded number of buckets"
    return None


def error_messages(response) -> dict[str, list[str]]:
    """Return a 400's messages by parameter: its JSON, or the CSV export's ``parameter,message``."""
    try:
        return response.json()
    except ValueError:  # tasks/export/ answers its errors as CSV too
        errors: dict[str, list[str]] = {}
        for row in csv.DictReader(io.StringIO(response.text)):
            errors.setdefault(row["parameter"], []).append(row["message"])
        return errors


@pytest.mark.slow
@pytest.mark.postgres
def test_generated_requests_get_no_5xx_and_responses_as_the_schema_says(
    api_schema, staff_cookie, server_errors
):
    """schemathesis's checks, all but two, on valid and invalid requests to every operation.

    Left out: ``ignored_auth``, which replays a request with forged credentials
    but keeps the valid session cookie given here (authentication has tests of
    its own). Every 500 fails.
    """
    excluded = [ignored_auth]
    statuses: Counter = Counter()
    explained: Counter = Counter()
    failures: dict[str, list[str]] = {}

    def explore(label: str, mode: GenerationMode, strategy) -> None:
        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case):
            server_errors.clear()
            try:
                response = call_in_savepoint(case.call, cookies=staff_cookie)
            except Exception as exc:  # raised while streaming a body (tasks/export/)
                statuses[(label, "error while streaming")] += 1
                key = f"{label} {mode.value}: {type(exc).__name__}"
                failures.setdefault(key, []).append(f"{case.as_curl_command()}\n{exc}")
                return
            statuses[(label, response.status_code)] += 1
            if server_errors:  # a 500, with the exception behind it
                key = f"{label} {mode.value}: {type(server_errors[0]).__name__}"
                failures.setdefault(key, []).append(f"{case.as_curl_command()}\n{server_errors[0]}")
                return
            try:
                case.validate_response(response, excluded_checks=excluded)
            except FailureGroup as group:  # checks failed: sort them, go on
                for failure in group.exceptions:
                    reason = explained_deviation(failure, case, response)
                    if reason:
                        explained[reason] += 1
                    else:
                        key = f"{label} {mode.value}: {failure.code} {failure.title}"
                        example = f"{case.as_curl_command()}\n{failure}\n{response.text[:500]}"
                        failures.setdefault(key, []).append(example[:3000])

        try:
            call()
        except Unsatisfiable:  # no invalid value exists for a free-text path parameter
            statuses[(label, f"no {mode.value} case")] += 1

    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            explore(operation.label, mode, operation.as_strategy(generation_mode=mode))
    figures = record_figures(
        "hostile_input_schemathesis",
        {
            "requests": sum(n for (_, code), n in statuses.items() if isinstance(code, int)),
            "responses_5xx": sum(
                n for (_, code), n in statuses.items() if isinstance(code, int) and code >= 500
            ),
            "deviations_explained_by_design": dict(explained),
            "schema_violations_and_other_failures": sum(len(v) for v in failures.values()),
            "checks_left_out": [check.__name__ for check in excluded],
            "by_operation_and_status": {
                f"{label} {code}": n for (label, code), n in sorted(statuses.items(), key=str)
            },
        },
    )
    for key, examples in failures.items():
        print(f"\n=== {key} ({len(examples)})\n{examples[0]}")

    assert not failures, figures


def test_the_schema_documents_every_status_code_the_api_answers():
    assert undocumented_status_codes(openapi_document()) == []


# Hand-written hostile input


def cursor(data) -> str:
    """A forged cursor: ``data`` as JSON, URL-safe base64, as the API encodes its own."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode("ascii")


BIG = 2**70
DATE = "2024-01-01T00:00:00+00:00"
FAR_OFFSET = "2024-01-01T00:00:00-23:59"  # Python accepts it; PostgreSQL allows up to 15:59
SQL = "x' OR '1'='1"
HOSTILE = {
    # SQL metacharacters
    "sql_quote_or": ("task-list", {"task_name": SQL}),
    "sql_drop": ("task-list", {"task_name": "'; DROP TABLE django_celery_results_taskresult; --"}),
    "sql_in_list": ("task-list", {"task_name__in": "a','b'); DELETE FROM auth_user; --,c"}),
    "sql_percent_exact": ("task-list", {"worker": "%"}),
    "sql_underscore_exact": ("task-list", {"task_id": "task-_"}),
    "sql_backslash": ("task-list", {"periodic_task_name": "\\'\\\\"}),
    "sql_ordering": ("task-list", {"ordering": "task_name;DROP TABLE auth_user"}),
    "sql_ordering_subquery": ("task-list", {"ordering": "(SELECT 1)"}),
    "sql_group_by": ("task-stats", {"group_by": "status) FROM auth_user --"}),
    "sql_detail": ("task-detail", SQL),
    "sql_group_detail": ("group-detail", "' OR 1=1 --"),
    "sql_stats_status": ("task-stats", {"status": SQL}),
    "sql_priority_in": ("task-list", {"priority__in": "low,' OR '1'='1"}),
    # very long values
    "long_task_name": ("task-list", {"task_name": "x" * 100_000}),
    "long_task_id": ("task-detail", "t" * 10_000),
    "long_ordering": ("task-list", {"ordering": ",".join(["-task_name"] * 5_000)}),
    "long_group_by": ("task-stats", {"group_by": ",".join(["status"] * 5_000)}),
    "long_cursor": ("task-list", {"cursor": "A" * 200_000}),
    # unicode and NUL bytes
    "unicode_task_name": ("task-list", {"task_name": "名前🚀\u202e\u200bé"}),
    "unicode_detail": ("task-detail", "タスク-🚀"),
    "unicode_status": ("task-list", {"status": "SUCCÉSS"}),
    "nul_task_name": ("task-list", {"task_name": "a\x00b"}),
    "nul_task_id": ("task-list", {"task_id": "\x00"}),
    "nul_in_list": ("task-list", {"task_name__in": "a,\x00,b"}),
    "nul_detail": ("task-detail", "a\x00b"),
    "nul_group_detail": ("group-detail", "\x00"),
    "nul_ordering": ("task-list", {"ordering": "task_name\x00"}),
    "nul_date": ("task-list", {"date_done__gte": "2024-01-01\x00"}),
    "lone_surrogate_escape": ("task-list", {"task_name": "%ED%A0%80"}),
    # huge __in lists
    "huge_task_name_in": ("task-list", {"task_name__in": ",".join(f"t{n}" for n in range(50_000))}),
    "huge_tenant_in": ("task-list", {"tenant__in": ",".join(str(n) for n in range(50_000))}),
    "huge_attempt_in_stats": ("task-stats", {"attempt__in": ",".join(map(str, range(50_000)))}),
    "huge_status_in": ("task-list", {"status__in": ",".join(["SUCCESS", "FAILURE"] * 25_000)}),
    "huge_priority_in": ("task-list", {"priority__in": ",".join(["low"] * 50_000)}),
    "empty_in": ("task-list", {"tenant__in": ""}),
    "commas_in": ("task-list", {"tenant__in": ",,,"}),
    # out-of-range numbers
    "big_attempt": ("task-list", {"attempt": str(BIG)}),
    "big_attempt_gte": ("task-list", {"attempt__gte": str(-BIG)}),
    "big_tenant": ("task-list", {"tenant": str(BIG)}),
    "big_tenant_in": ("task-list", {"tenant__in": f"1,{BIG}"}),
    "big_attempt_in": ("task-stats", {"attempt__in": str(2**63)}),
    "float_attempt": ("task-list", {"attempt": "1e308"}),
    "nan_tenant": ("task-list", {"tenant": "NaN"}),
    # page_size
    "page_size_negative": ("task-list", {"page_size": "-1"}),
    "page_size_zero": ("task-list", {"page_size": "0"}),
    "page_size_enormous": ("task-list", {"page_size": str(10**30)}),
    "page_size_float": ("task-list", {"page_size": "1e3"}),
    "page_size_empty": ("task-list", {"page_size": ""}),
    "page_size_text": ("group-list", {"page_size": "all"}),
    # dates
    "date_far_future": ("task-list", {"date_done__gte": "9999-12-31T23:59:59.999999+00:00"}),
    "date_year_zero": ("task-list", {"date_done__lte": "0000-01-01T00:00:00Z"}),
    "date_offset_out_of_range": ("task-stats", {"date_done__gte": FAR_OFFSET}),
    "date_min_east_of_utc": ("task-list", {"date_created__gte": "0001-01-01T00:00:00+05:00"}),
    "date_max_west_of_utc": ("task-list", {"date_started__lte": "9999-12-31T23:59:59-05:00"}),
    "stats_interval_huge_range": (
        "task-stats",
        {"interval": "minute", "date_done__gte": "0001-01-01T00:00:00Z"},
    ),
    # forged cursors
    "cursor_not_base64": ("task-list", {"cursor": "!!!"}),
    "cursor_not_json": ("task-list", {"cursor": base64.urlsafe_b64encode(b"\xff\x00").decode()}),
    "cursor_not_ascii": ("task-list", {"cursor": "é"}),
    "cursor_json_list": ("task-list", {"cursor": cursor([1, 2, 3])}),
    "cursor_json_string": ("task-list", {"cursor": cursor("x")}),
    "cursor_wrong_ordering": ("task-list", {"cursor": cursor({"o": ["pk"], "v": [1], "r": 0})}),
    "cursor_short_values": (
        "task-list",
        {"cursor": cursor({"o": ["-date_created", "-pk"], "v": [], "r": 0})},
    ),
    "cursor_bad_date": (
        "task-list",
        {"cursor": cursor({"o": ["-date_created", "-pk"], "v": ["yesterday", 1], "r": 0})},
    ),
    "cursor_dict_value": (
        "task-list",
        {"cursor": cursor({"o": ["-date_created", "-pk"], "v": [{"a": 1}, [1]], "r": 0})},
    ),
    "cursor_big_pk": (
        "task-list",
        {"cursor": cursor({"o": ["-date_created", "-pk"], "v": [DATE, BIG], "r": 0})},
    ),
    "cursor_null_for_non_null_key": (
        "task-list",
        {"cursor": cursor({"o": ["-date_created", "-pk"], "v": [None, 1], "r": 0})},
    ),
    "cursor_offset_out_of_range": (
        "task-list",
        {"cursor": cursor({"o": ["-date_created", "-pk"], "v": [FAR_OFFSET, 1], "r": 0})},
    ),
    "cursor_big_pk_first": (
        "task-list",
        {
            "ordering": "-tenant",
            "cursor": cursor({"o": ["-tenant", "-pk"], "v": [BIG, BIG], "r": 0}),
        },
    ),
    "cursor_nul_value": (
        "task-list",
        {
            "ordering": "task_id",
            "cursor": cursor({"o": ["task_id", "pk"], "v": ["\x00", 1], "r": 0}),
        },
    ),
    "cursor_sql_value": (
        "task-list",
        {
            "ordering": "task_name",
            "cursor": cursor({"o": ["task_name", "pk"], "v": [SQL, 1], "r": 1}),
        },
    ),
    "cursor_bool_reverse": (
        "task-list",
        {"cursor": cursor({"o": ["-date_created", "-pk"], "v": [None, None], "r": "yes"})},
    ),
    "cursor_bad_choice": (
        "task-list",
        {
            "ordering": "priority",
            "cursor": cursor({"o": ["priority", "pk"], "v": [SQL, 1], "r": 0}),
        },
    ),
    "cursor_float_pk": (
        "task-list",
        {"cursor": cursor({"o": ["-date_created", "-pk"], "v": [DATE, 1e308], "r": 0})},
    ),
    "cursor_groups": ("group-list", {"cursor": cursor({"o": ["-date_created", "-pk"], "v": [1]})}),
    "cursor_infinite_pk": (
        "task-list",
        {"cursor": cursor({"o": ["-date_created", "-pk"], "v": [DATE, float("inf")], "r": 0})},
    ),
    "cursor_deep_nesting": (
        "task-list",
        {"cursor": base64.urlsafe_b64encode(b"[" * 50_000 + b"]" * 50_000).decode()},
    ),
    "cursor_lone_surrogate": (
        "task-list",
        {
            "ordering": "task_id",
            "cursor": cursor({"o": ["task_id", "pk"], "v": ["\ud800", 1], "r": 0}),
        },
    ),
    "cursor_reverse_not_0_or_1": (
        "task-list",
        {"cursor": cursor({"o": ["-date_created", "-pk"], "v": [DATE, 1], "r": 7})},
    ),
    # search inside stored content
    "search_sql": ("task-list", {"search": SQL}),
    "search_like_wildcards": ("task-list", {"search": "%%%"}),
    "search_underscores": ("task-stats", {"search": "___"}),
    "search_backslashes": ("task-list", {"search": "\\\\\\"}),
    "search_long": ("task-list", {"search": "x" * 100_000}),
    "search_many_terms": ("task-list", {"search": " ".join(["abc"] * 5_000)}),
    "search_nul": ("task-list", {"search": "ab\x00c"}),
    "search_unicode": ("task-list", {"search": "名前🚀\u202e\u200bé"}),
    "search_lone_surrogate_escape": ("task-list", {"search": "%ED%A0%80%ED%A0%80"}),
    "search_open_quote": ("task-stats", {"search": '"abc'}),
    "search_empty_phrase": ("task-list", {"search": '""'}),
    "search_key_without_value": ("task-list", {"search": "kwargs.tenant_id:"}),
    "search_key_sql": ("task-list", {"search": f"kwargs.{SQL}:1"}),
    "search_deep_key": ("task-list", {"search": "kwargs." + ".".join(["a"] * 5_000) + ":abc"}),
    # terms with numbers: looked up by the pieces of their digits on PostgreSQL
    "search_digits_long": ("task-list", {"search": "9" * 100_000}),
    "search_digits_sql": ("task-list", {"search": "1234' OR '1'='1"}),
    "search_digits_wildcards": ("task-stats", {"search": "%1234_"}),
    "search_digits_many": ("task-export", {"search": " ".join(["12345"] * 10)}),
    "search_digits_unicode": ("task-list", {"search": "\u0661\u0662\u0663\u0664 1234\uff15"}),
    "search_with_cursor": (
        "task-list",
        {"search": "tenant", "cursor": cursor({"o": ["-date_created", "-pk"], "v": [DATE, 1]})},
    ),
    "search_stats_grouped": ("task-stats", {"search": "tenant", "group_by": "status,tenant"}),
    # the exception's type and message pattern, computed by the database
    "exc_pattern_sql": ("task-list", {"exc_pattern": SQL}),
    "exc_pattern_wildcards": ("task-list", {"exc_type": "%", "exc_pattern": "_%\\"}),
    "exc_pattern_nul": ("task-stats", {"exc_pattern": "a\x00b"}),
    "exc_pattern_long": ("task-export", {"exc_pattern": "#" * 100_000}),
    "exc_pattern_grouped": ("task-stats", {"group_by": "exc_type,exc_pattern"}),
    # unknown and repeated parameters
    "unknown_parameter": ("task-list", {"tenant_id": "1"}),
    "format_suffix": ("task-list", {"format": "xml"}),
}


def request_url(name: str, params) -> str:
    if isinstance(params, str):
        return reverse(f"results_api:{name}", args=["x"]).replace("/x/", f"/{quote(params)}/")
    return reverse(f"results_api:{name}") + "?" + urlencode(params)


@pytest.fixture(params=["staff, rollup and index built", "scoped member"])
def asker(request, rows, client, django_user_model, settings) -> Client:
    """Who sends the hostile input: a staff user, or a member scoped to one tenant.

    The stats rollup and the search side table are built first, so that
    stats and searches read them as a deployment's do.
    """
    model = get_task_result_model()
    until = timezone.now() + datetime.timedelta(minutes=1)
    roll_up(model, until=until)
    index_search_text(model, until=until)
    name = "staff"
    if request.param == "scoped member":
        settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.reliability.scopes.own_tenant_only"
        name = "acme"
    client.force_login(django_user_model.objects.create_user(name, is_staff=True))
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(("name", "params"), list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_input_gets_a_200_or_a_400_naming_the_parameter(asker, name, params):
    response = call_in_savepoint(asker.get, request_url(name, params))

    assert response.status_code in (200, 400, 404), response.content[:300]
    if response.status_code == 400:
        assert set(response.json()) <= set(params), response.json()
    if response.status_code == 404:
        # Not found: a detail, or DRF's answer to an unknown ?format=.
        assert isinstance(params, str) or "format" in params


def test_sql_metacharacters_are_matched_as_data(rows, admin_client):
    model = get_task_result_model()
    model._default_manager.create(task_id="sql-literal", task_name=SQL, status="SUCCESS")
    total = model._default_manager.count()

    matched = admin_client.get(reverse("results_api:task-list"), {"task_name": SQL}).json()
    wildcard = admin_client.get(reverse("results_api:task-list"), {"worker": "%"}).json()
    admin_client.get(reverse("results_api:task-list"), {"task_name": HOSTILE["sql_drop"][1]})

    assert [row["task_id"] for row in matched["results"]] == ["sql-literal"]
    assert wildcard["results"] == []
    assert model._default_manager.count() == total


@pytest.mark.parametrize("indexed", [False, True], ids=["matched-live", "indexed"])
def test_like_wildcards_in_a_search_are_matched_as_data(rows, admin_client, indexed):
    model = get_task_result_model()
    model._default_manager.create(
        task_id="percent-literal",
        status="SUCCESS",
        content_type="application/json",
        content_encoding="utf-8",
        result=json.dumps({"note": "100% done_now"}),
    )
    if indexed:
        index_search_text(model, until=timezone.now() + datetime.timedelta(minutes=1))

    found = {
        term: [
            row["task_id"]
            for row in admin_client.get(reverse("results_api:task-list"), {"search": term}).json()[
                "results"
            ]
        ]
        for term in ('"0% d"', "%%%", "e_n", "___")
    }

    assert found == {
        '"0% d"': ["percent-literal"],
        "%%%": [],
        "e_n": ["percent-literal"],
        "___": [],
    }


def test_every_endpoint_refuses_anonymous_and_non_staff_users(rows, client, django_user_model):
    task = get_task_result_model()._default_manager.first()
    urls = [
        reverse("results_api:task-list"),
        reverse("results_api:task-detail", args=[task.task_id]),
        reverse("results_api:task-stats"),
        reverse("results_api:group-list"),
        reverse("results_api:group-detail", args=["group-1"]),
    ]
    anonymous = {url: client.get(url).status_code for url in urls}
    client.force_login(django_user_model.objects.create_user("not-staff"))
    not_staff = {url: client.get(url).status_code for url in urls}

    assert set(anonymous.values()) <= {401, 403}, anonymous
    assert set(not_staff.values()) == {403}, not_staff


# Hand-written hostile input to the metrics endpoint (mounted as a project mounts it)

urlpatterns = [*test_urlpatterns, path("metrics", include("results_api.metrics.urls"))]
METRICS_TOKEN = "a-scraper-token-long-enough-to-pass"
HOSTILE_SCRAPES = {
    "no_header": {},
    "bearer_empty": {"HTTP_AUTHORIZATION": "Bearer"},
    "bearer_two_words": {"HTTP_AUTHORIZATION": f"Bearer {METRICS_TOKEN} extra"},
    "bearer_long": {"HTTP_AUTHORIZATION": "Bearer " + "x" * 100_000},
    "bearer_nul": {"HTTP_AUTHORIZATION": "Bearer a\x00b"},
    "bearer_latin1": {"HTTP_AUTHORIZATION": "Bearer \xe9\xff"},
    "bearer_prefix_of_token": {"HTTP_AUTHORIZATION": f"Bearer {METRICS_TOKEN[:-1]}"},
    "basic_garbage": {"HTTP_AUTHORIZATION": "Basic !!!"},
    "token_as_basic": {"HTTP_AUTHORIZATION": f"Basic {METRICS_TOKEN}"},
    "accept_garbage": {"HTTP_ACCEPT": "application/\x00;;q=x"},
    "accept_openmetrics": {"HTTP_ACCEPT": "application/openmetrics-text; version=1.0.0"},
    "name_filter_garbage": {"QUERY_STRING": "name[]=%ED%A0%80&name[]=" + "x" * 10_000},
    "name_filter_sql": {"QUERY_STRING": urlencode({"name[]": SQL})},
}


@pytest.mark.parametrize("headers", HOSTILE_SCRAPES.values(), ids=HOSTILE_SCRAPES.keys())
@pytest.mark.parametrize("who", ["anonymous", "staff", "scraper"])
def test_hostile_scrapes_of_the_metrics_endpoint_are_never_a_5xx(
    rows, client, admin_user, settings, headers, who
):
    settings.ROOT_URLCONF = __name__
    settings.RESULTS_API = {**settings.RESULTS_API, "METRICS_TOKEN": METRICS_TOKEN}
    cache.clear()  # each case starts without the failed log-ins of the ones before
    client.raise_request_exception = False
    if who == "staff":
        client.force_login(admin_user)
    headers = dict(headers)
    if who == "scraper" and "HTTP_AUTHORIZATION" not in headers:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {METRICS_TOKEN}"
    query = headers.pop("QUERY_STRING", "")

    response = call_in_savepoint(client.get, f"/metrics?{query}", **headers)

    assert response.status_code in (200, 401, 403, 406), response.content[:300]
    if response.status_code == 200:
        assert b"celery_results_" in response.content or query
    elif who == "anonymous" and "HTTP_AUTHORIZATION" not in headers:
        # Refused, or (before authentication, revealing nothing) no format it accepts.
        assert response.status_code in (401, 403, 406)


# Hand-written hostile input to the status views and the admin

STATUS_PATHS = [
    "/celery/task/status/{}/",
    "/celery/task/done/{}/",
    "/celery/group/status/{}/",
    "/celery/group/done/{}/",
    "/celery/{}/status/",
    "/celery/{}/done/",
    "/celery/{}/group/status/",
    "/celery/{}/group/done/",
]
HOSTILE_IDS = {
    "sql": quote("x' OR '1'='1"),
    "long": "t" * 10_000,
    "unicode": quote("タスク-é"),
    "emoji": quote("🚀"),
    "nul": "%00",
    "lone_surrogate_escape": "%ED%A0%80",
    "dots": "..",
    "known": "task-1",
}


@pytest.mark.parametrize("path", STATUS_PATHS)
@pytest.mark.parametrize("ident", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
def test_hostile_ids_to_the_status_views_are_never_a_5xx(rows, admin_client, client, path, ident):
    for http in (admin_client, client):
        http.raise_request_exception = False
        response = call_in_savepoint(http.get, path.format(ident))
        assert response.status_code in (200, 403, 404, 409), response.content[:300]


ADMIN_CHANGELIST_QUERIES = {
    "search_sql": {"q": SQL},
    "search_nul": {"q": "a\x00b"},
    "search_long": {"q": "x" * 100_000},
    "search_lone_surrogate_escape": "q=%ED%A0%80",
    "ordering_garbage": {"o": "999.-1.x"},
    "page_huge": {"p": str(BIG)},
    "page_negative": {"p": "-1"},
    "status_nul": {"status__exact": "\x00"},
    "date_garbage": {"date_done__gte": "yesterday"},
    "date_hierarchy_garbage": {"date_done__year": "99999999999", "date_done__month": "13"},
    "tenant_text": {"tenant__id__exact": "abc"},
    "tenant_huge": {"tenant__id__exact": str(BIG)},
    "unknown_lookup": {"password__startswith": "a"},
    "all": {"all": "", "e": "1"},
}


@pytest.mark.parametrize(
    "query", ADMIN_CHANGELIST_QUERIES.values(), ids=ADMIN_CHANGELIST_QUERIES.keys()
)
def test_hostile_admin_changelist_queries_are_never_a_5xx(rows, admin_client, query):
    opts = get_task_result_model()._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    admin_client.raise_request_exception = False
    query_string = query if isinstance(query, str) else urlencode(query)

    response = call_in_savepoint(admin_client.get, f"{url}?{query_string}")

    assert response.status_code in (200, 302, 400), response.content[:300]


@pytest.mark.parametrize("pk", ["abc", str(BIG), "%00", "-1", quote("🚀")])
def test_hostile_admin_object_ids_are_never_a_5xx(rows, admin_client, pk):
    opts = get_task_result_model()._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=["0"])
    admin_client.raise_request_exception = False

    response = call_in_savepoint(admin_client.get, url.replace("/0/", f"/{pk}/"))

    assert response.status_code in (200, 302, 404), response.content[:300]


# Generated hostile input to the status views and the admin (not in the OpenAPI schema)

segments = st.text(st.characters(codec=None), min_size=1, max_size=40)
query_values = st.text(st.characters(codec=None), max_size=40)
query_names = st.sampled_from(
    ["q", "o", "p", "status__exact", "date_done__gte", "date_done__year", "tenant__id__exact"]
) | st.text(string.ascii_letters + "_", min_size=1, max_size=20)


@pytest.fixture(scope="module")
def generated_figures():
    """Count the generated requests by status; record the counts when the module is done."""
    figures: Counter = Counter()
    yield figures
    if figures:
        record_figures(
            "hostile_input_status_views_and_admin",
            {
                "requests": sum(figures.values()),
                "responses_5xx": sum(n for code, n in figures.items() if code >= 500),
                "by_status": {str(code): n for code, n in sorted(figures.items())},
            },
        )


@given(
    ident=segments,
    path=st.sampled_from(STATUS_PATHS),
    query=st.dictionaries(query_names, query_values, max_size=4),
    anonymous=st.booleans(),
)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_generated_requests_to_the_status_views_and_the_admin_get_no_5xx(
    rows, admin_client, client, generated_figures, ident, path, query, anonymous
):
    opts = get_task_result_model()._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    encoded = quote(ident.encode("utf-8", "surrogatepass"), safe="")
    for http, url in (
        (client if anonymous else admin_client, path.format(encoded)),
        (
            admin_client,
            f"{changelist}?{urlencode(query, encoding='utf-8', errors='surrogatepass')}",
        ),
    ):
        http.raise_request_exception = False
        response = call_in_savepoint(http.get, url)
        generated_figures[response.status_code] += 1
        assert response.status_code < 500, (url, response.content[:300])
