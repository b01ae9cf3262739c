"""Uploaded roster workbooks expire (core/retention.py): they hold names and phone numbers
in clear. QF_WORKBOOK_RETENTION_DAYS after upload the workbook and its error workbook are
deleted; the import row (who, when, counts, the error summary) stays. An import never
read (its job lost) is closed as failed, since it can no longer be read."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.retention import Purged, RetentionRule
from qingfeng.orgs.models import RosterImport


def purge_roster_workbooks(cutoff: datetime) -> Purged:
    purged = Purged()
    rows = (
        RosterImport.objects.filter(created_at__lt=cutoff)
        .exclude(Q(file="") & Q(error_file=""))
        .order_by("pk")
    )
    for record in rows:
        purged.ids.append(record.pk)
        purged.add_file(record.file)
        purged.add_file(record.error_file)
    RosterImport.objects.filter(pk__in=purged.ids, status=RosterImport.Status.RECEIVED).update(
        status=RosterImport.Status.FAILED, finished_at=timezone.now()
    )
    RosterImport.objects.filter(pk__in=purged.ids).update(file="", error_file="")
    return purged


RULE = RetentionRule(
    key="orgs.roster_workbooks",
    label=_("名册导入工作簿"),
    setting="QF_WORKBOOK_RETENTION_DAYS",
    purge=purge_roster_workbooks,
)
