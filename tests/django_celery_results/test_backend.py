"""The django-db backend: what each stored state writes, and what reads give back."""

import datetime

import pytest
from celery import states
from celery.result import AsyncResult, GroupResult
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from kombu.exceptions import ContentDisallowed

from django_celery_results.backends import CacheBackend, DatabaseBackend
from django_celery_results.models import ChordCounter, get_group_result_model

pytestmark = pytest.mark.django_db


def test_django_db_alias_resolves_to_our_database_backend(celery_app):
    assert type(celery_app.backend) is DatabaseBackend


def test_django_cache_alias_resolves_to_our_cache_backend():
    from celery import Celery

    app = Celery(backend="django-cache", set_as_current=False)
    assert type(app.backend) is CacheBackend


def test_success_is_stored_with_its_encoded_result(backend, task_result_model):
    backend.store_result("t-1", {"answer": 42}, states.SUCCESS)

    row = task_result_model.objects.get(task_id="t-1")
    assert (row.status, row.result, row.content_type) == (
        states.SUCCESS,
        '{"answer": 42}',
        "application/json",
    )


@pytest.mark.django_db(transaction=True)
def test_each_stored_state_is_one_sql_statement(backend, make_request):
    request = make_request()
    for state in (states.STARTED, states.SUCCESS):
        with CaptureQueriesContext(connection) as queries:
            backend.store_result(request.id, 3, state, request=request)
        assert len(queries) == 1, [query["sql"] for query in queries]


def test_started_sets_date_started(backend, task_result_model):
    before = timezone.now()
    backend.store_result("t-1", None, states.STARTED)

    row = task_result_model.objects.get(task_id="t-1")
    assert row.status == states.STARTED
    assert before <= row.date_started <= timezone.now()


def test_later_states_keep_date_created_and_date_started(backend, task_result_model):
    backend.store_result("t-1", None, states.STARTED)
    first = task_result_model.objects.get(task_id="t-1")

    backend.store_result("t-1", 1, states.SUCCESS)

    row = task_result_model.objects.get(task_id="t-1")
    assert row.date_created == first.date_created
    assert row.date_started == first.date_started
    assert row.date_done >= first.date_done


def test_date_started_is_aware_utc_from_python(backend, task_result_model):
    backend.store_result("t-1", None, states.STARTED)

    started = task_result_model.objects.get(task_id="t-1").date_started
    assert started.utcoffset() == datetime.timedelta(0)
    assert abs(timezone.now() - started) < datetime.timedelta(seconds=5)


def test_result_extended_stores_name_args_kwargs_and_worker(
    backend, make_request, task_result_model
):
    request = make_request(args=(1, 2), kwargs={"flag": True}, periodic_task_name="nightly")
    backend.store_result(request.id, 3, states.SUCCESS, request=request)

    row = task_result_model.objects.get(task_id=request.id)
    assert row.task_name == "tests.testapp.tasks.add"
    assert row.task_args == '"(1, 2)"'
    assert row.task_kwargs == "\"{'flag': True}\""
    assert row.worker == "celery@worker-1"
    assert row.periodic_task_name == "nightly"


def test_without_result_extended_arguments_are_not_stored(backend, make_request, task_result_model):
    backend.extended = False
    try:
        request = make_request(args=("secret",))
        backend.store_result(request.id, 3, states.SUCCESS, request=request)
    finally:
        backend.extended = True

    row = task_result_model.objects.get(task_id=request.id)
    assert (row.task_name, row.task_args, row.task_kwargs, row.worker) == (None, None, None, None)


def test_traceback_is_stored_without_result_extended(backend, task_result_model):
    backend.extended = False
    try:
        backend.mark_as_failure("t-1", ValueError("boom"), traceback="Traceback: boom")
    finally:
        backend.extended = True

    assert task_result_model.objects.get(task_id="t-1").traceback == "Traceback: boom"


