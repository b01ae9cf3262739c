"""Every change in the evaluation: rounds, ratings and codes, scores, remedial rounds.
Callers write `from qingfeng.evaluation import actions` and `actions.check_open_round(...)`."""

from __future__ import annotations

from qingfeng.evaluation.actions.ratings import (
    RULES,
    SameCode,
    Signals,
    check_comment_to_ticket,
    check_draw_codes,
    check_review_response,
    check_submit_rating,
    code_hash,
    normalise_code,
    submit_rating,
    target_for,
)
from qingfeng.evaluation.actions.remedial import check_decide_reevaluation, open_remedials
from qingfeng.evaluation.actions.rounds import (
    check_close_round,
    check_create_round,
    check_open_round,
    check_publish_round,
    check_set_scheme,
    covered_units,
    quarter_of,
)
from qingfeng.evaluation.actions.scores import (
    check_confirm_scores,
    check_enter_discipline,
    check_enter_third_party,
    check_import_scores,
    check_return_scores,
    do_record_evidence_download,
)

__all__ = [
    "RULES",
    "SameCode",
    "Signals",
    "check_close_round",
    "check_comment_to_ticket",
    "check_confirm_scores",
    "check_create_round",
    "check_decide_reevaluation",
    "check_draw_codes",
    "check_enter_discipline",
    "check_enter_third_party",
    "check_import_scores",
    "check_open_round",
    "check_publish_round",
    "check_return_scores",
    "check_review_response",
    "check_set_scheme",
    "check_submit_rating",
    "code_hash",
    "covered_units",
    "do_record_evidence_download",
    "normalise_code",
    "open_remedials",
    "quarter_of",
    "submit_rating",
    "target_for",
]
