"""The three-way evaluation (三评): rounds, the ratings of the people served, third-party
scores, the discipline-inspection review, and the remedial rounds (回炉补课) the 85 % rule
starts.

What defines a round (the units it covers, the instrument, the rate definition, the weights,
the minimum sample, the threshold, the trigger) is frozen when it opens, so the numbers of two
periods stay comparable. A rating keeps no network address, user agent or code: the device
and address signals it raised are kept only as the name of the rule that flagged it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.attachments import Attachment, storage_name
from qingfeng.orgs.models import Unit, User

# The five 好差评 levels, and 不了解 (0), which is kept but left out of the base.
LEVELS = (
    (5, _("非常满意")),
    (4, _("满意")),
    (3, _("基本满意")),
    (2, _("不满意")),
    (1, _("非常不满意")),
    (0, _("不了解")),
)
UNKNOWN = 0
DEFAULT_ITEMS = ["师德师风", "规范收费", "规范办学", "服务态度", "整改成效"]


class Round(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("评议中")
        CLOSED = "closed", _("已结束")

    class Mode(models.TextChoices):
        OPEN = "open", _("开放评议（非概率样本）")
        FRAME = "frame", _("抽样评议（票码）")

    class RateDefinition(models.TextChoices):
        TOP3 = "top3", _("非常满意、满意、基本满意占有效评价的比例")
        TOP2 = "top2", _("非常满意、满意占有效评价的比例")

    class Trigger(models.TextChoices):
        POINT = "point", _("满意率低于阈值且样本达到最低数")
        CONFIRMED = "confirmed", _("置信区间上限低于阈值（确认低于）")

    name = models.CharField(_("名称"), max_length=100)
    owner = models.ForeignKey(
        Unit, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    mode = models.CharField(_("评议方式"), max_length=10, choices=Mode.choices, default=Mode.OPEN)
    # The coverage rule: kinds, categories and stages ([] = any), under `area` (or the owner).
    kinds = models.JSONField(_("单位类型"), default=list, blank=True)
    categories = models.JSONField(_("单位类别"), default=list, blank=True)
    stages = models.JSONField(_("学段"), default=list, blank=True)
    area = models.ForeignKey(
        Unit,
        verbose_name=_("范围（县区）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    items = models.JSONField(_("评议项目"), default=list)
    instrument_version = models.PositiveSmallIntegerField(_("问卷版本"), default=1)
    # The third-party indicator scheme ([{"group", "name", "weight", "max"}], see scheme.py),
    # frozen at opening like the items; version 0 = no scheme (free indicators, their mean).
    indicators = models.JSONField(_("评估指标体系"), default=list, blank=True)
    scheme_version = models.PositiveSmallIntegerField(_("指标体系版本"), default=0)
    rate_definition = models.CharField(
        _("满意率口径"), max_length=10, choices=RateDefinition.choices, default="top3"
    )
    weight_satisfaction = models.PositiveSmallIntegerField(_("群众满意度权重"), default=50)
    weight_third_party = models.PositiveSmallIntegerField(_("第三方评估权重"), default=30)
    weight_discipline = models.PositiveSmallIntegerField(_("纪委监察评鉴权重"), default=20)
    min_sample = models.PositiveIntegerField(_("最低样本量"), default=30)
    threshold = models.PositiveSmallIntegerField(_("达标线（%）"), default=85)
    trigger = models.CharField(
        _("回炉判定"), max_length=10, choices=Trigger.choices, default=Trigger.POINT
    )
    veto_cap = models.PositiveSmallIntegerField(_("一票否决封顶分"), default=60)
    remedial_workdays = models.PositiveSmallIntegerField(_("整改时限（工作日）"), default=20)
    reeval_workdays = models.PositiveSmallIntegerField(_("复评间隔（工作日）"), default=30)
    publish_ranking = models.BooleanField(_("公开排名"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    opened_at = models.DateTimeField(_("开始评议时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束评议时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("结果发布时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("评议轮次")
        verbose_name_plural = _("评议轮次")
        ordering = ["-starts_on", "-id"]
        # The latest round of a scope (the home card, the rounds page) is this index walked
        # backwards to the first round the scope sees, not every round read and sorted.
        indexes = [models.Index(fields=["starts_on", "id"], name="evaluation_round_latest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__lte=100), name="evaluation_round_threshold"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoundUnit(models.Model):
    """A unit the round covers (frozen at opening), with its result as it stood at closing."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="covered")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    # The snapshot written when the round closes (None before).
    base = models.PositiveIntegerField(null=True, blank=True)
    satisfied = models.PositiveIntegerField(null=True, blank=True)
    verdict = models.CharField(max_length=20, blank=True)
    composite = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "unit"], name="evaluation_roundunit_once")
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.unit_id}"