def test_a_state_stored_without_request_keeps_the_extended_columns(
    backend, make_request, task_result_model
):
    request = make_request(args=(1, 2))
    backend.store_result(request.id, None, states.STARTED, request=request)

    backend.store_result(request.id, None, states.REVOKED)

    row = task_result_model.objects.get(task_id=request.id)
    assert (row.status, row.task_name, row.worker) == (
        states.REVOKED,
        "tests.testapp.tasks.add",
        "celery@worker-1",
    )


def test_request_meta_and_children_are_merged_into_meta(backend, make_request, task_result_model):
    request = make_request(meta={"source": "api"})
    backend.store_result(request.id, 1, states.SUCCESS, request=request)

    row = task_result_model.objects.get(task_id=request.id)
    assert backend.decode(row.meta) == {"source": "api", "children": []}


def test_a_task_without_children_or_request_meta_stores_the_empty_meta(
    backend, make_request, task_result_model
):
    for request in (make_request(), make_request()):
        backend.store_result(request.id, 1, states.SUCCESS, request=request)

    metas = task_result_model.objects.values_list("meta", flat=True)
    assert [backend.decode(meta) for meta in metas] == [{"children": []}, {"children": []}]


def test_reading_results_that_eager_tasks_do_not_store_warns(celery_app):
    celery_app.conf.task_always_eager = True
    try:
        backend = DatabaseBackend(app=celery_app)
        with pytest.warns(RuntimeWarning, match="task_always_eager"):
            backend.get_task_meta("t-1", cache=False)
    finally:
        celery_app.conf.task_always_eager = False


def test_get_task_meta_decodes_result_args_and_kwargs(backend, make_request):
    request = make_request(args=(1, 2), kwargs={"x": 1})
    backend.store_result(request.id, {"sum": 3}, states.SUCCESS, request=request)

    meta = backend.get_task_meta(request.id, cache=False)
    assert meta["status"] == states.SUCCESS
    assert meta["result"] == {"sum": 3}
    assert meta["args"] == "(1, 2)"
    assert meta["kwargs"] == "{'x': 1}"
    assert meta["task_name"] == "tests.testapp.tasks.add"
    assert meta["children"] == []


def test_get_task_meta_of_an_unknown_task_is_pending(backend):
    meta = backend.get_task_meta("missing", cache=False)

    assert (meta["status"], meta["result"]) == (states.PENDING, None)


def test_a_failure_reads_back_as_the_exception(celery_app, backend):
    backend.mark_as_failure("t-1", KeyError("lost"), traceback="tb")

    result = AsyncResult("t-1", app=celery_app)
    assert result.state == states.FAILURE
    assert isinstance(result.result, KeyError)
    assert result.traceback == "tb"
    with pytest.raises(KeyError):
        result.get(timeout=1)


def test_pickled_results_round_trip_as_base64_text(celery_app, task_result_model):
    backend = DatabaseBackend(app=celery_app, serializer="pickle", accept=["json", "pickle"])
    backend.store_result("t-1", {1, 2}, states.SUCCESS)

    assert backend.get_task_meta("t-1", cache=False)["result"] == {1, 2}
    assert task_result_model.objects.get(task_id="t-1").content_encoding == "binary"


def test_a_json_only_backend_refuses_to_unpickle_a_stored_result(celery_app):
    DatabaseBackend(app=celery_app, serializer="pickle", accept=["pickle"]).store_result(
        "t-1", {1, 2}, states.SUCCESS
    )

    with pytest.raises(ContentDisallowed):
        DatabaseBackend(app=celery_app, accept=["json"]).get_task_meta("t-1", cache=False)


def test_forget_deletes_the_result(backend, task_result_model):
    backend.store_result("t-1", 1, states.SUCCESS)

    AsyncResult("t-1", backend=backend).forget()

    assert not task_result_model.objects.filter(task_id="t-1").exists()


def test_forget_of_an_unknown_task_is_quiet(backend, task_result_model, caplog):
    backend.forget("missing")

    assert not caplog.records
    assert not task_result_model.objects.filter(task_id="missing").exists()


