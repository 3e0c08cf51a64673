"""Send a steady trickle of demo tasks for every tenant until stopped (SIGINT or SIGTERM)."""

from __future__ import annotations

import datetime
import random
import signal
import threading
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from tenants import tasks
from tenants.demo import TENANTS
from tenants.models import Tenant

# (weight, what it sends): fast and slow tasks most, a flaky sync, a retried
# charge, now and then a group and a chord.
KINDS: tuple[tuple[int, str], ...] = (
    (6, "welcome"),
    (2, "invoice"),
    (3, "crm"),
    (3, "charge"),
    (1, "resize"),
    (1, "import"),
)


def send(kind: str, tenant_id: int) -> str:
    """Send one demo task (or group, or chord) of ``kind`` for a tenant; return its id."""
    number = random.randint(1000, 99999)
    senders: dict[str, Callable[[], Any]] = {
        "welcome": lambda: tasks.send_welcome_email.delay(number, tenant_id=tenant_id),
        "invoice": lambda: tasks.generate_invoice_pdf.delay(number, tenant_id=tenant_id),
        "crm": lambda: tasks.sync_crm_contacts.delay(
            (timezone.now() - datetime.timedelta(minutes=15)).isoformat(timespec="seconds"),
            tenant_id=tenant_id,
        ),
        "charge": lambda: tasks.charge_card.delay(
            number, random.choice((900, 2500, 4900, 19900)), tenant_id=tenant_id
        ),
        "resize": lambda: tasks.resize_all(number, tenant_id),
        "import": lambda: tasks.import_upload(number, tenant_id),
    }
    return senders[kind]().id


class Command(BaseCommand):
    """Pick a tenant and a kind of task at random, send it, wait, repeat."""

    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.5, help="mean seconds between two sends (1.5)"
        )
        parser.add_argument(
            "--burst",
            type=int,
            default=8,
            help="tasks sent at once on start (8), so the page fills",
        )
        parser.add_argument("--count", type=int, default=0, help="stop after this many (0: never)")

    def handle(self, *args: Any, interval: float, burst: int, count: int, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        tenants = list(Tenant.objects.values_list("pk", "slug"))
        if not tenants:
            self.stderr.write("no tenants: run `manage.py sandbox_setup` first")
            return
        weights = {demo.slug: demo.weight for demo in TENANTS}
        tenant_weights = [weights.get(slug, 1) for _, slug in tenants]
        sent = 0
        while not stop.is_set() and (not count or sent < count):
            (tenant_id, slug), *_ = random.choices(tenants, weights=tenant_weights)
            kind, *_ = random.choices([k for _, k in KINDS], weights=[w for w, _ in KINDS])
            try:
                task_id = send(kind, tenant_id)
            except Exception as exc:  # a broker hiccup must not end the trickle
                self.stderr.write(f"could not send {kind} for {slug}: {exc!r}")
                stop.wait(2.0)
                continue
            sent += 1
            self.stdout.write(f"sent {kind:<8} tenant={slug:<8} {task_id}")
            self.stdout.flush()
            if sent > burst:
                stop.wait(random.uniform(0.3, 1.7) * interval)
        self.stdout.write(f"stopped after {sent} sends")
