"""Viewsets over the stored task and group results.

Every request goes through the same steps: the permission classes of
``RESULTS_API``, its throttle scope (:mod:`results_api.rest.throttling`), the
``CELERY_RESULTS_SCOPE_QUERYSET`` hook (so a detail outside the scope is a 404), the filter
set, the ordering and the keyset cursor; a successful read gets an ETag
(:mod:`results_api.rest.conditional`). Besides reading, tasks have a CSV export
(:mod:`results_api.rest.export`) and two POST actions, off by default, in a
mixin of their own (:mod:`results_api.rest.action_views`). Subclass the viewsets to change any step;
``serializer_class`` and ``filterset_class`` set on a subclass replace the
generated ones.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any, cast

from django.db import models, router
from django.http import Http404, HttpResponseBase
from django.utils import timezone
from django.utils.encoding import smart_str
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings as drf_settings
from rest_framework.utils import formatting
from rest_framework.utils.urls import replace_query_param

from django_celery_results.conf import apply_scope_hook
from django_celery_results.models import get_group_result_model, get_task_result_model
from django_celery_results.models.abstract import AbstractTaskResult
from django_celery_results.setting_caches import forget_when_changed
from django_celery_results.status import NotShown, group_children
from django_celery_results.url_ids import id_from_segment

from ..bulk.plan import FirstRows
from ..bulk.views import BulkActionsMixin
from ..conf import SETTING_NAME, api_settings
from ..search.filters import SEARCH_PARAM, SearchField, search_excerpt
from ..search.query import matches_of
from ..stats.from_rollup import stats_from_rollup
from ..stats.queries import (
    bound_to_buckets,
    get_stats_query_serializer_class,
    get_stats_serializer_class,
    task_stats,
)
from .action_views import TaskActionsMixin
from .conditional import conditional_response
from .export import CSVRenderer, export_response
from .filters import (
    filters_without_params,
    get_group_filterset_class,
    get_task_filterset_class,
    narrow_filterset,
)
from .group_members import MembersQuery, member_page
from .live_updates import NEXT_UPDATED_SINCE, default_ordering, format_since
from .metadata import describe_tasks
from .ordering import ResultOrderingFilter, task_ordering_fields
from .parsers import PARSER_CLASSES
from .serializers import get_group_serializer_class, get_task_serializer_class
from .throttling import FailedLoginLockout

__all__ = [
    "GroupResultViewSet",
    "ResultFilterBackend",
    "ResultViewSet",
    "TaskReadViewSet",
    "TaskResultViewSet",
]


# The query parameters of each kind of view: (view class, action, filter set, paginator).
_QUERY_PARAM_NAMES: dict[tuple[Any, ...], frozenset[str]] = {}
forget_when_changed(_QUERY_PARAM_NAMES.clear, settings=(SETTING_NAME, "REST_FRAMEWORK"))


# A Sphinx cross-reference role in a docstring: :mod:`x`, :py:func:`~x.y`.
SPHINX_ROLE = re.compile(r":(?:[a-z]+:)?[a-z]+:`~?(?P<text>[^`]+)`")


class FromSettings:
    """A class attribute read from ``api_settings`` on every access, so changes apply at once.

    Read on the class (as the router does when ``results_api.urls`` is
    imported), it is the descriptor itself, as a ``property`` is: the URLconf
    then imports with a broken ``RESULTS_API``, and the system checks name it.
    """

    def __init__(self, name: str, fallback: Callable[[], Any] | None = None) -> None:
        self.name = name
        self.fallback = fallback

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = getattr(api_settings, self.name)
        if value is None and self.fallback is not None:
            return self.fallback()
        return value


class ResultFilterBackend(DjangoFilterBackend):
    """django-filter's backend, taking the filter set class from the view."""

    def get_filterset_class(self, view: Any, queryset: models.QuerySet | None = None) -> Any:
        return view.get_filterset_class()

    def filter_queryset(self, request: Request, queryset: models.QuerySet, view: Any) -> Any:
        """Return ``queryset`` filtered; as it is when the request names no filter (a detail)."""
        if not request.query_params and not filters_without_params(self.get_filterset_class(view)):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request: Request, queryset: models.QuerySet, view: Any) -> Any:
        """Return the filter set of the request, with only the filters it names."""
        filterset_class = narrow_filterset(self.get_filterset_class(view), request.query_params)
        return filterset_class(**self.get_filterset_kwargs(request, queryset, view))


