"""Tenant isolation, as a property: no endpoint ever returns or counts another tenant's row.

A ``SCOPE_QUERYSET`` hook limits each user to the tenant named like them
(``tests.reliability.scopes.own_tenant_only``). Hypothesis draws the rows
(tenants, states, names, workers, priorities, attempts, dates with ties and
nulls), a user, a combination of filters, an ordering on any field and a
page size; then, for that user:

* the list, followed page by page forward and back, returns exactly the
  rows that a superuser gets for the same filters, narrowed to the user's
  tenant, each once;
* cursors issued to another tenant's user lead to the user's own rows only;
* each detail of another tenant's row is a 404, of an own row a 200;
* ``tasks/stats/``, grouped by random fields, counts exactly those rows;
* groups list and detail show the user's groups only;
* a ``search`` inside the rows' content (free text, a phrase, a key, a
  number), with the search side table filled up to a point or not at all,
  is one more filter: it finds the user's own rows only, as the list and
  stats show;
* a ``tenant`` filter naming another tenant answers exactly like one naming
  no tenant at all: empty, never a hint that the tenant exists.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter

import pytest
from celery import states
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from django_celery_results.models import get_group_result_model, get_task_result_model
from results_api.rest.ordering import task_ordering_fields
from results_api.search.index import index_search_text
from results_api.stats.queries import group_by_fields
from tests.reliability.support import record_figures

pytestmark = [pytest.mark.swapped, pytest.mark.django_db]

TENANTS = ("acme", "globex", "initech")
MAX_EXAMPLES = 80
T0 = datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)
# Few distinct values, so that rows tie on every ordering key.
DATES = [T0 + datetime.timedelta(minutes=m) for m in (0, 0, 1, 90, 60 * 24 * 3)]
NAMES = ("tasks.add", "tasks.mul", "tasks.report")
WORKERS = ("celery@a", "celery@b", None)
PRIORITIES = ("low", "normal", "high")
ATTEMPTS = (None, 0, 1, 2)
ORDERS = ("ord-101", "ord-102", "ord-2")
# Free text, a phrase, a key-targeted term and numbers, each shared by several tenants' rows.
SEARCHES = ("ord-10", '"ord-1"', "kwargs.order:ord-2", "tasks.mul", "ORD-102", "20241", "2024")
# How far the search side table reaches when an example fills it: some rows indexed, some live.
INDEXED_UNTIL = T0 + datetime.timedelta(minutes=1)
STATUSES = (states.SUCCESS, states.FAILURE, states.STARTED, states.PENDING, states.RETRY)

rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "tenant": st.sampled_from((*TENANTS, None)),
            "status": st.sampled_from(STATUSES),
            "task_name": st.sampled_from(NAMES),
            "worker": st.sampled_from(WORKERS),
            "priority": st.sampled_from(PRIORITIES),
            "attempt": st.sampled_from(ATTEMPTS),
            "date_created": st.sampled_from(DATES),
            "date_done": st.sampled_from(DATES),
            "date_started": st.sampled_from((None, *DATES)),
            "order": st.sampled_from(ORDERS),
        }
    ),
    min_size=8,
    max_size=30,
)


def filters_strategy(tenant_ids: st.SearchStrategy) -> st.SearchStrategy:
    """Random combinations of the list's filters, values drawn to overlap across tenants."""
    dates = st.sampled_from(DATES).map(lambda d: d.isoformat())
    options = {
        "status": st.sampled_from(STATUSES),
        "status__in": st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3).map(",".join),
        "task_name": st.sampled_from(NAMES),
        "task_name__in": st.lists(st.sampled_from(NAMES), min_size=1, max_size=2).map(",".join),
        "worker": st.sampled_from(WORKERS[:2]),
        "priority": st.sampled_from(PRIORITIES),
        "priority__in": st.lists(st.sampled_from(PRIORITIES), min_size=1, max_size=2).map(",".join),
        "attempt": st.sampled_from(ATTEMPTS[1:]).map(str),
        "attempt__gte": st.sampled_from(ATTEMPTS[1:]).map(str),
        "attempt__in": st.lists(st.sampled_from(ATTEMPTS[1:]), min_size=1).map(
            lambda values: ",".join(map(str, values))
        ),
        "tenant": tenant_ids.map(str),
        "tenant__in": st.lists(tenant_ids, min_size=1, max_size=3).map(
            lambda values: ",".join(map(str, values))
        ),
        "date_done__gte": dates,
        "date_created__lte": dates,
        "date_started__gte": dates,
    }
    return st.lists(st.sampled_from(sorted(options)), max_size=3, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({name: options[name] for name in names})
    )


