"""The monthly bulletin (月通报): generated from the month's figures as an editable draft in
the official document format, edited (an edited .docx uploaded back, kept as a version),
approved by a bureau leader, issued to the units — and archived with the data it was made
from (`snapshot`), so the month's figures on the page equal the bulletin's."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.attachments import Attachment
from qingfeng.orgs.models import Unit, User


class Bulletin(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        EDITED = "edited", _("已修改")
        APPROVED = "approved", _("已审定")
        ISSUED = "issued", _("已印发")

    issuer = models.ForeignKey(
        Unit, verbose_name=_("发文机关"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"))  # its first day
    number = models.CharField(_("发文字号"), max_length=40)
    title = models.CharField(_("标题"), max_length=100)
    addressees = models.CharField(_("主送机关"), max_length=200)
    copies_to = models.CharField(_("抄送机关"), max_length=200, blank=True)
    # 签发人: printed beside the 发文字号 where the document requires it (上行文).
    signer = models.CharField(_("签发人"), max_length=20, blank=True)
    # The praise and criticism rules as applied (thresholds), and the data used.
    rules = models.JSONField(_("表扬和批评规则"), default=dict)
    snapshot = models.JSONField(_("数据快照"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("月通报")
        verbose_name_plural = _("月通报")
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "number"], name="reports_bulletin_number")
        ]

    def __str__(self) -> str:
        return self.title


class BulletinVersion(Attachment):
    """One .docx of the bulletin: the generated one, or an edited one uploaded back."""

    class Kind(models.TextChoices):
        GENERATED = "generated", _("系统生成")
        EDITED = "edited", _("修改稿")

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="versions")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to="reports/bulletins/%Y/%m/", max_length=200)
    pdf = models.FileField(upload_to="reports/bulletins/%Y/%m/", max_length=200, blank=True)
    # The GB/T 9704 checker's findings on this file ([] = conforms).
    deviations = models.JSONField(_("格式检查"), default=list)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["bulletin_id", "-created_at", "-id"]


class BulletinEvent(models.Model):
    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["bulletin_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.bulletin_id} {self.action}"


class Assessment(models.Model):
    """季考评: every unit below the issuer scored on the quarter's figures by the scheme of its
    category (kept with the assessment: `scheme`), ranked within its category."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        APPROVED = "approved", _("已审定")
        PUBLISHED = "published", _("已发布")

    issuer = models.ForeignKey(
        Unit, verbose_name=_("考评机关"), on_delete=models.PROTECT, related_name="+"
    )
    quarter = models.CharField(_("季度"), max_length=7)  # "2026-Q4"
    starts_on = models.DateField()
    ends_on = models.DateField()
    scheme = models.JSONField(_("考评方案"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("季度考评")
        verbose_name_plural = _("季度考评")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "quarter"], name="reports_assessment_once")
        ]

    def __str__(self) -> str:
        return self.quarter


class Score(models.Model):
    """One unit's score: the indicators' values from the figures, the office's deduction and
    一票否决 (each with its reason), the total and the rank within the unit's category."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20)
    figures = models.JSONField(default=dict)
    values = models.JSONField(default=dict)  # indicator key → 0–100, or None without data
    deduction = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    deduction_reason = models.CharField(max_length=200, blank=True)
    veto_reason = models.CharField(_("一票否决理由"), max_length=200, blank=True)
    total = models.DecimalField(max_digits=5, decimal_places=2)
    rank = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["assessment_id", "category", "rank", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "unit"], name="reports_score_once")
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}:{self.unit_id} {self.total}"


class ManualScore(Attachment):
    """A manual indicator's score (0–100) for one unit, given by the campaign office with its
    evidence — a document or a record (PDF, Word, Excel), never a photo — and a note. A new
    score of the same indicator supersedes the old one, which is kept."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="manual_scores")
    indicator = models.CharField(_("指标"), max_length=20)
    value = models.DecimalField(_("评分"), max_digits=5, decimal_places=2)
    note = models.CharField(_("评分说明"), max_length=200)
    file = models.FileField(_("佐证材料"), upload_to="reports/evidence/%Y/%m/", max_length=200)
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["score_id", "indicator", "-entered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["score", "indicator"],
                condition=models.Q(superseded_at__isnull=True),
                name="reports_manual_score_current",
            )
        ]


class AssessmentEvent(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assessment_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.action}"


class MonthFigure(models.Model):
    """One unit's own figure (not its subtree's) for a month that is over, frozen by the
    nightly job (reports/monthly.py) so that the dashboard's past months and trends read a
    summary table instead of the records; an issued bulletin's numbers replace the job's for
    the units it covers, so a past month's dashboard equals the bulletin. Zeros are not kept."""

    month = models.DateField()  # its first day
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=60)
    value = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit", "key"], name="reports_monthfigure_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id} {self.key}={self.value}"


class FrozenMonth(models.Model):
    """A month whose figures are frozen in `MonthFigure`, and when."""

    month = models.DateField(unique=True)
    frozen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class SubtreeFigure(models.Model):
    """A unit's figure summed over its subtree (itself and every unit below it) for a month
    or a week that is over: the dashboard's rows and trends read one row per unit and figure
    instead of summing the units below. A month's rows are rolled up from its `MonthFigure`
    rows (the bulletins' numbers included) whenever those change; a week's are computed by
    the nightly job when the week is over (`FrozenWeek`). Zeros are not kept."""

    class Period(models.TextChoices):
        MONTH = "month", _("月")
        WEEK = "week", _("周")

    period = models.CharField(max_length=5, choices=Period.choices)
    start = models.DateField()  # the month's first day, the week's Monday
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=60)
    value = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "start", "unit", "key"], name="reports_subtreefigure_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.start} {self.unit_id} {self.key}={self.value}"


class FrozenWeek(models.Model):
    """A week (Monday to Sunday) whose subtree figures are frozen in `SubtreeFigure`."""

    week = models.DateField(unique=True)  # its Monday
    frozen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.week}"


class LiveFigure(models.Model):
    """The current month's figures kept warm by a job every few minutes (reports/monthly.py
    `warm`): each unit's own figure and its subtree's, so that a page reads a summary instead
    of the records. `LiveRun` says for which days and as of when. Zeros are not kept."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=60)
    own = models.BigIntegerField(default=0)
    subtree = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "key"], name="reports_livefigure_once")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.key}={self.own}/{self.subtree}"


class LiveRun(models.Model):
    """When `LiveFigure` was last computed, and the days it counts (`first` … `last`)."""

    first = models.DateField()
    last = models.DateField()
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.first}…{self.last} at {self.computed_at}"


class WarningRules(models.Model):
    """The dashboard's red and yellow warning thresholds set by a unit's campaign office for
    its view and the views below it (reports/dashboard.py `RULES` has the defaults)."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="+")
    rules = models.JSONField(default=dict)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.unit_id} {self.rules}"
