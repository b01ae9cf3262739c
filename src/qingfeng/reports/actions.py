"""Every change to a bulletin: one transaction each, its audit row inside; the PDF rendering
after commit as a job."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core import replica
from qingfeng.core.actions import notify
from qingfeng.core.attachments import AttachmentRules
from qingfeng.core.audit import record_audit
from qingfeng.core.jobs import enqueue_job
from qingfeng.lib import filetypes, gbt9704
from qingfeng.orgs.models import Role, RoleAssignment, Unit, User
from qingfeng.reports import compose, monthly, render
from qingfeng.reports.models import Bulletin, BulletinVersion
from qingfeng.reports.permissions import approves, drafts
from qingfeng.reports.workflow import BULLETIN

DOCX_FILE = AttachmentRules(
    types=(filetypes.DOCX,),
    max_bytes=20 * 1024 * 1024,
    unsupported=gettext_lazy(
        "通报修改稿须为 .docx 文件（用 WPS 或 Word 另存为 .docx），%(name)s 不是"
    ),
    scrub=False,
)
NUMBER = re.compile(r"^\S{1,12}〔\d{4}〕\d{1,4}号$")


def default_title(month: date) -> str:
    return f"关于{month.year}年{month.month}月全市教育系统作风建设工作情况的通报"


def _generated(bulletin: Bulletin, actor: User) -> BulletinVersion:
    doc = compose.document(
        snapshot=bulletin.snapshot,
        mark=f"{bulletin.issuer.name}文件",
        number=bulletin.number,
        title=bulletin.title,
        addressees=bulletin.addressees,
        copies_to=[c for c in re.split(r"[，,、]", bulletin.copies_to) if c.strip()],
        dated=timezone.localdate(),
        signer=bulletin.signer,
    )
    data = gbt9704.write(doc)
    return _version(
        bulletin, actor, data, BulletinVersion.Kind.GENERATED, f"{bulletin.number}.docx"
    )


def _version(bulletin: Bulletin, actor: User, data: bytes, kind: str, name: str) -> BulletinVersion:
    upload = SimpleUploadedFile(name, data, content_type=filetypes.DOCX.content_type)
    version = BulletinVersion(bulletin=bulletin, kind=kind, uploaded_by=actor)
    DOCX_FILE.attach(version, upload, content_type=filetypes.DOCX.content_type)
    version.deviations = [str(d) for d in gbt9704.check(data)]
    version.save()
    return version


def check_create_bulletin(
    *,
    actor: User,
    issuer: Unit,
    month: date,
    number: str,
    addressees: str,
    copies_to: str = "",
    signer: str = "",
    title: str = "",
    rules: Mapping[str, int] | None = None,
) -> Bulletin:
    """The month's bulletin as a draft: the figures read now and kept, the document made.
    The figures (every unit's counts of the month, the heavy part) are read before the
    transaction that keeps them, inside `replica.reads()`: from the read replica when one is
    configured (core/replica.py). Called inside a transaction, they are read in it."""
    number, first, chosen = _checked_bulletin(
        actor=actor, issuer=issuer, month=month, number=number, addressees=addressees, rules=rules
    )
    with replica.reads():
        snapshot = compose.build_snapshot(issuer, first, chosen)
    return _create_bulletin(
        actor=actor,
        issuer=issuer,
        first=first,
        number=number,
        title=title.strip() or default_title(first),
        addressees=addressees.strip(),
        copies_to=copies_to.strip(),
        signer=signer.strip(),
        rules=chosen,
        snapshot=snapshot,
    )


def _checked_bulletin(
    *,
    actor: User,
    issuer: Unit,
    month: date,
    number: str,
    addressees: str,
    rules: Mapping[str, int] | None,
) -> tuple[str, date, dict[str, int]]:
    """The draft's number, month and rules, or a ValidationError saying what is wrong."""
    if not drafts(actor, issuer):
        raise ValidationError(_("只有本机关的专项办或局管理员可以起草通报"))
    number = number.strip()
    errors: dict[str, list[str]] = {}
    if not NUMBER.match(number):
        errors["number"] = [_("发文字号格式应如“清教作〔2026〕12号”（六角括号、年份、序号）")]
    elif _number_taken(issuer, number):
        errors["number"] = [_("发文字号 %(n)s 已被使用") % {"n": number}]
    first = month.replace(day=1)
    if first > timezone.localdate():
        errors["month"] = [_("不能通报尚未开始的月份")]
    if not addressees.strip():
        errors["addressees"] = [_("请填写主送机关")]
    chosen = {**compose.DEFAULT_RULES, **(rules or {})}
    if any(not isinstance(v, int) or v < 0 for v in chosen.values()):
        errors["rules"] = [_("表扬和批评规则须为非负整数")]
    if errors:
        raise ValidationError(errors)
    return number, first, chosen


def _number_taken(issuer: Unit, number: str) -> bool:
    return Bulletin.objects.filter(issuer=issuer, number=number).exists()


@transaction.atomic
def _create_bulletin(
    *, actor: User, issuer: Unit, first: date, number: str, snapshot: dict[str, Any], **fields: Any
) -> Bulletin:
    if _number_taken(issuer, number):  # taken while the figures were read
        raise ValidationError({"number": [_("发文字号 %(n)s 已被使用") % {"n": number}]})
    bulletin = Bulletin.objects.create(
        issuer=issuer,
        month=first,
        number=number,
        snapshot=snapshot,
        status=Bulletin.Status.DRAFT,
        created_by=actor,
        **fields,
    )
    _generated(bulletin, actor)
    BULLETIN.record_event(bulletin, "create", actor=actor, to_status=bulletin.status)
    record_audit(actor=actor, action="reports.bulletin.create", obj=bulletin, unit=issuer)
    return bulletin


@transaction.atomic
def check_upload_edited(
    bulletin: Bulletin, *, actor: User, upload: UploadedFile
) -> BulletinVersion:
    """An edited .docx back from WPS or Word, kept as a version with the checker's findings."""
    if not drafts(actor, bulletin.issuer):
        raise ValidationError(_("只有本机关的专项办或局管理员可以修改通报"))
    DOCX_FILE.check(upload)
    upload.seek(0)
    data = upload.read()
    found = gbt9704.check(data)
    if found and found[0].element == "文件":
        raise ValidationError(_("上传的文件无法作为 .docx 打开，请用 WPS 或 Word 另存后再上传"))
    with BULLETIN.move(bulletin, "edit", actor=actor):
        pass
    return _version(
        bulletin, actor, data, BulletinVersion.Kind.EDITED, upload.name or "bulletin.docx"
    )


def latest(bulletin: Bulletin) -> BulletinVersion:
    version = bulletin.versions.order_by("-created_at", "-id").first()
    assert version is not None  # every bulletin is created with its generated version
    return version


@transaction.atomic
def check_approve_bulletin(bulletin: Bulletin, *, actor: User) -> Bulletin:
    """审定 by a bureau leader; the current version must conform to GB/T 9704."""
    if not approves(actor, bulletin.issuer):
        raise ValidationError(_("通报由本机关的分管领导审定"))
    version = latest(bulletin)
    if version.deviations:
        raise ValidationError(
            _("当前文本不符合公文格式，不能审定：%(d)s") % {"d": "；".join(version.deviations[:5])}
        )
    BULLETIN.apply(bulletin, "approve", actor=actor)
    return bulletin


@transaction.atomic
def check_issue_bulletin(bulletin: Bulletin, *, actor: User) -> Bulletin:
    """印发: a notification with the file to every unit admin below the issuer; the PDF for
    reading is rendered after commit."""
    if not drafts(actor, bulletin.issuer):
        raise ValidationError(_("只有本机关的专项办或局管理员可以印发通报"))
    with BULLETIN.move(bulletin, "issue", actor=actor):
        bulletin.issued_at = timezone.now()
    monthly.bulletin_issued(bulletin)  # the month's frozen figures become the bulletin's
    link = reverse("reports:bulletin", args=[bulletin.pk])
    admins = RoleAssignment.objects.filter(
        Unit.path_subtree_q(bulletin.issuer.path),
        role=Role.UNIT_ADMIN,
        revoked_at__isnull=True,
        user__is_active=True,
    ).select_related("user")
    for row in admins.exclude(unit=bulletin.issuer):
        notify(recipient=row.user, title=_("印发通报：%(t)s") % {"t": bulletin.title}, link=link)
    enqueue_job("reports.render_pdf", {"version_id": latest(bulletin).pk})
    return bulletin


def render_pdf(payload: dict[str, Any]) -> None:
    """Job: the version's PDF for reading (nothing when LibreOffice is not installed)."""
    version = BulletinVersion.objects.filter(pk=payload["version_id"]).first()
    if version is None or version.pdf:
        return
    with version.file.open("rb") as handle:
        data = render.to_pdf(handle.read())
    if data is None:
        return
    version.pdf.save(f"{version.sha256[:16]}.pdf", ContentFile(data), save=False)
    version.save(update_fields=["pdf"])


@transaction.atomic
def do_request_pdf(bulletin: Bulletin, *, actor: User) -> None:
    """A PDF of the current version for reading before issue."""
    version = latest(bulletin)
    record_audit(actor=actor, action="reports.bulletin.render", obj=bulletin)
    enqueue_job("reports.render_pdf", {"version_id": version.pk})


@transaction.atomic
def check_set_warning_rules(unit: Unit, *, actor: User, values: Mapping[str, Any]) -> None:
    """The dashboard's warning thresholds for the unit's view and the views below it, set by
    the unit's campaign office or bureau admin; each a whole number within its range, the
    yellow ones no stricter than the red ones."""
    from qingfeng.reports import dashboard
    from qingfeng.reports.models import WarningRules

    if not drafts(actor, unit):
        raise ValidationError(_("只有本机关的专项办或局管理员可以设置预警规则"))
    errors: dict[str, list[str]] = {}
    rules: dict[str, int] = {}
    for rule in dashboard.RULE_FIELDS:
        value = values.get(rule.key)
        if isinstance(value, str):  # int() reads full-width digits (３) as well
            value = value.strip()
        try:
            number = rule.default if value is None or value == "" else int(value)
        except (TypeError, ValueError):
            errors[rule.key] = [_("请填写整数")]
            continue
        if not 0 <= number <= rule.maximum:
            errors[rule.key] = [_("须在 0 到 %(max)d 之间") % {"max": rule.maximum}]
            continue
        rules[rule.key] = number
    if not errors:
        if rules["yellow_red_over"] > rules["red_over"]:
            errors["yellow_red_over"] = [_("黄色的红灯问题数不能多于红色的")]
        if rules["satisfaction_warn"] < rules["satisfaction_below"]:
            errors["satisfaction_warn"] = [_("黄色的满意率线不能低于红色的")]
        if rules["listed"] < 1:
            errors["listed"] = [_("至少列出 1 个单位")]
    if errors:
        raise ValidationError(errors)
    before = WarningRules.objects.filter(unit=unit).values_list("rules", flat=True).first()
    WarningRules.objects.update_or_create(
        unit=unit, defaults={"rules": rules, "updated_by": actor, "updated_at": timezone.now()}
    )
    record_audit(
        actor=actor,
        action="reports.warning_rules.set",
        obj=unit,
        unit=unit,
        before=before,
        after=rules,
    )
    # The dashboards kept for a few minutes list their warnings by the rules: none outlives them.
    transaction.on_commit(monthly.views_moved)