def test_cleanup_deletes_expired_results_in_batches(backend, task_result_model):
    for number in range(5):
        backend.store_result(f"old-{number}", 1, states.SUCCESS)
    backend.store_result("fresh", 1, states.SUCCESS)
    task_result_model.objects.exclude(task_id="fresh").update(
        date_done=timezone.now() - datetime.timedelta(days=2)
    )

    with (
        override_settings(CELERY_RESULTS_CLEANUP_BATCH_SIZE=2),
        CaptureQueriesContext(connection) as queries,
    ):
        backend.cleanup()

    assert list(task_result_model.objects.values_list("task_id", flat=True)) == ["fresh"]
    deletes = [q for q in queries if q["sql"].startswith("DELETE") and "taskresult" in q["sql"]]
    assert len(deletes) == 3


def test_cleanup_deletes_expired_group_results(backend):
    group_model = get_group_result_model()
    backend.save_group("g-old", GroupResult("g-old", [AsyncResult("a", app=backend.app)]))
    group_model.objects.update(date_done=timezone.now() - datetime.timedelta(days=2))

    backend.cleanup()

    assert not group_model.objects.exists()


def test_save_and_restore_a_group(celery_app, backend):
    group = GroupResult("g-1", [AsyncResult("a", app=celery_app), AsyncResult("b", app=celery_app)])
    backend.save_group("g-1", group)

    restored = GroupResult.restore("g-1", backend=backend)
    assert [result.id for result in restored.results] == ["a", "b"]


def test_saving_a_group_twice_keeps_one_row(celery_app, backend):
    group = GroupResult("g-1", [AsyncResult("a", app=celery_app)])
    backend.save_group("g-1", group)
    backend.save_group("g-1", group)

    assert get_group_result_model().objects.filter(group_id="g-1").count() == 1


def test_restore_of_an_unknown_group_is_none(backend):
    assert backend.restore_group("missing", cache=False) is None


def test_delete_group_removes_it_and_a_missing_one_is_quiet(celery_app, backend):
    backend.save_group("g-1", GroupResult("g-1", [AsyncResult("a", app=celery_app)]))

    backend.delete_group("g-1")
    backend.delete_group("g-1")

    assert not get_group_result_model().objects.filter(group_id="g-1").exists()


def test_store_result_manager_api_of_upstream_still_works(task_result_model):
    task_result_model.objects.store_result(
        "application/json", "utf-8", "t-1", "1", states.SUCCESS, task_name="legacy"
    )

    row = task_result_model.objects.get(task_id="t-1")
    assert (row.status, row.task_name) == (states.SUCCESS, "legacy")


def test_chord_counter_is_created_by_apply_chord(celery_app, backend):
    header = GroupResult("chord-1", [AsyncResult(f"h-{n}", app=celery_app) for n in range(3)])

    backend.apply_chord(header, {"chord_size": None})

    counter = ChordCounter.objects.get(group_id="chord-1")
    assert counter.count == 3
    assert sorted(counter.header_task_ids()) == ["h-0", "h-1", "h-2"]


@pytest.fixture
def eager_chord(celery_app, backend, monkeypatch):
    """A chord of three header tasks whose body runs eagerly and stores its result.

    A task copies ``task_store_eager_result`` when its app is finalized, which an earlier
    test may already have done, so the body's task class is told directly, and put back.
    """
    from tests.testapp.tasks import collect

    collect = celery_app.tasks[collect.name]
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(type(collect), "store_eager_result", True)
    header = GroupResult("chord-1", [AsyncResult(f"h-{n}", app=celery_app) for n in range(3)])
    backend.apply_chord(header, {"chord_size": None})
    return header, collect.s().set(task_id="body-1")


def finish_header_task(backend, task_id, body, state=states.SUCCESS):
    from celery.app.task import Context

    backend.store_result(task_id, 1, state)
    backend.on_chord_part_return(Context(id=task_id, group="chord-1", chord=body), state, 1)


def test_chord_body_runs_when_the_last_header_task_finishes(
    backend, eager_chord, task_result_model
):
    _header, body = eager_chord
    for task_id in ("h-0", "h-1"):
        finish_header_task(backend, task_id, body)
    assert not task_result_model.objects.filter(task_id="body-1").exists()

    finish_header_task(backend, "h-2", body)

    assert backend.get_task_meta("body-1", cache=False)["result"] == 3
    assert not ChordCounter.objects.exists()


