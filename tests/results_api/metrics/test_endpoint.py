"""The metrics endpoint: what it counts, how it survives cleanup, who may read which series."""

from __future__ import annotations

import datetime
import math
import shutil
import subprocess

import pytest
from django.utils import timezone

from django_celery_results.models import get_task_result_model
from results_api.metrics.totals import count_totals
from results_api.stats.rollups import rebuild, roll_up

from .conftest import TOKEN, finished, scrape

pytestmark = pytest.mark.django_db

TASK = "tests.testapp.tasks.add"
OTHER = "tests.testapp.tasks.fail"


def count(client, **headers):
    count_totals(get_task_result_model())
    return scrape(client, **headers)


def tasks_total(samples, **labels) -> float:
    """Return the sum of ``celery_results_tasks_total`` over the series with ``labels``."""
    return sum(
        value
        for key, value in samples.get("celery_results_tasks_total", {}).items()
        if all(dict(key).get(name) == wanted for name, wanted in labels.items())
    )


def test_final_states_are_counted_per_task_name_and_state(staff_client, make_task, settings):
    settings.RESULTS_API = {"METRICS_LABELS": []}
    for _ in range(3):
        finished(make_task, task_name=TASK)
    finished(make_task, task_name=TASK, status="FAILURE")
    finished(make_task, task_name=OTHER, status="REVOKED")

    samples = count(staff_client)

    assert samples["celery_results_tasks_total"] == {
        (("state", "FAILURE"), ("task", TASK)): 1.0,
        (("state", "SUCCESS"), ("task", TASK)): 3.0,
        (("state", "REVOKED"), ("task", OTHER)): 1.0,
    }


def test_unfinished_results_are_not_counted_as_final(staff_client, make_task):
    finished(make_task, status="STARTED")
    finished(make_task, status="RETRY")

    assert tasks_total(count(staff_client)) == 0


def test_results_younger_than_the_rollup_lag_are_counted_by_a_later_run(
    staff_client, make_task, settings
):
    settings.RESULTS_API = {"ROLLUP_LAG": 3600 * 2}
    finished(make_task)

    assert tasks_total(count(staff_client)) == 0
    settings.RESULTS_API = {"ROLLUP_LAG": 60}
    assert tasks_total(count(staff_client)) == 1


def test_each_run_adds_only_the_results_finished_since_the_last(staff_client, make_task):
    model, now = get_task_result_model(), timezone.now()
    finished(make_task)
    count_totals(model, until=now - datetime.timedelta(minutes=30))
    count_totals(model, until=now - datetime.timedelta(minutes=30))
    assert tasks_total(scrape(staff_client)) == 1

    finished(make_task, ago=datetime.timedelta(minutes=20))
    count_totals(model, until=now - datetime.timedelta(minutes=10))
    assert tasks_total(scrape(staff_client)) == 2


def test_counters_never_go_back_when_old_results_are_deleted(staff_client, make_task):
    for _ in range(4):
        finished(make_task)
    before = count(staff_client)

    get_task_result_model().objects.all().delete()
    rebuild(get_task_result_model())
    roll_up(get_task_result_model())

    assert count(staff_client)["celery_results_tasks_total"] == before["celery_results_tasks_total"]


def test_runtime_histogram_counts_each_duration_in_its_bucket(staff_client, make_task, settings):
    settings.RESULTS_API = {"METRICS_BUCKETS": [1, 10]}
    for seconds in (0.5, 2.0, 3.0, 60.0):
        finished(make_task, seconds=seconds)

    samples = count(staff_client)

    buckets = samples["celery_results_task_runtime_seconds_bucket"]
    assert buckets == {
        (("le", "1.0"), ("task", TASK)): 1.0,
        (("le", "10.0"), ("task", TASK)): 3.0,
        (("le", "+Inf"), ("task", TASK)): 4.0,
    }
    assert samples["celery_results_task_runtime_seconds_count"] == {(("task", TASK),): 4.0}
    assert samples["celery_results_task_runtime_seconds_sum"][(("task", TASK),)] == pytest.approx(
        65.5, abs=1e-3
    )


def test_waiting_time_histogram_counts_from_sent_to_started(staff_client, make_task):
    finished(make_task, waited=7.0)

    samples = count(staff_client)

    assert samples["celery_results_task_wait_seconds_sum"][(("task", TASK),)] == pytest.approx(
        7.0, abs=1e-3
    )
    assert samples["celery_results_task_wait_seconds_bucket"][(("le", "5.0"), ("task", TASK))] == 0
    assert samples["celery_results_task_wait_seconds_bucket"][(("le", "10.0"), ("task", TASK))] == 1


def test_queued_and_started_tasks_are_gauges_of_the_task_table(staff_client, make_task, settings):
    settings.RESULTS_API = {"METRICS_LABELS": []}
    sent = timezone.now() - datetime.timedelta(seconds=90)
    for status in ("PENDING", "PENDING", "RETRY"):
        task = make_task(status=status)
        type(task)._default_manager.filter(pk=task.pk).update(date_created=sent)
    make_task(status="STARTED")

    samples = scrape(staff_client)

    assert samples["celery_results_tasks_queued"] == {(("task", TASK),): 3.0}
    assert samples["celery_results_tasks_started"] == {(("task", TASK),): 1.0}
    age = samples["celery_results_oldest_queued_task_age_seconds"][(("task", TASK),)]
    assert 90 <= age < 120


def test_the_lag_of_each_rollup_is_a_gauge(staff_client, make_task, settings):
    settings.RESULTS_API = {"ROLLUP_LAG": 300}
    finished(make_task)
    roll_up(get_task_result_model())

    lag = count(staff_client)["celery_results_rollup_lag_seconds"]

    assert set(lag) == {(("rollup", "stats"),), (("rollup", "metrics"),)}
    assert all(300 <= seconds < 400 for seconds in lag.values())


