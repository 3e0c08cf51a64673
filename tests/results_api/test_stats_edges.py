"""tasks/stats/ at the edges: every input is a 200 or a 400 naming it, on the rollup path too.

The rollup path answers whenever the filters fit the rollup (every staff
request, and a member's under a plain ``tenant=`` scope hook); what it
answers must equal the task table's answer. Generated requests cover every
stats parameter, ``group_by`` and ``interval``, with empty lists, the first
and last instants Python can hold, and the daylight-saving changes of the
project's time zone.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from django_celery_results.models import get_task_result_model
from results_api.stats.rollups import roll_up

from .conftest import _with_query
from .test_rollup_stats import (  # noqa: F401 (history is a fixture)
    NOW,
    ROLLUP_TABLE,
    assert_same,
    history,
)

TIME_ZONE = "America/New_York"
BOUNDARY_DATES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00",
    "0001-01-01",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:30:00Z",
    "9999-12-31T23:59:59.999999",
    "9999-12-31",
    "9999-12-31T23:59:59.999999-12:00",
    "0001-01-01T00:00:00+14:00",
    # Daylight-saving changes in America/New_York: a missing and a repeated local hour.
    "2026-03-08T02:30:00",
    "2026-03-08T07:00:00Z",
    "2026-11-01T01:30:00",
    "2026-11-01T05:59:59Z",
    "2026-11-24T11:17:00Z",
    "2026-11-22T00:00:00",
]
LIST_VALUES = ["", ",", ",,", " , ", "SUCCESS,", ",FAILURE", "1,,2"]
ODD_VALUES = ["0", "-1", "x", "9" * 30, "NaN", "\u00e9", "true", "null"]
DATE_PARAMETERS = [
    f"{name}__{bound}"
    for name in ("date_created", "date_started", "date_done")
    for bound in ("gte", "lte")
]
PARAMETERS = {
    "status": st.sampled_from(["SUCCESS", "FAILURE", "", "BOGUS"]),
    "status__in": st.sampled_from(["SUCCESS,FAILURE", "RETRY", *LIST_VALUES]),
    "task_name": st.sampled_from(["app.tasks.t1", "", "nope"]),
    "task_name__in": st.sampled_from(["app.tasks.t1,app.tasks.t2", *LIST_VALUES]),
    "worker": st.sampled_from(["celery@w1", ""]),
    "tenant": st.sampled_from(["TENANT", *ODD_VALUES]),
    "tenant__in": st.sampled_from(["TENANT", *LIST_VALUES, *ODD_VALUES]),
    "priority": st.sampled_from(["low", "high", "", "urgent"]),
    "priority__in": st.sampled_from(["low,high", *LIST_VALUES]),
    "attempt": st.sampled_from(["1", *ODD_VALUES]),
    "attempt__in": st.sampled_from(["1,2", *LIST_VALUES, *ODD_VALUES]),
    "attempt__gte": st.sampled_from(["1", *ODD_VALUES]),
    "group_by": st.sampled_from(
        ["status", "tenant", "priority", "task_name,status", "worker", "", ",", "status,", "x"]
    ),
    "interval": st.sampled_from(["minute", "hour", "day", "", "week"]),
    **{name: st.sampled_from([*BOUNDARY_DATES, "", "x"]) for name in DATE_PARAMETERS},
}


# The parameters a rollup answer can serve: status, one dimension, date_done, hour or day.
ROLLUP_PARAMETERS = [
    "status",
    "status__in",
    "tenant",
    "tenant__in",
    "group_by",
    "interval",
    "date_done__gte",
    "date_done__lte",
]


@st.composite
def stats_requests(draw) -> dict[str, str]:
    """A stats request: a few parameters, each with an edge-case value; half of them the
    rollup's kind, so that both paths are explored."""
    pool = draw(st.sampled_from([sorted(PARAMETERS), ROLLUP_PARAMETERS]))
    names = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
    return {name: draw(PARAMETERS[name]) for name in names}


