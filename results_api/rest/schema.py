"""drf-spectacular extensions for the results API; imported only when drf-spectacular is installed.

The filter parameters come from drf-spectacular's own django-filter support;
these extensions add what it cannot infer: ``ordering`` as an enum of the
accepted fields, the decoded content fields as any JSON value, the
parameters and response of ``tasks/stats/``, the CSV of ``tasks/export/``,
the revoke and retry actions (only when turned on), ``If-None-Match`` and
its 304, and the 429 of the throttles.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import (
    OpenApiFilterExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import action

from django_celery_results.models import get_task_result_model

from ..bulk.views import BulkConfirmSerializer, BulkOutcomeSerializer, BulkPreviewSerializer
from ..conf import api_settings
from ..stats.queries import INTERVALS, get_stats_serializer_class, group_by_fields
from .actions import RetriedSerializer, RevokedSerializer, RevokeSerializer, action_enabled
from .export import CSVRenderer
from .group_members import MembersQuery
from .request_values import LARGEST_INTEGER, SMALLEST_INTEGER, SafeIntegerField
from .serializers import get_group_serializer_class, get_task_serializer_class
from .throttling import SCOPE_BY_ACTION, throttle_rates

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag of a previous response; the same one again answers 304.",
)
NOT_MODIFIED = OpenApiResponse(
    description="Not modified: the body would be the one whose ETag was given in If-None-Match."
)


class ResultsAPIErrorSerializer(serializers.Serializer):
    """An error that is not about one parameter: throttled, not found, conflict."""

    detail = serializers.CharField()


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ResultsAPIErrorSerializer, description=description)


def _throttled(action_name: str) -> OpenApiResponse:
    scope = SCOPE_BY_ACTION.get(action_name, "read")
    rate = throttle_rates().get(scope) or "unlimited"
    return _error(
        f"Throttled: over the {scope!r} scope's rate (now {rate}); Retry-After gives the seconds."
    )


BAD_PARAMETERS = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=(
        "A bad query parameter (unknown, repeated, or a value it cannot take): an object "
        'naming each one with its messages, e.g. {"tenant": ["Enter a whole number."]}.'
    ),
)


def _error_responses(detail: bool) -> dict[int, Any]:
    """The errors every read answers: 400 for its parameters, 403, and 404 for a detail."""
    responses = {400: BAD_PARAMETERS, 403: _error("Not allowed: see RESULTS_API's permissions.")}
    if detail:
        responses[404] = _error("No such result within the request's scope.")
    return responses


def _read_responses(serializer: Any, action_name: str) -> dict[int, Any]:
    return {
        200: serializer,
        304: NOT_MODIFIED,
        429: _throttled(action_name),
        **_error_responses(detail=action_name == "retrieve"),
    }


class ResultFilterExtension(DjangoFilterExtension):
    """Document the filters as django-filter's extension does, with the integer bounds enforced."""

    target_class = "results_api.rest.views.ResultFilterBackend"
    priority = 1

    def resolve_filter_field(
        self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str, filter_field: Any
    ) -> list:
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        if issubclass(filter_field.field_class, SafeIntegerField):
            for parameter in parameters:
                schema = parameter["schema"]
                schema = schema.get("items", schema)
                schema.update(format="int64", minimum=SMALLEST_INTEGER, maximum=LARGEST_INTEGER)
        return parameters


