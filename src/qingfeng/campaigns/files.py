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

from qingfeng.campaigns.actions import check_submit_plan, locked
from qingfeng.campaigns.models import (
    Assignment,
    Campaign,
    CampaignFile,
    Rule,
    Task,
    UnitPlan,
    WeeklyReport,
)
from qingfeng.campaigns.permissions import acts_for, records_for
from qingfeng.core.attachments import MB, AttachmentRules
from qingfeng.core.audit import record_audit
from qingfeng.lib import filetypes as ft
from qingfeng.lib import scrub
from qingfeng.orgs.models import Unit, User

CAMPAIGN_FILE = AttachmentRules(
    types=(ft.PDF, ft.DOCX, ft.XLSX, ft.JPEG, ft.PNG),
    max_bytes=20 * MB,
    unsupported=gettext_lazy("不支持的文件类型：%(name)s（可上传 PDF、DOCX、XLSX、JPG、PNG）"),
)
# An implementation plan is a document: the campaign's (专项工作实施方案) and a unit's own
# (具体实施方案) are a Word file or a PDF, nothing else.
PLAN_FILE = AttachmentRules(
    types=(ft.DOCX, ft.PDF),
    max_bytes=20 * MB,
    unsupported=gettext_lazy("实施方案须为 Word（.docx）或 PDF 文件，不能上传 %(name)s"),
    mismatch=gettext_lazy("文件 %(name)s 的内容不是 Word（.docx）或 PDF 文档"),
)
OFFICE = {ft.DOCX.content_type, ft.XLSX.content_type}
MAX_FILES = 10  # per plan, task or report: evidence, not an archive

Target = Campaign | UnitPlan | Assignment | WeeklyReport
KIND = {
    Campaign: CampaignFile.Kind.CAMPAIGN,
    UnitPlan: CampaignFile.Kind.PLAN,
    Assignment: CampaignFile.Kind.ASSIGNMENT,
    WeeklyReport: CampaignFile.Kind.REPORT,
    Rule: CampaignFile.Kind.RULE,
}


def owner_of(target: Target | Rule) -> Unit:
    return target.owner if isinstance(target, Campaign) else target.unit


def rules_for(target: Target | Rule) -> AttachmentRules:
    return PLAN_FILE if isinstance(target, Campaign | UnitPlan) else CAMPAIGN_FILE


def may_attach(user: User, target: Target) -> bool:
    """The unit's own admin, while the target is open; the campaign's plan, whoever keeps the
    owner's records (its admin, the bureau admin, the campaign office)."""
    if isinstance(target, Campaign):
        return records_for(user, target.owner)
    if not acts_for(user, target.unit):
        return False
    if isinstance(target, UnitPlan):
        return target.status != UnitPlan.Status.APPROVED
    if isinstance(target, WeeklyReport):
        return not locked(target, timezone.localdate())
    return True


def attach(target: Target | Rule, *, actor: User, upload: UploadedFile) -> CampaignFile:
    """The checked, scrubbed file saved for `target`, inside the caller's transaction."""
    accepted = rules_for(target)
    content_type = accepted.check(upload)
    if content_type in OFFICE:  # the author and company of a Word or Excel file go too
        upload.seek(0)
        upload = SimpleUploadedFile(upload.name or "", scrub.scrub_office(upload.read()))
    kind = str(KIND[type(target)])
    row = CampaignFile(unit=owner_of(target), kind=kind, uploaded_by=actor)
    setattr(row, kind, target)  # the foreign key named after the kind
    accepted.attach(row, upload, content_type=content_type)
    row.save()
    return row


@transaction.atomic
def check_attach_file(target: Target, *, actor: User, upload: UploadedFile) -> CampaignFile:
    unit = owner_of(target)
    if isinstance(target, Campaign):
        if not may_attach(actor, target):
            raise ValidationError(_("只有牵头单位的管理员或专项办可以上传专项工作实施方案"))
    elif not acts_for(actor, unit):
        raise ValidationError(_("只有本单位管理员可以上传材料"))
    elif not may_attach(actor, target):
        raise ValidationError(_("已批准的实施方案或已锁定的周报不能再上传材料"))
    if target.files.count() >= MAX_FILES:
        raise ValidationError(_("每项最多上传 %(n)d 个文件") % {"n": MAX_FILES})
    row = attach(target, actor=actor, upload=upload)
    if isinstance(target, Assignment):
        _done_by_upload(target, actor=actor, name=row.original_name)
    record_audit(
        actor=actor,
        action="campaigns.file.upload",
        obj=row,
        unit=unit,
        after={
            "kind": row.kind,
            "target": target.pk,
            "name": row.original_name,
            "sha256": row.sha256,
        },
    )
    return row


def _done_by_upload(assignment: Assignment, *, actor: User, name: str) -> None:
    """A task whose evidence is an upload (nothing in the system can show it) is done by the
    unit's first file."""
    if assignment.task.evidence != Task.Evidence.UPLOAD:
        return
    Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.OPEN).update(
        status=Assignment.Status.DONE,
        done_at=timezone.now(),
        done_by=actor,
        note=(_("已上传佐证：%(name)s") % {"name": name})[:200],
    )


@transaction.atomic
def check_submit_plan_with_file(
    campaign: Campaign, *, unit: Unit, actor: User, points: str, upload: UploadedFile | None
) -> UnitPlan:
    """The unit's plan submitted with its document, in one transaction: a refused file (not a
    Word file or a PDF) leaves the plan as it was."""
    plan = check_submit_plan(campaign, unit=unit, actor=actor, points=points)
    if upload is not None:
        check_attach_file(plan, actor=actor, upload=upload)
    return plan
