"""drf-spectacular extensions for the results API; imported only when drf-spectacular is installed.

The filter parameters come from drf-spectacular's own django-filter support;
these extensions add what it cannot infer: ``ordering`` as an enum of the
accepted fields, and the decoded content fields as any JSON value.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiFilterExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter


class ResultOrderingFilterExtension(OpenApiFilterExtension):
    """Document ``?ordering=`` as a comma-separated list of an enum of fields."""

    target_class = "results_api.ordering.ResultOrderingFilter"
    match_subclasses = True

    def get_schema_operation_parameters(self, auto_schema: Any, *args: Any, **kwargs: Any) -> list:
        view = auto_schema.view
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