class ResultViewSet(FailedLoginLockout, viewsets.ReadOnlyModelViewSet):
    """List and retrieve stored results of one model: scoped, filtered, ordered, paginated."""

    # Task and group ids may contain dots and dashes: any path segment but a NUL (PostgreSQL
    # refuses one) will do.
    lookup_value_regex = "[^/\x00]+"
    filter_backends: Sequence[type[BaseFilterBackend]] = [ResultFilterBackend, ResultOrderingFilter]
    parser_classes = PARSER_CLASSES
    ordering: tuple[str, ...] = ("-date_created",)
    permission_classes = FromSettings("PERMISSION_CLASSES")
    authentication_classes = FromSettings(
        "AUTHENTICATION_CLASSES", lambda: drf_settings.DEFAULT_AUTHENTICATION_CLASSES
    )
    pagination_class = FromSettings("PAGINATION_CLASS")
    throttle_classes = FromSettings("THROTTLE_CLASSES")
    serializer_class = None
    filterset_class = None

    def get_model(self) -> type[models.Model]:
        """Return the model whose rows this viewset serves."""
        raise NotImplementedError

    def get_queryset(self) -> models.QuerySet:
        """Return the model's rows that the request may see (``CELERY_RESULTS_SCOPE_QUERYSET``)."""
        queryset = self.get_model()._default_manager.all()
        if getattr(self, "swagger_fake_view", False):
            # Schema generation: no real request to scope by.
            return queryset.none()
        return apply_scope_hook(self.request, queryset)

    def get_filterset_class(self) -> Any:
        """Return ``filterset_class``, or the one generated for the model."""
        raise NotImplementedError

    def get_query_param_names(self) -> frozenset[str]:
        """Return every query parameter this view understands, worked out once per kind of view.

        The filter set's filters on every action; on list and retrieve also
        those that the other filter backends and the paginator document.
        """
        kind = (type(self), self.action, self.get_filterset_class(), type(self.paginator))
        names = _QUERY_PARAM_NAMES.get(kind)
        if names is None:
            names = _QUERY_PARAM_NAMES[kind] = frozenset(self.list_query_param_names())
        return names

    def list_query_param_names(self) -> set[str]:
        """Return every query parameter this view understands (see ``get_query_param_names``)."""
        names = set(self.get_filterset_class().base_filters)
        if drf_settings.URL_FORMAT_OVERRIDE:
            names.add(drf_settings.URL_FORMAT_OVERRIDE)
        if self.action not in ("list", "retrieve", "export"):
            return names
        documented = [
            backend().get_schema_operation_parameters(self)
            for backend in self.filter_backends
            if not issubclass(backend, DjangoFilterBackend)
        ]
        if self.paginator is not None and self.action != "export":
            documented.append(self.paginator.get_schema_operation_parameters(self))
        names.update(parameter["name"] for parameters in documented for parameter in parameters)
        return names

    def check_query_params(self, request: Request) -> None:
        """Refuse unknown or repeated query parameters with a 400 naming each one."""
        if not request.query_params:
            return
        known = self.get_query_param_names()
        errors = {}
        for name, values in request.query_params.lists():
            if name not in known:
                errors[name] = [
                    _("Unknown query parameter. Known: %(known)s.")
                    % {"known": ", ".join(sorted(known))}
                ]
            elif len(values) > 1:
                errors[name] = [_("Give this parameter once; separate several values with commas.")]
        if errors:
            raise ValidationError(errors)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        """Refuse an unknown ``?format=`` with a 400 naming it (DRF answers 404)."""
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            formats = ", ".join(sorted(r.format for r in self.get_renderers()))
            raise ValidationError(
                {drf_settings.URL_FORMAT_OVERRIDE: [_("Unknown format. Known: %s.") % formats]}
            ) from None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Refuse an address locked out by failed log-ins, authenticate and check permissions,
        then the query parameters."""
        super().initial(request, *args, **kwargs)
        if api_settings.STRICT_QUERY_PARAMS:
            self.check_query_params(request)

    def get_object(self) -> Any:
        """Return the result the URL names, its id decoded if it was escaped (see ``url``).

        The URL's own form stays in ``self.kwargs``, from which DRF writes the
        links of the detail's actions.
        """
        lookup = self.lookup_url_kwarg or self.lookup_field
        segment = self.kwargs[lookup]
        value = id_from_segment(segment)
        if "\x00" in value:  # no stored id holds one (PostgreSQL refuses it)
            raise Http404
        self.kwargs[lookup] = value
        try:
            return super().get_object()
        finally:
            self.kwargs[lookup] = segment

    def get_view_description(self, html: bool = False) -> str:
        """Return the docstring the browsable API shows, with Sphinx roles as plain code.

        Docstrings are written for Sphinx (``:mod:`results_api.rest.export```); the
        page shows ``results_api.rest.export`` as code instead of the raw role.
        """
        description = getattr(self, "description", None) or type(self).__doc__ or ""
        description = SPHINX_ROLE.sub(r"`\g<text>`", formatting.dedent(smart_str(description)))
        return formatting.markup_description(description) if html else description

    # An export streams a StreamingHttpResponse, and a 304 is Django's own
    # response: both are HttpResponseBase, not DRF's Response.
    def finalize_response(  # type: ignore[override]
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        """Render the response, with an ETag (or as a 304) when it is a successful read."""
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[arg-type]
        return conditional_response(request, response)


class TaskReadViewSet(ResultViewSet):
    """Read task results of the active model by ``task_id``: list, detail, stats, export."""

    lookup_field = "task_id"

    def get_model(self) -> type[AbstractTaskResult]:
        return get_task_result_model()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List tasks, with the ``updated_since`` of the next poll in ``Next-Updated-Since``."""
        started = timezone.now()  # before the query: what commits later is in the next poll
        response = super().list(request, *args, **kwargs)
        response[NEXT_UPDATED_SINCE] = format_since(started)
        self.add_search_excerpts(response)
        return response

    def first_rows(self, bound: Callable[[Any], Any] | None = None) -> FirstRows | None:
        """A search's bulk batches are read in the two steps of its pages (``SearchMatches``)."""
        matches = matches_of(self.request, self.get_model())
        if matches is None:
            return None
        if bound is not None:
            matches = dataclasses.replace(matches, base=bound(matches.base))
        return matches.first

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        self._page = page
        return page

    def add_search_excerpts(self, response: Response) -> None:
        """Give each listed task ``search_excerpt``: the masked line its search matched.

        Only when the request searches; the line is built from the row as the
        API shows it, so it holds no secret and no traceback.
        """
        text = self.request.query_params.get(SEARCH_PARAM)
        page = getattr(self, "_page", None)
        data = response.data
        if not text or page is None or not isinstance(data, dict) or "results" not in data:
            return
        query = SearchField(required=False).clean(text)
        if query is None:
            return
        model = self.get_model()
        for row, item in zip(page, data["results"], strict=False):
            item["search_excerpt"] = search_excerpt(model, row, item, query)

    @property
    def ordering(self) -> tuple[str, ...]:  # type: ignore[override]  # computed per request
        """The default ordering: by ``date_done`` with ``?updated_since=``, else newest first."""
        return default_ordering(getattr(self, "request", None))

    def get_serializer_class(self) -> Any:
        return self.serializer_class or get_task_serializer_class(self.get_model())

    def get_filterset_class(self) -> Any:
        return self.filterset_class or get_task_filterset_class(self.get_model())

    @property
    def ordering_fields(self) -> tuple[str, ...]:
        """The fields ``?ordering=`` accepts: every scalar field, extra fields included."""
        return task_ordering_fields(self.get_model())

    def list_query_param_names(self) -> set[str]:
        names = super().list_query_param_names()
        if self.action == "stats":
            names.update(get_stats_query_serializer_class(self.get_model())().fields)
        return names

    @action(detail=False, url_path="stats")
    def stats(self, request: Request) -> Response:
        """Count tasks and aggregate their runtimes per ``group_by`` fields and ``interval``."""
        model = self.get_model()
        query = get_stats_query_serializer_class(model)(data=request.query_params)
        query.is_valid(raise_exception=True)
        group_by = query.validated_data.get("group_by", [])
        interval = query.validated_data.get("interval")
        queryset = self.filter_queryset(self.get_queryset())
        if interval:
            # Only the filters the request names, as the filter backend built them.
            filterset_class = narrow_filterset(self.get_filterset_class(), request.query_params)
            filterset = filterset_class(request.query_params, queryset=queryset.none())
            queryset = bound_to_buckets(queryset, filterset, interval)
        rows = stats_from_rollup(queryset, group_by, interval)
        if rows is None:  # filters or groups the rollup does not hold
            rows = task_stats(queryset, group_by, interval)
        response = {"group_by": group_by, "interval": interval, "results": rows}
        return Response(get_stats_serializer_class(model)(response).data)

    @action(detail=False, url_path="metadata")
    def metadata(self, request: Request) -> Response:
        """Describe the fields, filters, orderings and actions this user may use."""
        return Response(describe_tasks(request, self))

    @action(detail=False, url_path="export", renderer_classes=[JSONRenderer, CSVRenderer])
    def export(self, request: Request) -> HttpResponseBase:
        """Stream every task the list's filters match as CSV, in the list's ordering."""
        queryset = self.filter_queryset(self.get_queryset())
        return export_response(queryset, cast(Serializer, self.get_serializer()))


