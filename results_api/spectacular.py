"""drf-spectacular extensions for the results API; imported only when drf-spectacular is installed.

The filter parameters come from drf-spectacular's own django-filter support;
these extensions add what it cannot infer: ``ordering`` as an enum of the
accepted fields, the decoded content fields as any JSON value, and the
parameters and response of ``tasks/stats/``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import (
    OpenApiFilterExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action

from .stats import INTERVALS, get_stats_serializer_class, group_by_fields


class ResultOrderingFilterExtension(OpenApiFilterExtension):
    """Document ``?ordering=`` as a comma-separated list of an enum of fields."""

    target_class = "results_api.ordering.ResultOrderingFilter"
    match_subclasses = True

    def get_schema_operation_parameters(self, auto_schema: Any, *args: Any, **kwargs: Any) -> list:
        view = auto_schema.view
        if getattr(view, "action", "list") != "list":
            return []  # stats: filtered like the list, but not ordered
        fields = getattr(view, "ordering_fields", None) or ()
        choices = [term for field in fields for term in (field, f"-{field}")]
        default = ",".join(getattr(view, "ordering", None) or ())
        return [
            build_parameter_type(
                name=self.target.ordering_param,
                schema=build_array_type(build_basic_type(OpenApiTypes.STR)),
                location=OpenApiParameter.QUERY,
                enum=choices,
                description=(
                    "Fields to order by, comma-separated; `-` for descending. "
                    f"Default `{default}`; the primary key breaks ties."
                ),
                explode=False,
                style="form",
            )
        ]


class StoredContentFieldExtension(OpenApiSerializerFieldExtension):
    """Document a decoded content field: any JSON value, null unless stored as JSON."""

    target_class = "results_api.serializers.StoredContentField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {
            "nullable": True,
            "readOnly": True,
            "description": "Decoded JSON when content_type is application/json; else null.",
        }


class TaskResultViewSetExtension(OpenApiViewExtension):
    """Document ``tasks/stats/``: the list's filters, ``group_by``, ``interval`` and its rows."""

    target_class = "results_api.views.TaskResultViewSet"
    match_subclasses = True

    def view_replacement(self) -> type:
        model = self.target().get_model()
        group_by = OpenApiParameter(
            "group_by",
            type=build_array_type({"type": "string", "enum": list(group_by_fields(model))}),
            style="form",
            explode=False,
            description="Fields to group by, comma-separated (a ForeignKey by its key).",
        )
        interval = OpenApiParameter(
            "interval",
            enum=list(INTERVALS),
            description=(
                "Bucket date_done by this interval, in the project's time zone. "
                "Needs date_done__gte; the range is capped at STATS_MAX_BUCKETS buckets."
            ),
        )

        class DocumentedViewSet(self.target):
            @extend_schema(
                filters=True,
                parameters=[group_by, interval],
                responses=get_stats_serializer_class(model),
            )
            @action(detail=False, url_path="stats")
            def stats(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                return super().stats(request, *args, **kwargs)

        return DocumentedViewSet
