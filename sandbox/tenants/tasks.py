"""Demo tasks that behave like a SaaS back office: fast, slow, flaky, retried, grouped, chorded.

Every task takes ``tenant_id`` as a keyword argument; the extend-props
callback (:mod:`tenants.results`) stores it with each of the task's states.
"""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

from celery import chord, group, shared_task


class GatewayTimeout(Exception):
    """The (pretend) payment gateway did not answer in time."""


class UpstreamUnavailable(Exception):
    """The (pretend) CRM answered 503."""


@shared_task(name="emails.send_welcome")
def send_welcome_email(user_id: int, *, tenant_id: int) -> dict[str, Any]:
    """Fast success: hand a welcome e-mail to the mail server."""
    time.sleep(random.uniform(0.05, 0.3))
    return {"message_id": f"<{uuid.uuid4().hex[:16]}@mail.example>", "user_id": user_id}


@shared_task(name="reports.generate_invoice_pdf")
def generate_invoice_pdf(invoice_id: int, *, tenant_id: int) -> dict[str, Any]:
    """Slow: render an invoice, which takes a few seconds."""
    pages = random.randint(1, 6)
    time.sleep(random.uniform(2.0, 6.0))
    return {
        "invoice_id": invoice_id,
        "pages": pages,
        "bytes": pages * random.randint(18, 40) * 1024,
    }


@shared_task(name="crm.sync_contacts")
def sync_crm_contacts(since: str, *, tenant_id: int) -> dict[str, int]:
    """Fails sometimes: pull changed contacts from a CRM that is down one time in four."""
    time.sleep(random.uniform(0.2, 1.5))
    if random.random() < 0.25:
        raise UpstreamUnavailable(
            f"CRM API answered 503 Service Unavailable for changes since {since}"
        )
    return {"created": random.randint(0, 12), "updated": random.randint(0, 40)}


@shared_task(bind=True, name="billing.charge_card", max_retries=3)
def charge_card(self: Any, payment_id: int, amount_cents: int, *, tenant_id: int) -> dict[str, Any]:
    """Retries: charge a card through a gateway that times out half the time."""
    time.sleep(random.uniform(0.1, 0.6))
    if random.random() < 0.5:
        raise self.retry(exc=GatewayTimeout("payment gateway timed out after 30s"), countdown=2)
    return {
        "payment_id": payment_id,
        "charge_id": f"ch_{uuid.uuid4().hex[:20]}",
        "amount_cents": amount_cents,
        "attempts": self.request.retries + 1,
    }


@shared_task(name="images.resize")
def resize_image(image_id: int, width: int, *, tenant_id: int) -> dict[str, int]:
    """One member of a group: a thumbnail of one width."""
    time.sleep(random.uniform(0.1, 0.8))
    return {"image_id": image_id, "width": width, "bytes": width * random.randint(40, 90)}


@shared_task(name="imports.import_csv_chunk")
def import_csv_chunk(upload_id: int, chunk: int, *, tenant_id: int) -> int:
    """One header task of a chord: import one chunk of a CSV upload, return its row count."""
    time.sleep(random.uniform(0.2, 1.2))
    return random.randint(200, 1000)


@shared_task(name="imports.finalize_import")
def finalize_import(row_counts: list[int], upload_id: int, *, tenant_id: int) -> dict[str, int]:
    """The chord's body: runs once every chunk is imported."""
    return {"upload_id": upload_id, "chunks": len(row_counts), "rows": sum(row_counts)}


def resize_all(image_id: int, tenant_id: int) -> Any:
    """Send a group of resizes of one image, and save the group result."""
    widths = (160, 320, 640, 1280)
    result = group(resize_image.s(image_id, width, tenant_id=tenant_id) for width in widths)()
    result.save()
    return result


def import_upload(upload_id: int, tenant_id: int) -> Any:
    """Send a chord: import each chunk of an upload, then finalize it."""
    chunks = random.randint(2, 5)
    header = [import_csv_chunk.s(upload_id, chunk, tenant_id=tenant_id) for chunk in range(chunks)]
    result = chord(header)(finalize_import.s(upload_id, tenant_id=tenant_id))
    result.parent.save()  # the header's group result: the dashboard's groups list shows it
    return result
