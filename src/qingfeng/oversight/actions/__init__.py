"""Every change in oversight: groups and liaison (`groups`), draws (`draws`), sealed visits
(`visits`), rounds (`rounds`), their rectification report (`reports`) and observers
(`observers`). Callers write `from qingfeng.oversight import actions`."""

from __future__ import annotations

from qingfeng.oversight.actions.draws import (
    certificate,
    check_commit_draw,
    check_enter_value,
    check_publish_draw,
)
from qingfeng.oversight.actions.groups import (
    check_attach_school,
    check_create_group,
    check_declare_conflict,
    check_log_liaison,
    do_end_posting,
)
from qingfeng.oversight.actions.observers import (
    check_appoint_observer,
    check_invite_observer,
    check_raise_suggestion,
    do_end_observer,
    do_tell_answered_suggestions,
)
from qingfeng.oversight.actions.reports import do_issue_rectification_report
from qingfeng.oversight.actions.rounds import (
    check_add_reception_member,
    check_add_round_finding,
    check_advance_round,
    check_answer_request,
    check_commit_review_draw,
    check_create_round,
    check_link_draw,
    check_request_documents,
    check_schedule_interview,
    check_self_check,
    check_set_team,
    check_sign_declaration,
    check_start_review,
)
from qingfeng.oversight.actions.visits import (
    check_add_finding,
    check_finish_visit,
    check_plan_visit,
    check_save_record,
    check_start_visit,
    do_cancel_visit,
    plan_visits_from_draw,
    reveal_target,
)

__all__ = [
    "certificate",
    "check_add_finding",
    "check_add_reception_member",
    "check_add_round_finding",
    "check_advance_round",
    "check_answer_request",
    "check_appoint_observer",
    "check_attach_school",
    "check_commit_draw",
    "check_commit_review_draw",
    "check_create_group",
    "check_create_round",
    "check_declare_conflict",
    "check_enter_value",
    "check_finish_visit",
    "check_invite_observer",
    "check_link_draw",
    "check_log_liaison",
    "check_plan_visit",
    "check_publish_draw",
    "check_raise_suggestion",
    "check_request_documents",
    "check_save_record",
    "check_schedule_interview",
    "check_self_check",
    "check_set_team",
    "check_sign_declaration",
    "check_start_review",
    "check_start_visit",
    "do_cancel_visit",
    "do_end_observer",
    "do_end_posting",
    "do_issue_rectification_report",
    "do_tell_answered_suggestions",
    "plan_visits_from_draw",
    "reveal_target",
]
