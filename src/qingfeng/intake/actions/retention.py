"""The reporter's identity on a finished ticket expires (core/retention.py).

QF_REPORTER_RETENTION_DAYS after a ticket's last change, once it is closed, declined or
merged, its reporter's name and phone (and the phone's blind index, which would still link
their reports) are cleared. The report itself, its history and its receipt stay. A ticket
whose ledger problem — its own, or its master's when merged — is still under rectification
keeps them until that problem is closed or withdrawn.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qingfeng.core.retention import Purged, RetentionRule
from qingfeng.intake import workflow
from qingfeng.intake.models import Ticket
from qingfeng.ledger.models import Problem

_PROBLEM_DONE = (Problem.Status.CLOSED, Problem.Status.WITHDRAWN)


def purge_reporter_identities(cutoff: datetime) -> Purged:
    ids = list(
        Ticket.objects.exclude(status__in=workflow.OPEN)
        .filter(updated_at__lt=cutoff)
        .exclude(reporter_name="", reporter_phone="", reporter_phone_index="")
        .filter(Q(problem__isnull=True) | Q(problem__status__in=_PROBLEM_DONE))
        .filter(
            Q(master__isnull=True)
            | Q(master__problem__isnull=True)
            | Q(master__problem__status__in=_PROBLEM_DONE)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # updated_at stays: the clearing is the system's, recorded in the audit trail.
    Ticket.objects.filter(pk__in=ids).update(
        reporter_name="", reporter_phone="", reporter_phone_index=""
    )
    return Purged(ids=ids)


RULE = RetentionRule(
    key="intake.reporter_identity",
    label=_("已结束工单的反映人身份信息"),
    setting="QF_REPORTER_RETENTION_DAYS",
    purge=purge_reporter_identities,
)
