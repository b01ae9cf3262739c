"""Every change in learning: sessions and attendance, self-examination, pledges, cases.
Callers write `from qingfeng.learning import actions` and `actions.check_plan_session(...)`."""

from __future__ import annotations

from qingfeng.learning.actions.cases import (
    check_decide_case,
    check_edit_case,
    check_enter_case,
    check_propose_case,
    check_propose_case_from,
    check_submit_case,
    generalise,
    surviving_names,
)
from qingfeng.learning.actions.pledges import (
    check_issue_pledge,
    check_rate_fulfilment,
    check_report_fulfilment,
    check_sign_pledge,
    check_submit_public_rating,
    groups_of,
    pledges_in_force,
    quarter,
    resign_opens_on,
)
from qingfeng.learning.actions.selfexam import CHECKS, COMPARISONS, Found, check_submit_self_exam
from qingfeng.learning.actions.sessions import (
    check_ask_leave,
    check_cancel_session,
    check_complete_makeup,
    check_decide_leave,
    check_hold_session,
    check_mark_attendance,
    check_note_absence_reasons,
    check_plan_session,
    check_scan,
    roster,
    session_post_types,
)
from qingfeng.learning.actions.types import check_save_session_type, check_set_session_type_active

__all__ = [
    "CHECKS",
    "COMPARISONS",
    "Found",
    "check_ask_leave",
    "check_cancel_session",
    "check_complete_makeup",
    "check_decide_case",
    "check_decide_leave",
    "check_edit_case",
    "check_enter_case",
    "check_hold_session",
    "check_issue_pledge",
    "check_mark_attendance",
    "check_note_absence_reasons",
    "check_plan_session",
    "check_propose_case",
    "check_propose_case_from",
    "check_rate_fulfilment",
    "check_report_fulfilment",
    "check_save_session_type",
    "check_scan",
    "check_set_session_type_active",
    "check_sign_pledge",
    "check_submit_case",
    "check_submit_public_rating",
    "check_submit_self_exam",
    "generalise",
    "groups_of",
    "pledges_in_force",
    "quarter",
    "resign_opens_on",
    "roster",
    "session_post_types",
    "surviving_names",
]
