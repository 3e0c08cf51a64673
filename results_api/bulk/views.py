"""``tasks/bulk/<action>/``: preview (GET) and confirm (POST) a bulk action over a filter.

Mixed into the task viewset, so the rows are those the task list would
show the same user for the same query string: the scope hook, every filter
and ``search``. Off (a 404) unless ``RESULTS_API["BULK_ACTIONS"]`` lists
the action; guarded by the read permissions, the single action's and the
bulk action's own (:mod:`results_api.bulk.permissions`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from kombu.exceptions import OperationalError
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from ..audit import CHANGE, DELETION, record_action
from ..conf import api_settings
from ..control import BrokerUnavailable
from .models import BulkAction
from .permissions import BulkActionPermission
from .plan import ACTIONS, FirstRows, preview, within
from .run import RunBusy, acquire, release, run_bulk_action
from .selection import BadToken, Selection, canonical_filters, read_token, run_key, token_for

if TYPE_CHECKING:
    from rest_framework.viewsets import GenericViewSet

    _ViewSetBase = GenericViewSet
else:
    _ViewSetBase = object

__all__ = [
    "BulkActionsMixin",
    "BulkConfirmSerializer",
    "BulkOutcomeSerializer",
    "BulkPreviewSerializer",
]

REASONS = {
    "unfinished": gettext_lazy("not finished yet (only SUCCESS, FAILURE or REVOKED is retried)"),
    "no_task_name": gettext_lazy("its task name is not stored"),
    "arguments_unusable": gettext_lazy(
        "its arguments are not stored, not JSON, or cut short by Celery"
    ),
    "finished": gettext_lazy("already finished"),
}


class SkippedSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="A code: " + ", ".join(REASONS) + ".")
    description = serializers.CharField()
    count = serializers.IntegerField()


class BulkPreviewSerializer(serializers.Serializer):
    """What a bulk action would do, and the token that confirms it."""

    action = serializers.ChoiceField(choices=ACTIONS)
    matched = serializers.IntegerField(help_text="Rows the filters select, in the caller's scope.")
    acting_on = serializers.IntegerField(help_text="Rows the action would act on.")
    skipped = SkippedSerializer(many=True)
    limit = serializers.IntegerField(help_text="BULK_MAX_ROWS: the most rows one action selects.")
    token = serializers.CharField(help_text="POST it back with the same query string to act.")
    expires_in = serializers.IntegerField(help_text="Seconds the token stays valid.")


class BulkConfirmSerializer(serializers.Serializer):
    """The body of a confirmation."""

    token = serializers.CharField(help_text="The token of the preview (GET, same query string).")
    terminate = serializers.BooleanField(
        default=False, help_text="revoke only: also terminate tasks a worker is running."
    )


class BulkOutcomeSerializer(serializers.Serializer):
    """What a bulk action did."""

    run = serializers.IntegerField(help_text="The id of the run (its BulkAction record).")
    action = serializers.ChoiceField(choices=ACTIONS)
    state = serializers.CharField(help_text='"done", or "running" if another request holds it.')
    matched = serializers.IntegerField(help_text="Rows the preview counted.")
    acted = serializers.IntegerField(help_text="Rows acted on (deleted, revoked, retried).")
    skipped = SkippedSerializer(many=True)


class GrownSelection(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "selection_grew"


class RunInProgress(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy(
        "This bulk action is being carried out by another request; try again in a minute."
    )
    default_code = "run_in_progress"


def _skipped(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"reason": reason, "description": str(REASONS.get(reason, reason)), "count": count}
        for reason, count in sorted(counts.items())
        if count
    ]


class BulkActionsMixin(_ViewSetBase):
    """Bulk retry, revoke and delete for the task viewset (``tasks/bulk/<action>/``)."""

    def get_permissions(self) -> Sequence[BasePermission]:
        permissions = cast(Sequence[BasePermission], super().get_permissions())
        if self.action == "bulk":
            return [*permissions, BulkActionPermission()]
        return permissions

    def get_serializer_class(self) -> Any:
        if self.action == "bulk":
            return BulkConfirmSerializer
        return super().get_serializer_class()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Answer 404 for a bulk action the project has not listed, then check as usual."""
        if self.action == "bulk" and kwargs.get("bulk_action") not in api_settings.BULK_ACTIONS:
            raise NotFound()
        super().initial(request, *args, **kwargs)

    def first_rows(self, bound: Callable[[Any], Any] | None = None) -> FirstRows | None:
        """How to read batches of the filtered rows (narrowed by ``bound``) where the filters
        need a way of their own; None: read the filtered queryset. A subclass's hook."""
        return None

    @action(detail=False, methods=["get", "post"], url_path=r"bulk/(?P<bulk_action>[a-z]+)")
    def bulk(self, request: Request, bulk_action: str) -> Response:
        """Preview (GET) or carry out (POST, with the preview's token) a bulk action."""
        queryset = self.filter_queryset(self.get_queryset())
        filters = canonical_filters(request.query_params)
        if request.method == "GET":
            return self._preview(request, bulk_action, queryset, filters)
        return self._confirm(request, bulk_action, queryset, filters)

    def _preview(self, request: Request, name: str, queryset: Any, filters: str) -> Response:
        limit = api_settings.BULK_MAX_ROWS
        matched = queryset.count()
        if matched > limit:
            raise ValidationError(
                {
                    "detail": _(
                        "The filters select %(matched)s tasks; a bulk action takes at most "
                        "%(limit)s (BULK_MAX_ROWS). Narrow the filters."
                    )
                    % {"matched": matched, "limit": limit}
                }
            )
        found = preview(name, queryset, api_settings.BULK_BATCH_SIZE, self.first_rows())
        selection = Selection(request.user.pk, name, filters, found.matched, found.last_pk)
        token = token_for(selection)
        answer = {
            "action": name,
            "matched": found.matched,
            "acting_on": found.acting_on,
            "skipped": _skipped(found.skipped),
            "limit": limit,
            "token": token,
            "expires_in": api_settings.BULK_TOKEN_MAX_AGE,
        }
        return Response(BulkPreviewSerializer(answer).data)

    def _confirm(self, request: Request, name: str, queryset: Any, filters: str) -> Response:
        body = BulkConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token = body.validated_data["token"]
        key = run_key(token)
        # A token already confirmed does not expire: its run resumes (or answers) whenever
        # confirmed again, so that a fresh preview never retries its rows a second time.
        run = BulkAction.objects.filter(key=key).first()
        try:
            selection = read_token(token, request.user.pk, name, filters, expires=run is None)
        except BadToken as exc:
            raise ValidationError({"token": [str(exc)]}) from None
        model = cast(Any, self).get_model()
        if run is None:
            matched = queryset.count()
            if matched > selection.matched:
                raise GrownSelection(
                    _(
                        "The filters now select %(matched)s tasks; the preview counted "
                        "%(previewed)s. Preview again before acting."
                    )
                    % {"matched": matched, "previewed": selection.matched}
                )
            run, _created = BulkAction.objects.get_or_create(
                key=key,
                defaults={
                    "action": name,
                    "model": model._meta.label_lower,
                    "user": request.user if request.user.pk else None,
                    "filters": filters,
                    "matched": selection.matched,
                },
            )
        if run.state != BulkAction.DONE:
            try:
                acquire(run)
            except RunBusy:
                raise RunInProgress() from None
            options = {"terminate": body.validated_data["terminate"]} if name == "revoke" else {}
            try:
                run = run_bulk_action(
                    run,
                    within(queryset, selection.last_pk),
                    api_settings.BULK_BATCH_SIZE,
                    options,
                    first=self.first_rows(lambda rows: within(rows, selection.last_pk)),
                )
            except OperationalError as exc:
                release(run)  # what was done stays done; confirming again goes on from there
                raise BrokerUnavailable(
                    _("The message broker could not be reached: %s") % exc
                ) from exc
            record_action(
                request.user,
                model,
                _audit_message(run),
                flag=DELETION if name == "delete" else CHANGE,
            )
        answer = {
            "run": run.pk,
            "action": run.action,
            "state": run.state,
            "matched": run.matched,
            "acted": run.acted,
            "skipped": _skipped(run.skipped),
        }
        return Response(BulkOutcomeSerializer(answer).data, status=status.HTTP_200_OK)


def _audit_message(run: BulkAction) -> str:
    skipped = ", ".join(
        f"{count} {reason}" for reason, count in sorted(run.skipped.items()) if count
    )
    return (
        f"Bulk {run.action} (run {run.pk}) through the results API of the tasks matching "
        f"[{run.filters or 'no filter'}]: {run.acted} of {run.matched} acted on"
        f"{'; skipped: ' + skipped if skipped else ''}; {run.state}."
    )
