"""Uploads in the campaign (core/attachments.py): a unit's implementation plan (实施方案) and the
evidence of a task or a weekly report, only where nothing in the system shows the work.

Checked by content (the name's extension must agree with the first bytes), scrubbed of what the
file says about its author and where a photo was taken, kept under a generated name, and
served only through the scoped selector. A file is given by the unit's own admin, while the
thing it belongs to is open: a plan not yet approved, a report before its lock."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.campaigns.actions import locked
from qingfeng.campaigns.models import Assignment, CampaignFile, Rule, UnitPlan, WeeklyReport
from qingfeng.campaigns.permissions import acts_for
from qingfeng.core.attachments import MB, AttachmentRules
from qingfeng.core.audit import record_audit
from qingfeng.lib import filetypes as ft
from qingfeng.lib import scrub
from qingfeng.orgs.models import User

CAMPAIGN_FILE = AttachmentRules(
    types=(ft.PDF, ft.DOCX, ft.XLSX, ft.JPEG, ft.PNG),
    max_bytes=20 * MB,
    unsupported=gettext_lazy("不支持的文件类型：%(name)s（可上传 PDF、DOCX、XLSX、JPG、PNG）"),
)
OFFICE = {ft.DOCX.content_type, ft.XLSX.content_type}
MAX_FILES = 10  # per plan, task or report: evidence, not an archive

Target = UnitPlan | Assignment | WeeklyReport
KIND = {
    UnitPlan: CampaignFile.Kind.PLAN,
    Assignment: CampaignFile.Kind.ASSIGNMENT,
    WeeklyReport: CampaignFile.Kind.REPORT,
    Rule: CampaignFile.Kind.RULE,
}


def may_attach(user: User, target: Target) -> bool:
    """The unit's own admin, while the target is open."""
    if not acts_for(user, target.unit):
        return False
    if isinstance(target, UnitPlan):
        return target.status != UnitPlan.Status.APPROVED
    if isinstance(target, WeeklyReport):
        return not locked(target, timezone.localdate())
    return True


def attach(target: Target | Rule, *, actor: User, upload: UploadedFile) -> CampaignFile:
    """The checked, scrubbed file saved for `target`, inside the caller's transaction."""
    content_type = CAMPAIGN_FILE.check(upload)
    if content_type in OFFICE:  # the author and company of a Word or Excel file go too
        upload.seek(0)
        upload = SimpleUploadedFile(upload.name or "", scrub.scrub_office(upload.read()))
    kind = str(KIND[type(target)])
    row = CampaignFile(unit=target.unit, kind=kind, uploaded_by=actor)
    setattr(row, kind, target)  # the foreign key named after the kind
    CAMPAIGN_FILE.attach(row, upload, content_type=content_type)
    row.save()
    return row


@transaction.atomic
def check_attach_file(target: Target, *, actor: User, upload: UploadedFile) -> CampaignFile:
    if not acts_for(actor, target.unit):
        raise ValidationError(_("只有本单位管理员可以上传材料"))
    if not may_attach(actor, target):
        raise ValidationError(_("已批准的实施方案或已锁定的周报不能再上传材料"))
    if target.files.count() >= MAX_FILES:
        raise ValidationError(_("每项最多上传 %(n)d 个文件") % {"n": MAX_FILES})
    row = attach(target, actor=actor, upload=upload)
    record_audit(
        actor=actor,
        action="campaigns.file.upload",
        obj=row,
        unit=target.unit,
        after={
            "kind": row.kind,
            "target": target.pk,
            "name": row.original_name,
            "sha256": row.sha256,
        },
    )
    return row
