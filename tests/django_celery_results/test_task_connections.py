"""Connections at task boundaries: kept as Django keeps them between requests, closed if unfit."""

import time
from types import SimpleNamespace

import pytest
from celery import Celery
from celery.fixups.django import DjangoFixup
from django.db import connection, transaction

from django_celery_results.task_connections import (
    close_unusable_or_obsolete_connections,
    install_in_worker,
    left_in_transaction,
)
from tests.testapp.models import Tenant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def persistent_connection():
    """The default connection, opened anew with CONN_MAX_AGE 600 and health checks on."""
    saved = {key: connection.settings_dict[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=True)
    connection.ensure_connection()
    yield connection
    connection.close()
    connection.settings_dict.update(saved)


def test_a_usable_connection_younger_than_conn_max_age_is_kept(persistent_connection):
    raw = persistent_connection.connection
    Tenant.objects.create(name="kept")

    close_unusable_or_obsolete_connections()

    assert persistent_connection.connection is raw


def test_a_connection_older_than_conn_max_age_is_closed(persistent_connection):
    persistent_connection.close_at = 0

    close_unusable_or_obsolete_connections()

    assert persistent_connection.connection is None


def test_a_connection_inside_a_raw_transaction_is_closed_and_its_work_rolled_back(
    persistent_connection,
):
    with persistent_connection.cursor() as cursor:
        cursor.execute("BEGIN")
    Tenant.objects.create(name="abandoned")
    assert left_in_transaction(persistent_connection)

    close_unusable_or_obsolete_connections()

    assert persistent_connection.connection is None
    assert not Tenant.objects.filter(name="abandoned").exists()


def test_a_connection_with_autocommit_turned_off_is_closed(persistent_connection):
    transaction.set_autocommit(False)
    Tenant.objects.create(name="abandoned")

    close_unusable_or_obsolete_connections()

    assert persistent_connection.get_autocommit()
    assert not Tenant.objects.filter(name="abandoned").exists()


def test_an_atomic_block_never_left_is_rolled_back_and_the_connection_usable_again(
    persistent_connection,
):
    transaction.atomic().__enter__()
    Tenant.objects.create(name="abandoned")

    close_unusable_or_obsolete_connections()

    assert not persistent_connection.in_atomic_block
    Tenant.objects.create(name="next")
    assert list(Tenant.objects.values_list("name", flat=True)) == ["next"]


def test_an_idle_connection_is_not_taken_for_one_in_a_transaction(persistent_connection):
    Tenant.objects.create(name="committed")

    assert not left_in_transaction(persistent_connection)


def _worker_fixup_of(app: Celery):
    return next(f for f in app._fixups if isinstance(f, DjangoFixup)).worker_fixup


def test_the_worker_fixup_closes_only_unusable_or_obsolete_connections_after_install():
    app = Celery(set_as_current=False)
    worker_fixup = _worker_fixup_of(app)

    install_in_worker(sender=SimpleNamespace(app=app))

    assert worker_fixup.close_database is close_unusable_or_obsolete_connections


def test_celery_db_reuse_max_keeps_celerys_own_policy():
    app = Celery(set_as_current=False)
    app.conf.CELERY_DB_REUSE_MAX = 100
    worker_fixup = _worker_fixup_of(app)

    install_in_worker(sender=SimpleNamespace(app=app))

    assert worker_fixup.close_database.__func__ is type(worker_fixup).close_database


def test_the_opt_out_setting_keeps_celerys_close_after_each_task(settings):
    settings.CELERY_RESULTS_CLOSE_CONNECTIONS_AFTER_EACH_TASK = True
    app = Celery(set_as_current=False)
    worker_fixup = _worker_fixup_of(app)

    install_in_worker(sender=SimpleNamespace(app=app))

    assert worker_fixup.close_database.__func__ is type(worker_fixup).close_database


@pytest.mark.postgres
def test_a_quiet_connection_needs_no_ping_before_the_next_task(persistent_connection):
    Tenant.objects.create(name="used")

    close_unusable_or_obsolete_connections()

    assert persistent_connection.health_check_done


@pytest.mark.postgres
def test_a_session_the_server_ended_is_replaced_before_the_next_task_uses_it(
    persistent_connection,
):
    import psycopg

    with persistent_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    settings_dict = persistent_connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"],
        dbname=settings_dict["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)

    close_unusable_or_obsolete_connections()
    Tenant.objects.create(name="next")

    assert Tenant.objects.filter(name="next").exists()
