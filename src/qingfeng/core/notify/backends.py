"""Where an SMS or an e-mail leaves the process: one small class per kind of gateway.

Each backend has one method, `send(address, text, *, ref="")`, which returns when the message
was handed over and raises `DeliveryError` when it was not (the delivery is then retried).
`ref` names the delivery, so a gateway that de-duplicates can drop a second copy.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from qingfeng.lib.masking import mask_phone

log = logging.getLogger("qingfeng.notify")


class DeliveryError(Exception):
    """The gateway did not take the message; the text says why (kept on the delivery row)."""


class Backend(Protocol):
    def send(self, address: str, text: str, *, ref: str = "") -> None: ...


def _masked(address: str) -> str:
    if "@" in address:
        user, _at, domain = address.partition("@")
        return f"{user[:1]}***@{domain}"
    return mask_phone(address)


class ConsoleBackend:
    """The default: one log line per message (the address masked), nothing sent."""

    def __init__(self, channel: str = "sms") -> None:
        self.channel = channel

    def send(self, address: str, text: str, *, ref: str = "") -> None:
        log.info("%s to %s (%s): %s", self.channel, _masked(address), ref or "-", text)


@dataclass(frozen=True)
class SentMessage:
    channel: str
    address: str
    text: str
    ref: str


class LocmemBackend:
    """Keeps what it is given in `LocmemBackend.outbox` (like Django's locmem e-mail backend):
    for tests and for trying the set-up without a gateway."""

    outbox: ClassVar[list[SentMessage]] = []

    def __init__(self, channel: str = "sms") -> None:
        self.channel = channel

    def send(self, address: str, text: str, *, ref: str = "") -> None:
        LocmemBackend.outbox.append(SentMessage(self.channel, address, text, ref))


class HttpSmsBackend:
    """An intranet SMS gateway that takes JSON: POST {"to", "text", "id"} to
    QF_SMS_GATEWAY_URL with `Authorization: Bearer QF_SMS_GATEWAY_TOKEN`; any 2xx is taken as
    accepted."""

    def send(self, address: str, text: str, *, ref: str = "") -> None:
        body = json.dumps({"to": address, "text": text, "id": ref}, ensure_ascii=False)
        request = urllib.request.Request(  # noqa: S310 - the URL is checked to be http(s) in settings
            settings.QF_SMS_GATEWAY_URL,
            data=body.encode("utf-8"),
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        if settings.QF_SMS_GATEWAY_TOKEN:
            request.add_header("Authorization", f"Bearer {settings.QF_SMS_GATEWAY_TOKEN}")
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.QF_SMS_GATEWAY_TIMEOUT
            ) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"SMS gateway answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"SMS gateway unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise DeliveryError(f"SMS gateway answered HTTP {status}")


class EmailBackend:
    """E-mail through Django's mail framework (EMAIL_BACKEND, EMAIL_HOST, …): the text is
    both the subject and the body."""

    def send(self, address: str, text: str, *, ref: str = "") -> None:
        subject = text.splitlines()[0][:150] if text else ""
        try:
            send_mail(subject, text, None, [address], fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"e-mail not accepted: {exc}") from exc


def backend_for(channel: str) -> Backend:
    """The configured backend of a channel: e-mail always goes through Django's framework,
    SMS through QF_SMS_BACKEND (console, locmem, http, or a dotted path to a class)."""
    if channel == "email":
        return EmailBackend()
    name = settings.QF_SMS_BACKEND
    if name == "console":
        return ConsoleBackend(channel)
    if name == "locmem":
        return LocmemBackend(channel)
    if name == "http":
        return HttpSmsBackend()
    backend: Backend = import_string(name)()
    return backend