class Response(models.Model):
    """One rating. No address, agent, device token or code is stored with it."""

    class RespondentType(models.TextChoices):
        PARENT = "parent", _("家长")
        STUDENT = "student", _("学生")
        STAFF = "staff", _("教职工")
        PUBLIC = "public", _("社会人士")

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("有效")
        FLAGGED = "flagged", _("存疑待核")
        EXCLUDED = "excluded", _("已剔除")

    class Via(models.TextChoices):
        OPEN = "open", _("扫码评议")
        CODE = "code", _("票码评议")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="responses")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    remedial = models.ForeignKey(
        "Remedial", null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    respondent_type = models.CharField(
        _("评议人类型"), max_length=10, choices=RespondentType.choices
    )
    overall = models.PositiveSmallIntegerField(_("总体评价"), choices=LEVELS)
    answers = models.JSONField(_("分项评价"), default=dict)
    comment = models.TextField(_("意见建议"), blank=True)
    via = models.CharField(_("来源"), max_length=10, choices=Via.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    rule = models.CharField(_("判定规则"), max_length=30)
    # A digest of the answers (not of the person): identical-answer bursts are found by it.
    answer_key = models.CharField(max_length=64)
    seconds = models.PositiveIntegerField(_("作答用时（秒）"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=64)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    # The intake ticket a staff member turned this (dissatisfied) comment into: at most one.
    ticket_number = models.CharField(_("转办工单"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("评议")
        verbose_name_plural = _("评议")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "idempotency_key"], name="evaluation_response_idempotent"
            )
        ]
        indexes = [
            # Covers the results' grouped count (round, not a re-evaluation, per unit, by
            # status and answer): the city's count reads this index alone, not the table.
            models.Index(
                fields=["round", "remedial", "unit", "status", "overall"],
                name="evaluation_response_counts",
            ),
            models.Index(
                fields=["unit", "answer_key", "submitted_at"], name="evaluation_response_burst"
            ),
            # Covers the dashboard's figures (evaluation/figures.py `compute`: a month's
            # accepted answers per unit, satisfied by their round's definition): read from the
            # index alone, not the table's rows.
            models.Index(
                fields=["unit", "submitted_at", "status", "overall", "round"],
                name="evaluation_response_figures",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.get_status_display()}"


class ResponseReview(models.Model):
    """A reviewer's decision on a flagged (or accepted) rating: who, when, why."""

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="reviews")
    from_status = models.CharField(max_length=10, choices=Response.Status.choices)
    to_status = models.CharField(max_length=10, choices=Response.Status.choices)
    reason = models.TextField(_("理由"))
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.response_id} → {self.to_status}"


class CodeBatch(models.Model):
    """票码 for a sampling frame: which entries of the frame were drawn, with the seed."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="code_batches")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    frame = models.JSONField(_("抽样框"), default=list)
    drawn = models.JSONField(_("抽中"), default=list)
    seed = models.CharField(_("随机种子"), max_length=64)
    per_entry = models.PositiveSmallIntegerField(_("每项票码数"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.unit_id} {self.seed}"


class VoteCode(models.Model):
    """A single-use code, kept only as a keyed hash; using it leaves no time or link."""

    batch = models.ForeignKey(CodeBatch, on_delete=models.PROTECT, related_name="codes")
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.code_hash[:8]


class ThirdPartyScore(models.Model):
    """A third-party assessor's score of a unit (0–100); a later entry supersedes."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="third_party")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    indicator = models.CharField(_("评估指标"), max_length=100)
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2)
    comment = models.TextField(_("评估说明"), blank=True)
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    superseded = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.indicator} {self.score}"


def score_import_upload_to(instance: ScoreImport, filename: str) -> str:
    # The stored name never comes from the user; the original name is kept in a column.
    ext = ".xls" if filename.lower().endswith(".xls") else ".xlsx"
    return f"evaluation/imports/{timezone.now():%Y/%m}/{storage_name(ext)}"


