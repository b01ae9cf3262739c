"""Every change to a problem (`problems`), its offline publication (`publications`) and the
quarterly re-checks (`rechecks`). The public names are re-exported here, so callers write
`from qingfeng.ledger import actions` and `actions.check_verify(...)`."""

from __future__ import annotations

from qingfeng.ledger.actions.problems import (
    LIST_CODES,
    PreparedReimport,
    _next_serial,  # the Excel import numbers its rows from the same serial
    check_add_feedback,
    check_assign,
    check_create_problem,
    check_reimport_problem,
    check_report_progress,
    check_request_closure,
    check_set_disclosure,
    check_update_problem,
    check_verify,
    check_withdraw,
    do_accept,
    hold_registration_lock,
    light_for,
    prepare_reimport,
    publicly_fed_back,
    record_deadline_change,
    responsible_users,
    separation_of_duties,
    write_reimports,
)
from qingfeng.ledger.actions.publications import (
    check_decide_offline_publication,
    check_record_offline_publication,
)
from qingfeng.ledger.actions.rechecks import check_add_rechecks, check_decide_recheck, draw_rechecks

__all__ = [
    "LIST_CODES",
    "PreparedReimport",
    "_next_serial",
    "check_add_feedback",
    "check_add_rechecks",
    "check_assign",
    "check_create_problem",
    "check_decide_offline_publication",
    "check_decide_recheck",
    "check_record_offline_publication",
    "check_reimport_problem",
    "check_report_progress",
    "check_request_closure",
    "check_set_disclosure",
    "check_update_problem",
    "check_verify",
    "check_withdraw",
    "do_accept",
    "draw_rechecks",
    "hold_registration_lock",
    "light_for",
    "prepare_reimport",
    "publicly_fed_back",
    "record_deadline_change",
    "responsible_users",
    "separation_of_duties",
    "write_reimports",
]