def test_a_rollup_that_never_ran_lags_by_infinity(staff_client, make_task):
    finished(make_task)

    lag = scrape(staff_client)["celery_results_rollup_lag_seconds"]

    assert lag == {(("rollup", "stats"),): math.inf, (("rollup", "metrics"),): math.inf}


def test_the_output_passes_promtool_check_metrics(staff_client, make_task):
    finished(make_task)
    finished(make_task, status="FAILURE")
    make_task(status="PENDING")
    count_totals(get_task_result_model())
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed: run scripts/services install"

    body = staff_client.get("/metrics").content
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, check=False
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr


# Who may scrape.


def test_an_anonymous_scraper_is_refused(anonymous_client):
    assert anonymous_client.get("/metrics").status_code in (401, 403)


def test_a_user_the_api_refuses_is_refused(anonymous_client, django_user_model):
    user = django_user_model.objects.create_user("member", password="x")
    anonymous_client.force_authenticate(user)

    assert anonymous_client.get("/metrics").status_code == 403


def test_the_metrics_token_admits_a_scraper(anonymous_client, make_task, settings):
    settings.RESULTS_API = {"METRICS_TOKEN": TOKEN}
    finished(make_task)

    samples = count(anonymous_client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert tasks_total(samples) == 1


def test_a_wrong_metrics_token_is_a_401_that_counts_as_a_failed_log_in(anonymous_client, settings):
    settings.RESULTS_API = {
        "METRICS_TOKEN": TOKEN,
        "THROTTLE_RATES": {"auth_failures": "2/minute"},
    }
    wrong = {"HTTP_AUTHORIZATION": "Bearer not-the-token"}

    answers = [anonymous_client.get("/metrics", **wrong) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [401, 401, 429]
    assert answers[0]["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_without_a_metrics_token_a_bearer_header_admits_no_one(anonymous_client):
    answer = anonymous_client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")

    assert answer.status_code in (401, 403)


# Tenants.


@pytest.fixture
def by_tenant(settings, custom_model, tenants, django_user_model, make_task):
    """Two tenants' finished tasks, a member of acme, and a scope hook by tenant key."""
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.tenant_by_key"
    acme, globex, _ = tenants
    for tenant, number in ((acme, 2), (globex, 3)):
        for _ in range(number):
            finished(make_task, tenant=tenant, seconds=4.0)
    make_task(status="PENDING", tenant=globex)
    member = django_user_model.objects.create_user("acme", password="x")
    member.is_staff = False
    member.save()
    return acme, globex, member


def test_extra_fields_of_few_values_label_the_counters(staff_client, by_tenant):
    acme, globex, _ = by_tenant

    samples = count(staff_client)

    assert tasks_total(samples, tenant=str(acme.pk)) == 2
    assert tasks_total(samples, tenant=str(globex.pk)) == 3
    assert tasks_total(samples, priority="normal") == 5


def test_a_tenant_member_reads_only_their_tenants_series(anonymous_client, by_tenant, settings):
    acme, _, member = by_tenant
    settings.RESULTS_API = {
        **getattr(settings, "RESULTS_API", {}),
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    anonymous_client.force_authenticate(member)

    samples = count(anonymous_client)

    assert {dict(key)["tenant"] for key in samples["celery_results_tasks_total"]} == {str(acme.pk)}
    assert "celery_results_tasks_queued" not in samples  # globex's queued task is not theirs


def test_a_tenant_member_sees_no_histogram_that_mixes_other_tenants(
    anonymous_client, by_tenant, settings
):
    _, _, member = by_tenant
    settings.RESULTS_API = {
        **getattr(settings, "RESULTS_API", {}),
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    anonymous_client.force_authenticate(member)

    assert "celery_results_task_runtime_seconds_count" not in count(anonymous_client)


def test_histograms_labelled_by_the_tenant_are_a_members_own(anonymous_client, by_tenant, settings):
    acme, _, member = by_tenant
    settings.RESULTS_API = {
        **getattr(settings, "RESULTS_API", {}),
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "METRICS_HISTOGRAM_LABELS": ["tenant"],
    }
    anonymous_client.force_authenticate(member)

    counts = count(anonymous_client)["celery_results_task_runtime_seconds_count"]

    assert counts == {(("task", TASK), ("tenant", str(acme.pk))): 2.0}


def test_a_scope_hook_the_metrics_cannot_read_refuses_the_scrape(
    anonymous_client, by_tenant, settings
):
    _, _, member = by_tenant
    settings.RESULTS_API = {
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_tenant_only"
    anonymous_client.force_authenticate(member)

    answer = anonymous_client.get("/metrics")

    assert answer.status_code == 403
    assert "METRICS_TOKEN" in answer.json()["detail"]


def test_combinations_past_the_series_cap_are_counted_as_overflow(
    staff_client, by_tenant, settings
):
    settings.RESULTS_API = {"METRICS_MAX_SERIES": 1, "METRICS_LABELS": ["tenant"]}

    samples = count(staff_client)

    assert tasks_total(samples) == 5
    assert {dict(key)["tenant"] for key in samples["celery_results_tasks_total"]} == {
        str(by_tenant[0].pk),
        "__overflow__",
    }


def test_changing_the_labels_counts_the_stored_results_again(staff_client, by_tenant, settings):
    count(staff_client)
    settings.RESULTS_API = {"METRICS_LABELS": []}

    samples = count(staff_client)

    assert samples["celery_results_tasks_total"] == {(("state", "SUCCESS"), ("task", TASK)): 5.0}
