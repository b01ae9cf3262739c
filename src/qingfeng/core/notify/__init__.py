"""Notifications beyond the in-app row: SMS and e-mail, sent after commit, each once.

`core.actions.notify` writes the in-app `Notification` and, for every channel named in
QF_NOTIFY_CHANNELS for which the recipient has an address, a `NotificationDelivery` row and a
Job — all in the caller's transaction, so a rolled-back change sends nothing. The job sends
through the channel's backend (`backends.backend_for`) and marks the row sent; a gateway that
fails leaves the error on the row and the next attempt is a new Job due later (the back-off
of `core.jobs`), until `jobs.MAX_ATTEMPTS`. A sent row is never sent again, whoever re-runs
its job; the address (encrypted) is cleared once the row is finished.

The text is what the caller gives: for staff the notification's title, which carries a
ticket or problem number and never the content of a report.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qingfeng.core import jobs
from qingfeng.core.models import Notification, NotificationDelivery
from qingfeng.core.notify.backends import (
    Backend,
    ConsoleBackend,
    DeliveryError,
    EmailBackend,
    HttpSmsBackend,
    LocmemBackend,
    SentMessage,
    backend_for,
)

if TYPE_CHECKING:
    from qingfeng.orgs.models import User

__all__ = [
    "Backend",
    "ConsoleBackend",
    "DeliveryError",
    "EmailBackend",
    "HttpSmsBackend",
    "LocmemBackend",
    "SentMessage",
    "address_of",
    "queue_for_notification",
    "queue_message",
]

DELIVER = "core.deliver_notification"
CHANNELS = ("sms", "email")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def usable_address(channel: str, address: str) -> str:
    """The address cleaned for its channel, or "" (an SMS goes to a mainland mobile only)."""
    address = re.sub(r"[\s-]", "", address or "") if channel == "sms" else (address or "").strip()
    if channel == "sms":
        address = address.removeprefix("+86")
        return address if _MOBILE.match(address) else ""
    return address if _EMAIL.match(address) else ""


def address_of(user: User, channel: str) -> str:
    """A staff user's address: the account's e-mail, or the phone of the person record the
    account belongs to."""
    if channel == "email":
        return usable_address(channel, user.email)
    person = getattr(user, "person", None)
    return usable_address(channel, person.phone if person is not None else "")


def queue_message(
    *, channel: str, address: str, text: str, key: str, notification: Notification | None = None
) -> NotificationDelivery | None:
    """Record one message to send after commit (inside the caller's transaction). Nothing
    when the channel is off or the address unusable; the same `key` twice is one message."""
    if channel not in settings.QF_NOTIFY_CHANNELS:
        return None
    address = usable_address(channel, address)
    if not address:
        return None
    delivery, created = NotificationDelivery.objects.get_or_create(
        key=key[:120],
        defaults={
            "notification": notification,
            "channel": channel,
            "address": address,
            "text": text[:500],
        },
    )
    if created:
        jobs.enqueue_job(DELIVER, {"delivery_id": delivery.pk, "attempt": 0})
    return delivery


def queue_for_notification(notification: Notification) -> None:
    """Every configured channel for an in-app notification's recipient; the text is the
    title (a number and a verb, never the content of a report)."""
    for channel in settings.QF_NOTIFY_CHANNELS:
        queue_message(
            channel=channel,
            address=address_of(notification.recipient, channel),
            text=notification.title,
            key=f"notification:{notification.pk}:{channel}",
            notification=notification,
        )


def deliver(payload: dict[str, Any]) -> None:
    """Send one delivery. A job for an attempt that is no longer the current one (re-run after
    a lost lease, say) does nothing, and neither does one for a finished row.

    The job keeps its own transactions: the gateway is called between two short ones, so a
    slow gateway holds no lock (on SQLite the write lock is the whole database's). A worker killed while sending leaves the
    row as it was, and the job's retry sends again: at least once, with `ref` for a gateway
    that drops repeats."""
    attempt = int(payload.get("attempt", 0))
    delivery = NotificationDelivery.objects.filter(pk=int(payload["delivery_id"])).first()
    if delivery is None or not _current(delivery, attempt):
        return
    try:
        backend_for(delivery.channel).send(delivery.address, delivery.text, ref=f"qf-{delivery.pk}")
    except DeliveryError as exc:
        error = str(exc)[:2000] or type(exc).__name__
    else:
        error = ""
    with transaction.atomic():
        delivery = NotificationDelivery.objects.select_for_update().get(pk=delivery.pk)
        if not _current(delivery, attempt):
            return
        delivery.attempts += 1
        delivery.last_error = error
        if not error:
            delivery.status = NotificationDelivery.Status.SENT
            delivery.sent_at = timezone.now()
        elif delivery.attempts >= jobs.MAX_ATTEMPTS:
            delivery.status = NotificationDelivery.Status.FAILED
        else:
            # The same back-off as a failed job: 2, 4, 8, 16 minutes.
            later = timezone.now() + timedelta(minutes=2**delivery.attempts)
            jobs.enqueue_job(
                DELIVER,
                {"delivery_id": delivery.pk, "attempt": delivery.attempts},
                not_before=later,
            )
        if delivery.status != NotificationDelivery.Status.PENDING:
            delivery.address = ""  # kept only as long as it may still be needed
        delivery.save()


def _current(delivery: NotificationDelivery, attempt: int) -> bool:
    return delivery.status == NotificationDelivery.Status.PENDING and delivery.attempts == attempt
