"""整改报告 as issued: the round's rectification report as a .docx, its download audited."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from qingfeng.core.audit import record_audit
from qingfeng.lib import gbt9704
from qingfeng.orgs.models import Unit, User
from qingfeng.oversight.models import Round, RoundFinding
from qingfeng.oversight.report import rectification_report


@transaction.atomic
def do_issue_rectification_report(
    round_: Round, *, actor: User, findings: Sequence[RoundFinding], unit: Unit | None
) -> bytes:
    """The report of `findings` (what the viewer may see, chosen by the caller's selector),
    written in the office layout; who took it, for which unit, and of how many findings, is in
    the audit trail."""
    data = gbt9704.write(rectification_report(round_, findings, unit=unit))
    record_audit(
        actor=actor,
        action="oversight.round.report",
        obj=round_,
        unit=unit,
        after={"findings": len(findings), "problems": sum(1 for f in findings if f.problem_id)},
    )
    return data
