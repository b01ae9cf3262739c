"""Offline publication (线下公开): the public half of 双反馈 done on a notice board, in the
school's 校务公开, or at a parents' meeting instead of on /progress/.

The unit records it with its evidence (a photo of the notice, the meeting's minutes); a
bureau role approves or rejects it. Only an approved one satisfies the feedback gate, as
publication on /progress/ does (`feedback_gate`).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core.actions import notify
from qingfeng.core.attachments import MB, AttachmentRules
from qingfeng.core.audit import record_audit
from qingfeng.ledger.actions.problems import responsible_users
from qingfeng.ledger.models import Feedback, OfflinePublication, Problem
from qingfeng.ledger.workflow import WORKFLOW
from qingfeng.lib import filetypes as ft
from qingfeng.orgs.models import User

# A photo of the notice or the minutes of the meeting; metadata (where the photo was taken)
# is removed, the picture itself kept.
PUBLICATION_FILE = AttachmentRules(
    types=(ft.JPEG, ft.PNG, ft.PDF, ft.DOCX),
    max_bytes=20 * MB,
    unsupported=gettext_lazy("不支持的文件类型：%(name)s（可上传 JPG、PNG、PDF、DOCX）"),
)
# While the problem is being worked on, or waits for its closure: not a draft nobody was
# told of, not one closed or withdrawn.
RECORDABLE = {
    Problem.Status.ASSIGNED,
    Problem.Status.ACCEPTED,
    Problem.Status.RECTIFYING,
    Problem.Status.CLOSURE_REQUESTED,
    Problem.Status.STAGE_COMPLETED,
}


@transaction.atomic
def check_record_offline_publication(
    problem: Problem,
    *,
    actor: User,
    channel: str,
    published_on: date,
    summary: str,
    upload: UploadedFile | None,
) -> OfflinePublication:
    """The unit records a publication it made offline, with its evidence; it waits for a
    bureau role's approval."""
    WORKFLOW.lock(problem)
    if problem.status not in RECORDABLE:
        raise ValidationError(
            _("问题当前为“%(s)s”，不能登记线下公开") % {"s": problem.get_status_display()}
        )
    if channel not in OfflinePublication.Channel.values:
        raise ValidationError(_("请选择公开方式"))
    if not summary.strip():
        raise ValidationError(_("请填写公开内容摘要"))
    if published_on > timezone.localdate():
        raise ValidationError(_("公开日期不能晚于今天"))
    if upload is None:
        raise ValidationError(_("请上传公开的佐证（公示照片、会议记录等）"))
    content_type = PUBLICATION_FILE.check(upload)
    publication = OfflinePublication(
        problem=problem,
        channel=channel,
        published_on=published_on,
        summary=summary.strip(),
        recorded_by=actor,
    )
    PUBLICATION_FILE.attach(publication, upload, content_type=content_type)
    publication.save()
    record_audit(
        actor=actor,
        action="ledger.publication.record",
        obj=problem,
        after={
            "publication": publication.pk,
            "channel": channel,
            "published_on": published_on.isoformat(),
            "sha256": publication.sha256,
        },
    )
    return publication


@transaction.atomic
def check_decide_offline_publication(
    publication: OfflinePublication, *, actor: User, approve: bool, comment: str
) -> OfflinePublication:
    """A bureau role approves (it then counts as the public half of 双反馈, and is entered in
    the problem's feedback) or rejects it with a reason. Decided once; never by the person
    who recorded it."""
    stored = OfflinePublication.objects.select_for_update().get(pk=publication.pk)
    if stored.status != OfflinePublication.Status.PENDING:
        raise ValidationError(_("该线下公开已审核过"))
    if stored.recorded_by_id == actor.pk:
        raise ValidationError(_("不能审核本人登记的线下公开"))
    if not approve and not comment.strip():
        raise ValidationError(_("不认可时请填写原因"))
    publication.status = (
        OfflinePublication.Status.APPROVED if approve else OfflinePublication.Status.REJECTED
    )
    publication.decided_by = actor
    publication.decided_at = timezone.now()
    publication.comment = comment.strip()
    publication.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    problem = publication.problem
    if approve:
        Feedback.objects.create(
            problem=problem,
            kind=Feedback.Kind.PUBLIC_PROGRESS,
            text=_("线下公开（%(channel)s，%(day)s）：%(summary)s")
            % {
                "channel": publication.get_channel_display(),
                "day": publication.published_on.isoformat(),
                "summary": publication.summary,
            },
            created_by=actor,
        )
    record_audit(
        actor=actor,
        action=f"ledger.publication.{'approve' if approve else 'reject'}",
        obj=problem,
        before={"publication": publication.pk, "status": OfflinePublication.Status.PENDING},
        after={"publication": publication.pk, "status": publication.status},
    )
    for user in responsible_users(problem):
        notify(
            recipient=user,
            title=_("线下公开审核结果：%(n)s %(s)s")
            % {"n": problem.number, "s": publication.get_status_display()},
            body=publication.comment,
            link=f"/ledger/{problem.pk}/",
        )
    return publication
