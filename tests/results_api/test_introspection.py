"""Introspection of the active model: its extra fields and their kinds."""

from __future__ import annotations

import pytest
from django.db import models

from django_celery_results.models import TaskResult
from results_api.introspection import FieldKind, field_kind, get_model_fields


def test_default_model_has_no_extra_fields():
    assert get_model_fields(TaskResult).extra == ()


def test_custom_model_extra_fields_and_kinds(custom_model):
    fields = get_model_fields(custom_model)
    assert fields.model is custom_model
    assert [(extra.name, extra.kind) for extra in fields.extra] == [
        ("tenant", FieldKind.FOREIGN_KEY),
        ("priority", FieldKind.CHOICES),
        ("attempt", FieldKind.NUMBER),
    ]


def test_extra_field_lookups_follow_its_kind(custom_model):
    lookups = {extra.name: extra.lookups for extra in get_model_fields(custom_model).extra}
    assert lookups == {
        "tenant": ("exact", "in"),
        "priority": ("exact", "in"),
        "attempt": ("exact", "in", "gte", "lte"),
    }


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        (models.CharField(max_length=5), FieldKind.CHAR),
        (models.TextField(), FieldKind.CHAR),
        (models.SlugField(), FieldKind.CHAR),
        (models.UUIDField(), FieldKind.CHAR),
        (models.IntegerField(), FieldKind.NUMBER),
        (models.BigIntegerField(), FieldKind.NUMBER),
        (models.PositiveSmallIntegerField(), FieldKind.NUMBER),
        (models.FloatField(), FieldKind.NUMBER),
        (models.DecimalField(max_digits=5, decimal_places=2), FieldKind.NUMBER),
        (models.DateField(), FieldKind.DATE),
        (models.DateTimeField(), FieldKind.DATE),
        (models.BooleanField(), FieldKind.BOOLEAN),
        (models.IntegerField(choices=[(1, "one")]), FieldKind.CHOICES),
        (models.CharField(max_length=5, choices=[("a", "A")]), FieldKind.CHOICES),
        (models.JSONField(), FieldKind.UNFILTERABLE),
        (models.BinaryField(), FieldKind.UNFILTERABLE),
        (models.DurationField(), FieldKind.UNFILTERABLE),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, models.Field) else value.value,
)
def test_field_kind(field, kind):
    assert field_kind(field) is kind


def test_foreign_key_kind():
    from tests.testapp.models import TaskResult as CustomTaskResult

    assert field_kind(CustomTaskResult._meta.get_field("tenant")) is FieldKind.FOREIGN_KEY