class TaskResultViewSet(BulkActionsMixin, TaskActionsMixin, TaskReadViewSet):
    """Task results: the reads, revoke and retry (:mod:`results_api.rest.action_views`), and
    the bulk actions (:mod:`results_api.bulk.views`)."""


class GroupResultViewSet(ResultViewSet):
    """List and retrieve group results, looked up by ``group_id``."""

    lookup_field = "group_id"
    ordering_fields = ("group_id", "date_created", "date_done")

    def get_model(self) -> type[models.Model]:
        return get_group_result_model()

    def get_serializer_class(self) -> Any:
        return self.serializer_class or get_group_serializer_class(self.get_model())

    def get_filterset_class(self) -> Any:
        return self.filterset_class or get_group_filterset_class(self.get_model())

    def list_query_param_names(self) -> set[str]:
        if self.action == "tasks":
            return {*MembersQuery().fields, drf_settings.URL_FORMAT_OVERRIDE or "format"}
        return super().list_query_param_names()

    @action(detail=True, url_path="tasks")
    def tasks(self, request: Request, group_id: str | None = None) -> Response:
        """List the group's tasks in its order, a page at a time, and count them per state.

        A group of any size: its task ids are read from its row, never sent
        in a URL. Tasks the scope hook hides, or not stored yet, are listed
        in ``missing``.
        """
        group = self.get_object()
        query = MembersQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            ids = group_children(group)
        except NotShown as exc:
            raise ValidationError({"group_id": [str(exc)]}) from None
        model = get_task_result_model()
        tasks = apply_scope_hook(request, model._default_manager.using(router.db_for_read(model)))
        size = query.validated_data.get("page_size") or api_settings.PAGE_SIZE
        page = member_page(tasks, ids, after=query.validated_data["after"], size=size)
        serializer = get_task_serializer_class(model)(
            [page.rows[task_id] for task_id in page.ids if task_id in page.rows],
            many=True,
            context=self.get_serializer_context(),
        )
        return Response(
            {
                "count": page.total,
                "states": page.states,
                "next": self._page_link(request, page.next_after, size),
                "previous": self._page_link(request, max(page.after - size, 0), size)
                if page.after
                else None,
                "results": serializer.data,
                "missing": page.missing,
            }
        )

    @staticmethod
    def _page_link(request: Request, after: int | None, size: int) -> str | None:
        if after is None:
            return None
        return replace_query_param(
            replace_query_param(request.build_absolute_uri(), "after", after), "page_size", size
        )