class CountingClient(APIClient):
    """An API client that counts its requests into ``figures``."""

    def __init__(self, figures: Counter, **kwargs) -> None:
        super().__init__(**kwargs)
        self.figures = figures

    def get(self, *args, **kwargs):
        self.figures["requests"] += 1
        return super().get(*args, **kwargs)


@pytest.fixture
def scoped(settings):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.reliability.scopes.own_tenant_only"


@pytest.fixture
def figures() -> Counter:
    """What the property test exercised: examples, rows, requests, cursors tried."""
    return Counter()


@pytest.fixture
def world(db, scoped, django_user_model, figures):
    """The tenants, a staff user named like each, a superuser, and an API client for each."""
    from tests.testapp.models import Tenant

    tenants = {name: Tenant.objects.create(name=name) for name in TENANTS}
    clients = {}
    for name in (*TENANTS, "root"):
        user = django_user_model.objects.create_user(
            name, is_staff=True, is_superuser=name == "root"
        )
        clients[name] = CountingClient(figures)
        clients[name].force_authenticate(user)
    return tenants, clients


def pages(client, url: str, params: dict, link: str = "next", limit: int = 60) -> list[list]:
    """Every page from ``url`` following ``link``; fail on anything but a 200."""
    found: list[list] = []
    response = client.get(url, params)
    for _ in range(limit):
        assert response.status_code == 200, (url, params, response.content[:300])
        body = response.json()
        found.append(body["results"])
        if not body[link]:
            return found
        response = client.get(body[link])
    raise AssertionError(f"more than {limit} pages")


def walk(client, url: str, params: dict) -> list[dict]:
    """Every row from ``url``, page after page."""
    return [row for page in pages(client, url, params) for row in page]


def walk_back(client, url: str, params: dict) -> list[dict]:
    """Every row from ``url``, from its last page back to its first (``previous`` links)."""
    last = pages(client, url, params)[-1:]
    response = client.get(url, params)
    while response.json()["next"]:
        response = client.get(response.json()["next"])
    previous = response.json()["previous"]
    earlier = pages(client, previous, {}, link="previous") if previous else []
    return [row for page in [*reversed(earlier), *last] for row in page]


def create(rows: list[dict], tenants: dict) -> list:
    model = get_task_result_model()
    created = []
    for number, values in enumerate(rows):
        tenant = tenants[values["tenant"]] if values["tenant"] else None
        row = model._default_manager.create(
            task_id=f"{values['tenant']}-{number}",
            task_name=values["task_name"],
            status=values["status"],
            worker=values["worker"],
            priority=values["priority"],
            attempt=values["attempt"],
            tenant=tenant,
            content_type="application/json",
            content_encoding="utf-8",
            result="1",
            task_kwargs=json.dumps({"order": values["order"], "invoice": f"INV-2024{number % 3}"}),
        )
        # date_created and date_done are automatic on save; set them as drawn.
        model._default_manager.filter(pk=row.pk).update(
            date_created=values["date_created"],
            date_done=values["date_done"],
            date_started=values["date_started"],
        )
        created.append((row.task_id, values["tenant"]))
    groups = get_group_result_model()._default_manager
    for name in TENANTS:
        groups.create(group_id=f"{name}:group", content_type="application/json", result="[]")
    return created