class ResultOrderingFilterExtension(OpenApiFilterExtension):
    """Document ``?ordering=`` as a comma-separated list of an enum of fields."""

    target_class = "results_api.rest.ordering.ResultOrderingFilter"
    match_subclasses = True

    def get_schema_operation_parameters(self, auto_schema: Any, *args: Any, **kwargs: Any) -> list:
        view = auto_schema.view
        if getattr(view, "action", "list") not in ("list", "export"):
            return []  # stats: filtered like the list, but not ordered
        fields = getattr(view, "ordering_fields", None) or ()
        choices = [term for field in fields for term in (field, f"-{field}")]
        default = ",".join(getattr(view, "ordering", None) or ())
        return [
            build_parameter_type(
                name=self.target.ordering_param,
                schema=build_array_type(build_basic_type(OpenApiTypes.STR) or {}),
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

    target_class = "results_api.rest.serializers.StoredContentField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {
            "nullable": True,
            "readOnly": True,
            "description": "Decoded JSON when content_type is application/json; else null.",
        }


def _with_documented_reads(viewset: type, serializer: Any) -> type:
    """Return a subclass of ``viewset`` documenting the ETags, errors and throttles of reads."""

    class DocumentedReads(viewset):
        @extend_schema(parameters=[IF_NONE_MATCH], responses=_read_responses(serializer, "list"))
        def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            return super().list(request, *args, **kwargs)

        @extend_schema(
            parameters=[IF_NONE_MATCH], responses=_read_responses(serializer, "retrieve")
        )
        def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            return super().retrieve(request, *args, **kwargs)

    return DocumentedReads


class GroupResultViewSetExtension(OpenApiViewExtension):
    """Document the groups' ETags (304) and throttle (429)."""

    target_class = "results_api.rest.views.GroupResultViewSet"
    match_subclasses = True

    def view_replacement(self) -> type:
        serializer = get_group_serializer_class(self.target().get_model())
        members = inline_serializer(
            "GroupTasks",
            {
                "count": serializers.IntegerField(help_text="The group's number of tasks."),
                "states": serializers.DictField(
                    child=serializers.IntegerField(),
                    help_text="How many of them the caller may see, per state.",
                ),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": get_task_serializer_class(get_task_result_model())(many=True),
                "missing": serializers.ListField(
                    child=serializers.CharField(),
                    help_text="The page's task ids with no row the caller may see.",
                ),
            },
        )

        class DocumentedGroups(_with_documented_reads(self.target, serializer)):  # type: ignore[misc]
            @extend_schema(
                parameters=[MembersQuery, IF_NONE_MATCH],
                responses={
                    **_read_responses(members, "tasks"),
                    404: _error("No such group within the request's scope."),
                },
            )
            @action(detail=True, url_path="tasks")
            def tasks(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                return super().tasks(request, *args, **kwargs)

        return DocumentedGroups


class TaskResultViewSetExtension(OpenApiViewExtension):
    """Document ``tasks/stats/``, ``tasks/export/``, the actions, ETags and throttles."""

    target_class = "results_api.rest.views.TaskResultViewSet"
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

        serializer = get_task_serializer_class(model)
        not_found = _error("No such task in the caller's scope, or the action is turned off.")

        class DocumentedViewSet(_with_documented_reads(self.target, serializer)):  # type: ignore[misc]
            @extend_schema(
                filters=True,
                parameters=[group_by, interval, IF_NONE_MATCH],
                responses=_read_responses(get_stats_serializer_class(model), "stats"),
            )
            @action(detail=False, url_path="stats")
            def stats(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                return super().stats(request, *args, **kwargs)

            @extend_schema(
                filters=False,
                description=(
                    "What a client builds its controls from, as this user sees the API: every "
                    "field of a task (extra fields included) with its kind, label, filters "
                    "(lookup to parameter), whether ordering takes it and, for a select, its "
                    "choices (a foreign key's: the related rows the caller's results point at, "
                    "null past FILTER_CHOICES_LIMIT); the orderings, group_by fields, intervals, "
                    "page sizes, the project's time zone, whether tracebacks show, and the "
                    "actions this user may POST with the states they apply to."
                ),
                parameters=[IF_NONE_MATCH],
                responses=_read_responses(OpenApiTypes.OBJECT, "metadata"),
            )
            @action(detail=False, url_path="metadata")
            def metadata(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                return super().metadata(request, *args, **kwargs)

            @extend_schema(
                filters=True,
                description=(
                    "Every task the filters match (not one page), in the list's ordering, as "
                    "CSV: one column per field of a task, extra fields included; redacted "
                    "like the JSON. Streamed, so memory stays flat whatever the row count."
                ),
                responses={
                    (200, CSVRenderer.media_type): OpenApiResponse(
                        response=OpenApiTypes.STR, description="CSV with a header row."
                    ),
                    (429, "application/json"): _throttled("export"),
                    (429, CSVRenderer.media_type): OpenApiResponse(
                        response=OpenApiTypes.STR, description="Throttled, with Accept: text/csv."
                    ),
                    **_error_responses(detail=False),
                },
            )
            @action(detail=False, url_path="export")
            def export(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                return super().export(request, *args, **kwargs)

            @extend_schema(
                exclude=not action_enabled("revoke"),
                request=RevokeSerializer,
                responses={
                    202: RevokedSerializer,
                    404: not_found,
                    429: _throttled("revoke"),
                    503: _error("The broker could not be reached."),
                },
            )
            @action(detail=True, methods=["post"])
            def revoke(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                return super().revoke(request, *args, **kwargs)

            @extend_schema(
                methods=["GET"],
                exclude=not api_settings.BULK_ACTIONS,
                filters=True,
                description=(
                    "Preview a bulk action (retry, revoke or delete; each on only when "
                    "RESULTS_API['BULK_ACTIONS'] lists it) over the tasks the filters select in "
                    "the caller's scope: how many, how many it would skip and why, and the token "
                    "that confirms it (POST, same query string)."
                ),
                responses={
                    200: BulkPreviewSerializer,
                    404: not_found,
                    429: _throttled("bulk"),
                    **_error_responses(detail=False),
                },
            )
            @extend_schema(
                methods=["POST"],
                exclude=not api_settings.BULK_ACTIONS,
                filters=True,
                request=BulkConfirmSerializer,
                description=(
                    "Carry out a previewed bulk action: the same query string, and the preview's "
                    "token. Acts in batches; confirming the same token again returns the same run."
                ),
                responses={
                    200: BulkOutcomeSerializer,
                    404: not_found,
                    409: _error(
                        "The filters now select more tasks than the preview counted, or another "
                        "request is carrying out this run."
                    ),
                    429: _throttled("bulk"),
                    **_error_responses(detail=False),
                },
            )
            @action(detail=False, methods=["get", "post"], url_path=r"bulk/(?P<bulk_action>[a-z]+)")
            def bulk(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                return super().bulk(request, *args, **kwargs)

            @extend_schema(
                exclude=not action_enabled("retry"),
                request=None,
                responses={
                    202: RetriedSerializer,
                    404: not_found,
                    409: _error(
                        "The task is not finished, or its stored arguments cannot be trusted "
                        "to be complete (not stored, not JSON, not an exact literal, or cut "
                        "short by Celery)."
                    ),
                    429: _throttled("retry"),
                    503: _error("The broker could not be reached."),
                },
            )
            @action(detail=True, methods=["post"])
            def retry(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                return super().retry(request, *args, **kwargs)

        return DocumentedViewSet
