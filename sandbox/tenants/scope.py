"""The scope hook (``CELERY_RESULTS_SCOPE_QUERYSET``): staff see every tenant, members their own.

The status views and the results API both go through it.
"""

from django.db.models import QuerySet
from django.http import HttpRequest

from django_celery_results.models.abstract import AbstractTaskResult

from .models import Tenant


def visible_tenants(user: object) -> QuerySet[Tenant]:
    """Return the tenants whose results ``user`` may see."""
    if getattr(user, "is_staff", False):
        return Tenant.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Tenant.objects.none()
    return Tenant.objects.filter(members=user)


def scope_to_tenant(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the rows of ``queryset`` that the request's user may see.

    Group results carry no tenant, so only staff see them.
    """
    if request.user.is_staff:
        return queryset
    if not issubclass(queryset.model, AbstractTaskResult):
        return queryset.none()
    return queryset.filter(tenant__in=visible_tenants(request.user).values("pk"))
