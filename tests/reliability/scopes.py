"""The SCOPE_QUERYSET hook of the tenant isolation tests."""


def own_tenant_only(request, queryset):
    """Limit a user to the tenant named like them; a superuser sees everything.

    Task results are scoped by their ``tenant``; group results, which have no
    tenant, by a ``<tenant name>:`` prefix of their id.
    """
    user = request.user
    if user.is_superuser:
        return queryset
    if hasattr(queryset.model, "group_id"):
        return queryset.filter(group_id__startswith=f"{user.username}:")
    return queryset.filter(tenant__name=user.username)
