"""The column rules both packages share: a name names a field with a column; a key, its target."""

import pytest
from django.core.exceptions import FieldDoesNotExist

from django_celery_results.columns import column, concrete_field, key_field
from django_celery_results.models import GroupResult, TaskResult
from tests.testapp.models import TaskResult as TenantTaskResult
from tests.testapp.models import Tenant


def test_a_field_is_found_by_its_name_or_its_attname() -> None:
    assert concrete_field(TenantTaskResult, "tenant") is concrete_field(
        TenantTaskResult, "tenant_id"
    )
    assert column(concrete_field(TaskResult, "task_id")) == "task_id"


def test_a_reverse_relation_has_no_column() -> None:
    with pytest.raises(FieldDoesNotExist, match="has no column"):
        concrete_field(Tenant, "taskresult")


def test_a_name_the_model_lacks_is_not_a_field() -> None:
    with pytest.raises(FieldDoesNotExist):
        concrete_field(GroupResult, "no_such_field")


def test_a_foreign_key_holds_the_values_of_the_field_it_points_at() -> None:
    tenant = concrete_field(TenantTaskResult, "tenant")
    assert key_field(tenant) is Tenant._meta.pk


def test_a_field_that_is_no_relation_holds_its_own_values() -> None:
    status = concrete_field(TaskResult, "status")
    assert key_field(status) is status
