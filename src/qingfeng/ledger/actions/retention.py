"""Uploaded ledger workbooks expire (core/retention.py): a ledger workbook names people
and holds phone numbers in clear. QF_WORKBOOK_RETENTION_DAYS after upload the workbook and
its error workbook are deleted; the import row (who, when, counts, errors) stays. An import
still waiting for its re-import to be confirmed needs its file: it is closed as failed first
(its preview is older than the retention period), so it can no longer be confirmed."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.retention import Purged, RetentionRule
from qingfeng.ledger.models import LedgerImport

PENDING = (LedgerImport.Status.RECEIVED, LedgerImport.Status.PREVIEW)


def purge_ledger_workbooks(cutoff: datetime) -> Purged:
    purged = Purged()
    rows = (
        LedgerImport.objects.filter(created_at__lt=cutoff)
        .exclude(Q(file="") & Q(error_file=""))
        .order_by("pk")
    )
    for record in rows:
        purged.ids.append(record.pk)
        purged.add_file(record.file)
        purged.add_file(record.error_file)
    LedgerImport.objects.filter(pk__in=purged.ids, status__in=PENDING).update(
        status=LedgerImport.Status.FAILED, finished_at=timezone.now()
    )
    LedgerImport.objects.filter(pk__in=purged.ids).update(file="", error_file="")
    return purged


RULE = RetentionRule(
    key="ledger.import_workbooks",
    label=_("台账导入工作簿"),
    setting="QF_WORKBOOK_RETENTION_DAYS",
    purge=purge_ledger_workbooks,
)
