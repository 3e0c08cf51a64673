"""Create the demo tenants, a staff login and one login per tenant (idempotent).

Tenant members are in the "tenant members" group, which may view task
results: the results API shows tracebacks only to users with that
permission (``RESULTS_API["TRACEBACK_PERMISSION"]``).
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

from tenants.demo import PASSWORD, STAFF_USERNAME, TENANTS
from tenants.models import Tenant


class Command(BaseCommand):
    """Create what the demo needs, keeping whatever already exists."""

    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        staff, created = user_model.objects.get_or_create(
            username=STAFF_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            staff.set_password(PASSWORD)
            staff.save()
        members, _ = Group.objects.get_or_create(name="tenant members")
        members.permissions.add(
            Permission.objects.get(content_type__app_label="tenants", codename="view_taskresult")
        )
        for demo in TENANTS:
            tenant, _ = Tenant.objects.get_or_create(slug=demo.slug, defaults={"name": demo.name})
            member, created = user_model.objects.get_or_create(username=demo.username)
            if created:
                member.set_password(PASSWORD)
                member.save()
            tenant.members.add(member)
            member.groups.add(members)
        self.stdout.write(
            f"tenants: {', '.join(demo.name for demo in TENANTS)}; "
            f"logins: {STAFF_USERNAME} (staff), {', '.join(d.username for d in TENANTS)}"
        )