class ScoreImport(models.Model):
    """A third-party assessor's score workbook: stored first, read and checked as a whole
    (all rows or none, the wrong cells marked in an error workbook), then confirmed by the
    campaign office, which writes every score in one transaction. Rows are never deleted."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("已接收")
        REJECTED = "rejected", _("校验未通过")
        PENDING = "pending", _("待专项办确认")
        CONFIRMED = "confirmed", _("已确认导入")
        RETURNED = "returned", _("已退回")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="score_imports")
    file = models.FileField(_("上传文件"), upload_to=score_import_upload_to, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=255)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    # The checked scores, one per unit and indicator: {"row", "unit_id", "unit", "indicator",
    # "score", "comment"}; what the office confirms is exactly this list.
    rows = models.JSONField(_("评分"), default=list, blank=True)
    errors = models.JSONField(_("错误摘要"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    error_file = models.FileField(
        _("错误报告"), upload_to=score_import_upload_to, max_length=200, blank=True
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("退回理由"), blank=True)

    class Meta:
        verbose_name = _("第三方评分导入")
        verbose_name_plural = _("第三方评分导入")

    def __str__(self) -> str:
        return self.original_name


class DisciplineReview(models.Model):
    """The discipline inspection's rating of a unit; the comment is never shown to the unit."""

    class Rating(models.TextChoices):
        EXCELLENT = "excellent", _("优秀")
        GOOD = "good", _("良好")
        FAIR = "fair", _("一般")
        POOR = "poor", _("较差")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="discipline")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(_("评鉴等次"), max_length=10, choices=Rating.choices)
    comment = models.TextField(_("评鉴意见（保密）"), blank=True)
    veto = models.BooleanField(_("一票否决"), default=False)
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    superseded = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.get_rating_display()


class ScoreEvidence(Attachment):
    """A file behind a third-party score or a discipline review (a photo, a checklist, a
    record): kept with the entry it came with, scrubbed, typed by content. Discipline evidence
    is as confidential as the comment: never shown to the rated unit."""

    class Kind(models.TextChoices):
        THIRD_PARTY = "third_party", _("第三方评估")
        DISCIPLINE = "discipline", _("纪委监察评鉴")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="evidence")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    third_party = models.ForeignKey(
        ThirdPartyScore, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    discipline = models.ForeignKey(
        DisciplineReview,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    file = models.FileField(_("佐证材料"), upload_to="evaluation/evidence/%Y/%m/", max_length=200)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("评分佐证")
        verbose_name_plural = _("评分佐证")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="third_party", third_party__isnull=False, discipline=None)
                    | models.Q(kind="discipline", discipline__isnull=False, third_party=None)
                ),
                name="evaluation_evidence_one_entry",
            )
        ]


RATING_SCORES: dict[str, int] = {
    DisciplineReview.Rating.EXCELLENT: 95,
    DisciplineReview.Rating.GOOD: 85,
    DisciplineReview.Rating.FAIR: 70,
    DisciplineReview.Rating.POOR: 50,
}


class Remedial(models.Model):
    """回炉补课: a unit that triggered the 85 % rule in a round, its problems and re-evaluation."""

    class Status(models.TextChoices):
        OPEN = "open", _("回炉整改中")
        PASSED = "passed", _("复评达标")
        ESCALATED = "escalated", _("提级督办")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="remedials")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("编号"), max_length=40, unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    rate = models.DecimalField(_("满意率"), max_digits=5, decimal_places=4)
    base = models.PositiveIntegerField(_("有效样本"))
    reeval_opens_on = models.DateField(_("复评开始"))
    reeval_closes_on = models.DateField(_("复评结束"))
    reeval_rate = models.DecimalField(
        _("复评满意率"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    reeval_base = models.PositiveIntegerField(_("复评有效样本"), null=True, blank=True)
    for_assessment = models.BooleanField(_("纳入季度考评"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("回炉补课")
        verbose_name_plural = _("回炉补课")
        constraints = [
            models.UniqueConstraint(fields=["round", "unit"], name="evaluation_remedial_once")
        ]

    def __str__(self) -> str:
        return self.number


class RoundEvent(models.Model):
    """A step in a round's life (opened, closed), as `core.lifecycle` writes it."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.action


class RemedialEvent(models.Model):
    remedial = models.ForeignKey(Remedial, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.action