def scope_to_acme(request, queryset):
    """A ``tenant=`` scope hook, the kind the rollup serves: a member sees the first tenant."""
    from tests.testapp.models import Tenant

    return queryset.filter(tenant=Tenant.objects.get(name="acme").pk)


def ask(client, params: dict[str, str], tenants) -> tuple[int, dict, bool]:
    """Return the status, the body, and whether the rollup table was read."""
    params = {
        key: ",".join(str(tenants[1].pk) if part == "TENANT" else part for part in value.split(","))
        for key, value in params.items()
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_with_query(reverse("results_api:task-stats"), params))
    read = any(ROLLUP_TABLE in query["sql"] for query in queries.captured_queries)
    return response.status_code, response.json(), read


@pytest.fixture
def rolled_up(settings, history):  # noqa: F811 (the imported fixture)
    settings.TIME_ZONE = TIME_ZONE
    # Hundreds of requests in a row: the stats throttle would answer 429 long before the end.
    settings.RESULTS_API = {**getattr(settings, "RESULTS_API", {}), "THROTTLE_CLASSES": []}
    roll_up(get_task_result_model(), until=NOW - datetime.timedelta(hours=7, minutes=55))
    return history


@pytest.fixture
def member_client(db, settings):
    settings.RESULTS_API = {
        **getattr(settings, "RESULTS_API", {}),
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    settings.CELERY_RESULTS_SCOPE_QUERYSET = f"{__name__}.scope_to_acme"
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("acme-member"))
    return client


def check_against_the_task_table(client, settings, params, tenants) -> str:
    """Assert a 200 equal to the task table's answer or a 400 naming a stats parameter.

    A 400 may name one not sent: ``interval`` needs ``date_done__gte``.
    """
    status, body, read = ask(client, params, tenants)
    assert status in (200, 400), (params, status, body)
    api = dict(getattr(settings, "RESULTS_API", {}))
    settings.RESULTS_API = {**api, "STATS_FROM_ROLLUPS": False}
    try:
        direct_status, direct_body, _ = ask(client, params, tenants)
    finally:
        settings.RESULTS_API = api
    assert direct_status == status, (params, body, direct_body)
    if status == 400:
        assert body and set(body) <= set(params) | set(PARAMETERS), (params, body)
        assert body == direct_body, params
        return "400"
    assert_same(body["results"], direct_body["results"])
    return "200 from the rollup" if read else "200 from the task table"


@pytest.mark.parametrize(
    "params",
    [
        {"tenant__in": ","},
        {"tenant__in": ",,"},
        {"date_done__lte": "9999-12-31T23:59:59.999999Z"},
        {"date_done__gte": "9999-12-31T23:30:00Z"},
        {"date_done__gte": "0001-01-01T00:00:00Z", "interval": "day"},
    ],
    ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()),
)
def test_an_edge_input_on_the_rollup_path_answers_as_the_task_table(
    staff_client, settings, rolled_up, tenants, params
):
    check_against_the_task_table(staff_client, settings, params, tenants)


EXAMPLES = 200


def explore(client, settings, tenants, name: str) -> None:
    """Send ``EXAMPLES`` generated stats requests and record how they were answered."""
    from collections import Counter

    from tests.reliability.support import record_figures

    answered: Counter = Counter()

    @given(params=stats_requests())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def case(params):
        answered[check_against_the_task_table(client, settings, params, tenants)] += 1

    case()
    record_figures(name, {"cases": sum(answered.values()), "5xx": 0, **answered})
    assert answered["200 from the rollup"] and answered["400"]


def test_generated_stats_requests_as_staff_answer_as_the_task_table(
    staff_client, settings, rolled_up, tenants
):
    explore(staff_client, settings, tenants, "stats_edges_staff")


def test_generated_stats_requests_under_a_tenant_scope_answer_as_the_task_table(
    member_client, settings, rolled_up, tenants
):
    explore(member_client, settings, tenants, "stats_edges_tenant_scope")