@given(
    data=st.data(),
    rows=rows_strategy,
    user=st.sampled_from(TENANTS[:2]),
    ordering_field=st.sampled_from(("", *task_ordering_fields(get_task_result_model()))),
    descending=st.booleans(),
    page_size=st.integers(min_value=1, max_value=4),
)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def explore(world, figures, data, rows, user, ordering_field, descending, page_size):
    """One drawn example: the rows, a user, filters, an ordering, a grouping and a page size."""
    tenants, clients = world
    client, other, root = clients[user], clients[TENANTS[1 - TENANTS.index(user)]], clients["root"]
    tenant_ids = [tenant.pk for tenant in tenants.values()] + [10**6]
    filters = data.draw(filters_strategy(st.sampled_from(tenant_ids)), label="filters")
    search = data.draw(st.none() | st.sampled_from(SEARCHES), label="search")
    if search:
        filters["search"] = search
    params = dict(filters, page_size=page_size)
    if ordering_field:
        params["ordering"] = ("-" if descending else "") + ordering_field
    group_by = data.draw(
        st.lists(
            st.sampled_from(group_by_fields(get_task_result_model())), max_size=2, unique=True
        ),
        label="group_by",
    )
    # Every other example with a search fills the side table (a draw would change the examples).
    indexed = bool(search) and len(rows) % 2 == 0
    with transaction.atomic():
        created = create(rows, tenants)
        if indexed:
            index_search_text(get_task_result_model(), until=INDEXED_UNTIL)
        check_isolation(client, other, root, user, params, group_by, created, tenants, figures)
        transaction.set_rollback(True)
    figures["examples"] += 1
    figures["rows"] += len(rows)
    figures["filters"] += len(filters)
    figures["searches"] += "search" in filters
    figures["indexed_searches"] += indexed
    figures["number_searches"] += bool(search) and search.isdigit()


def test_no_endpoint_returns_or_counts_another_tenants_row(world, figures):
    explore(world, figures)

    # The property held over as much as it was meant to exercise: every
    # example ran, and each kind of check was reached more than once.
    record_figures("tenant_isolation", dict(figures))
    assert figures["examples"] == MAX_EXAMPLES, figures
    assert figures["rows"] >= 8 * MAX_EXAMPLES, figures
    assert figures["details_requested"] == figures["rows"], figures
    assert figures["stats_requested"] == MAX_EXAMPLES, figures
    assert figures["list_rows_seen"] >= MAX_EXAMPLES, figures
    assert figures["foreign_cursors_tried"] >= 10, figures
    assert figures["searches"] >= MAX_EXAMPLES // 4, figures
    assert figures["indexed_searches"] >= MAX_EXAMPLES // 10, figures
    assert figures["number_searches"] >= MAX_EXAMPLES // 20, figures


def check_isolation(client, other, root, user, params, group_by, created, tenants, figures):
    own = {task_id for task_id, tenant in created if tenant == user}
    tasks = reverse("results_api:task-list")

    # The list, forward and back: the superuser's answer narrowed to the tenant, each row once.
    everyone = {row["task_id"] for row in walk(root, tasks, params)}
    forward = [row["task_id"] for row in walk(client, tasks, params)]
    backward = [row["task_id"] for row in walk_back(client, tasks, params)]
    assert len(forward) == len(set(forward))
    assert set(forward) == everyone & own, (params, forward)
    assert backward == forward
    figures["list_rows_seen"] += len(forward)

    # Cursors issued to another tenant's user lead to the user's own rows only.
    page = other.get(tasks, params).json()
    for link in (page["next"], page["previous"]):
        if link:
            response = client.get(link)
            assert response.status_code in (200, 400)
            if response.status_code == 200:
                assert {row["task_id"] for row in response.json()["results"]} <= own
            figures["foreign_cursors_tried"] += 1

    # Each detail: own rows found, every other row not.
    for task_id, tenant in created:
        response = client.get(reverse("results_api:task-detail", args=[task_id]))
        assert response.status_code == (200 if tenant == user else 404), task_id
    figures["details_requested"] += len(created)

    # Stats count the same rows, per any grouping.
    stats_params = {k: v for k, v in params.items() if k not in ("ordering", "page_size")}
    if group_by:
        stats_params["group_by"] = ",".join(group_by)
    stats = client.get(reverse("results_api:task-stats"), stats_params)
    assert stats.status_code == 200, stats.content[:300]
    results = stats.json()["results"]
    assert sum(row["count"] for row in results) == len(forward)
    if "tenant" in group_by:
        assert {row["tenant"] for row in results} <= {tenants[user].pk}
    figures["stats_requested"] += 1

    # Groups: own only, in the list and by id.
    groups = walk(client, reverse("results_api:group-list"), {"page_size": 1})
    assert [group["group_id"] for group in groups] == [f"{user}:group"]
    for name in TENANTS:
        response = client.get(reverse("results_api:group-detail", args=[f"{name}:group"]))
        assert response.status_code == (200 if name == user else 404)

    # A filter on another tenant answers like one on no tenant at all.
    foreign = [tenant.pk for name, tenant in tenants.items() if name != user]
    for value in (*foreign, 10**6):
        response = client.get(tasks, {"tenant": value})
        assert (response.status_code, response.json()["results"]) == (200, [])
