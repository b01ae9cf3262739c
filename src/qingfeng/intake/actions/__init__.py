"""Every change to a ticket: what the reporter (or an operator for them) does in `submit`,
what staff do in `handling`. The public names are re-exported here, so callers write
`from qingfeng.intake import actions` and `actions.check_rate(...)`."""

from __future__ import annotations

from qingfeng.intake.actions.handling import (
    ENTRY_CHANNELS,
    check_add_note,
    check_assign,
    check_close,
    check_create_problem_from_ticket,
    check_decline,
    check_enter_call,
    check_merge,
    check_reply,
    check_return,
    check_reveal_identity,
    do_accept,
    do_start,
    masked_content,
    masked_text,
)
from qingfeng.intake.actions.posters import do_record_poster_print
from qingfeng.intake.actions.submit import (
    COMMENT_MAX,
    MESSAGE_MAX,
    NO_MORE_MESSAGES,
    RATING_LABELS,
    after_followup,
    after_submit,
    check_add_reporter_message,
    check_rate,
    check_submit_ticket,
    intake_recipients,
    normalise_phone,
    submission_errors,
)

__all__ = [
    "COMMENT_MAX",
    "ENTRY_CHANNELS",
    "MESSAGE_MAX",
    "NO_MORE_MESSAGES",
    "RATING_LABELS",
    "after_followup",
    "after_submit",
    "check_add_note",
    "check_add_reporter_message",
    "check_assign",
    "check_close",
    "check_create_problem_from_ticket",
    "check_decline",
    "check_enter_call",
    "check_merge",
    "check_rate",
    "check_reply",
    "check_return",
    "check_reveal_identity",
    "check_submit_ticket",
    "do_accept",
    "do_record_poster_print",
    "do_start",
    "intake_recipients",
    "masked_content",
    "masked_text",
    "normalise_phone",
    "submission_errors",
]
