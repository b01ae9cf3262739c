"""Per-request facts that the audit trail records: request id, actor, source address.

Held in context variables so actions need not thread the request through every call.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

# Session keys the sign-in writes and every gate (pages, admin, API) reads.
SESSION_STARTED = "qf_started_at"
SESSION_VERIFIED = "qf_second_factor"  # the second factor was given (or is not required)
SESSION_SEEN = "qf_seen_at"  # the last request, to the minute: the idle timeout's clock


@dataclass(frozen=True)
class RequestInfo:
    request_id: str = ""
    source_ip: str = ""  # only for staff; never for anonymous public submissions


current_request: contextvars.ContextVar[RequestInfo] = contextvars.ContextVar(
    "qingfeng_request",
    default=RequestInfo(),  # noqa: B039 - frozen, immutable
)
