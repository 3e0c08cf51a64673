"""SCOPE_QUERYSET hooks used by the tests."""


def own_ids_only(request, queryset):
    """Keep the rows whose task or group id starts with the user's name."""
    id_field = "group_id" if hasattr(queryset.model, "group_id") else "task_id"
    return queryset.filter(**{f"{id_field}__startswith": f"{request.user.username}-"})


def own_tenant_only(request, queryset):
    """Keep the task rows of the tenant named like the user; no group rows at all."""
    if hasattr(queryset.model, "group_id"):
        return queryset.none()
    return queryset.filter(tenant__name=request.user.username)


def not_a_queryset(request, queryset):
    return list(queryset)


def tenant_by_key(request, queryset):
    """Keep the task rows of the tenant named like the user, by key (a subquery); staff: all."""
    from tests.testapp.models import Tenant

    if request.user.is_staff:
        return queryset
    own = Tenant.objects.filter(name=request.user.username).values("pk")
    return queryset.filter(tenant__in=own)
