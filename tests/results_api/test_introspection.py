"""Introspection of the active model: its extra fields and their kinds."""

from __future__ import annotations

import pytest
from django.db import models

from django_celery_results.models import TaskResult
from results_api.fields.rules import FieldKind, field_kind, field_rules, get_model_fields


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


def test_the_field_rules_say_what_is_shown_filtered_ordered_and_grouped(custom_model):
    rules = field_rules(custom_model)

    assert rules.visible[-3:] == ("tenant", "priority", "attempt")
    assert rules.filterable == {
        "tenant": ("exact", "in"),
        "priority": ("exact", "in"),
        "attempt": ("exact", "in", "gte", "lte"),
    }
    assert rules.orderable[-3:] == ("tenant", "priority", "attempt")
    assert rules.groupable[-3:] == ("tenant", "priority", "attempt")


def test_an_excluded_field_is_hidden_by_every_rule(custom_model, settings):
    settings.RESULTS_API = {"EXCLUDE_FIELDS": ["tenant", "worker", "args"]}
    rules = field_rules(custom_model)

    for names in (rules.visible, rules.filterable, rules.orderable, rules.groupable):
        assert not {"tenant", "worker", "args"} & set(names)
    assert "priority" in rules.groupable


def test_what_reads_the_rules_follows_a_changed_setting(custom_model, settings):
    """One receiver forgets the rules and everything built from them."""
    from results_api.rest.filters import get_task_filterset_class
    from results_api.rest.ordering import task_ordering_fields
    from results_api.rest.serializers import get_task_serializer_class
    from results_api.stats.queries import get_stats_query_serializer_class, group_by_fields

    built = (
        get_task_filterset_class(custom_model).base_filters,
        get_task_serializer_class(custom_model).Meta.fields,
        task_ordering_fields(custom_model),
        group_by_fields(custom_model),
        get_stats_query_serializer_class(custom_model)().fields["group_by"].choices,
    )
    assert all("tenant" in names for names in built)

    settings.RESULTS_API = {"EXCLUDE_FIELDS": ["tenant"]}

    rebuilt = (
        get_task_filterset_class(custom_model).base_filters,
        get_task_serializer_class(custom_model).Meta.fields,
        task_ordering_fields(custom_model),
        group_by_fields(custom_model),
        get_stats_query_serializer_class(custom_model)().fields["group_by"].choices,
    )
    assert not any("tenant" in names for names in rebuilt)