def test_a_redelivered_header_task_is_not_counted_twice(backend, eager_chord, task_result_model):
    _header, body = eager_chord
    for task_id in ("h-0", "h-0", "h-1", "h-1"):
        finish_header_task(backend, task_id, body)

    assert ChordCounter.objects.get(group_id="chord-1").count == 1
    assert not task_result_model.objects.filter(task_id="body-1").exists()


def test_a_part_returning_after_the_body_ran_logs_a_warning(backend, eager_chord, caplog):
    _header, body = eager_chord
    for task_id in ("h-0", "h-1", "h-2"):
        finish_header_task(backend, task_id, body)

    finish_header_task(backend, "h-2", body)

    assert "No ChordCounter for group chord-1" in caplog.text


def test_a_failed_header_task_fails_the_chord_body(backend, eager_chord):
    _header, body = eager_chord
    finish_header_task(backend, "h-0", body)
    finish_header_task(backend, "h-1", body)
    backend.mark_as_failure("h-2", ValueError("bad part"))
    from celery.app.task import Context

    backend.on_chord_part_return(
        Context(id="h-2", group="chord-1", chord=body), states.FAILURE, ValueError("bad part")
    )

    meta = backend.get_task_meta("body-1", cache=False)
    assert meta["status"] == states.FAILURE
    assert "bad part" in str(meta["result"])


def test_cleanup_deletes_chord_counters_whose_header_results_expired(
    celery_app, backend, task_result_model
):
    header = GroupResult("chord-1", [AsyncResult(f"h-{n}", app=celery_app) for n in range(2)])
    backend.apply_chord(header, {"chord_size": None})
    backend.store_result("h-0", 1, states.SUCCESS)
    task_result_model.objects.update(date_done=timezone.now() - datetime.timedelta(days=2))

    backend.cleanup()

    assert not ChordCounter.objects.exists()


def test_cleanup_keeps_counters_of_chords_in_progress(celery_app, backend):
    header = GroupResult("chord-1", [AsyncResult(f"h-{n}", app=celery_app) for n in range(2)])
    backend.apply_chord(header, {"chord_size": None})
    backend.store_result("h-0", 1, states.SUCCESS)

    backend.cleanup()

    assert ChordCounter.objects.filter(group_id="chord-1").exists()


def test_a_late_retry_does_not_replace_a_final_state(backend, task_result_model):
    backend.store_result("t-1", 1, states.SUCCESS)

    backend.store_result("t-1", None, states.RETRY)
    backend.store_result("t-1", None, states.STARTED)

    row = task_result_model.objects.get(task_id="t-1")
    assert (row.status, row.result) == (states.SUCCESS, "1")


def test_a_final_state_replaces_another_final_state(backend, task_result_model):
    backend.store_result("t-1", 1, states.SUCCESS)

    backend.store_result("t-1", None, states.REVOKED)

    assert task_result_model.objects.get(task_id="t-1").status == states.REVOKED


def test_a_redelivered_task_ends_with_its_last_final_state(backend, task_result_model):
    for state, result in [
        (states.STARTED, None),
        (states.FAILURE, "first run"),
        (states.STARTED, None),
        (states.SUCCESS, "second run"),
    ]:
        backend.store_result("t-1", result, state)

    row = task_result_model.objects.get(task_id="t-1")
    assert (row.status, row.result) == (states.SUCCESS, '"second run"')


def test_a_header_task_delivered_three_times_leaves_the_body_to_the_last_header_task(
    backend, eager_chord, task_result_model
):
    _header, body = eager_chord
    for task_id in ("h-0", "h-0", "h-0", "h-1"):
        finish_header_task(backend, task_id, body)
    assert not task_result_model.objects.filter(task_id="body-1").exists()

    finish_header_task(backend, "h-2", body)

    assert backend.get_task_meta("body-1", cache=False)["result"] == 3
    assert not ChordCounter.objects.exists()
