"""The problem ledger (台账): one life cycle for every problem, whatever found it."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.attachments import Attachment, storage_name
from qingfeng.core.deadlines import URGENCY
from qingfeng.core.models import DeadlineChangeBase
from qingfeng.core.search import TextIndex
from qingfeng.core.tally import Rollup, Tally
from qingfeng.orgs.models import Person, Unit, User


class Category(models.Model):
    """The campaign's problem taxonomy; editable, never deleted (problems keep pointing at it)."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    sort_order = models.IntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("问题类别")
        verbose_name_plural = _("问题类别")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


# The status of the rows a large import is still writing, in short transactions of a few
# hundred rows: "staged-<import id>". No one sees them (`Problem.objects` leaves them out, and
# so do the kept counts' readers) until the import's last short transaction gives them all
# their real status at once, or removes them all when the import fails (importing.py). A
# status, not a column of its own: every index the lists and counts read holds the status.
STAGED = "staged-"


def staged_status(import_id: int) -> str:
    return f"{STAGED}{import_id}"


class LedgerProblems(models.Manager["Problem"]):
    """The problems in the ledger: every row but those an import is still writing."""

    def get_queryset(self) -> models.QuerySet[Problem]:
        return super().get_queryset().exclude(status__startswith=STAGED)


class Problem(models.Model):
    class ListKind(models.TextChoices):
        LEADERSHIP = "leadership", _("领导班子问题清单")
        DEPARTMENT_RISK = "department_risk", _("科室风险清单")
        PERSONAL = "personal", _("个人整改清单")

    class Source(models.TextChoices):
        SELF_CHECK = "self_check", _("自查")
        INSPECTION = "inspection", _("巡察")
        SUPERVISION = "supervision", _("督导")
        CHANNEL = "channel", _("直通车")
        HOTLINE = "hotline", _("热线")
        REMEDIAL = "remedial", _("评议回炉")
        ASSIGNED_FROM_ABOVE = "from_above", _("上级交办")

    class Dimension(models.TextChoices):
        THINKING = "thinking", _("思想认识")
        RULES = "rules", _("制度执行")
        DELIVERY = "delivery", _("工作落实")
        SERVICE = "service", _("服务效能")
        INTEGRITY = "integrity", _("廉洁自律")

    class RectificationType(models.TextChoices):
        IMMEDIATE = "immediate", _("立行立改")
        TIME_LIMITED = "time_limited", _("限期整改")
        LONG_TERM = "long_term", _("长期坚持")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        ASSIGNED = "assigned", _("已交办")
        ACCEPTED = "accepted", _("已签收")
        RECTIFYING = "rectifying", _("整改中")
        CLOSURE_REQUESTED = "closure_requested", _("申请销号")
        STAGE_COMPLETED = "stage_completed", _("阶段性完成")
        CLOSED = "closed", _("已销号")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Light(models.TextChoices):
        NONE = "", _("无")
        GREEN = "green", _("绿灯")
        YELLOW = "yellow", _("黄灯")
        RED = "red", _("红灯")

    class Disclosure(models.TextChoices):
        PRIVATE = "private", _("不公开")
        PENDING = "pending", _("待审核公开")
        PUBLISHED = "published", _("已公开")

    number = models.CharField(_("编号"), max_length=40, unique=True)
    round_no = models.PositiveSmallIntegerField(_("轮次"), default=1)
    serial = models.PositiveIntegerField(_("序号"))
    list_kind = models.CharField(_("清单"), max_length=20, choices=ListKind.choices)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    source_ref = models.CharField(_("来源编号"), max_length=80, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("问题类别"), on_delete=models.PROTECT, related_name="problems"
    )
    dimension = models.CharField(
        _("五查五看维度"), max_length=20, choices=Dimension.choices, blank=True
    )
    title = models.CharField(_("问题概述"), max_length=200)
    description = models.TextField(_("问题描述"))
    # The free-text filter's index (core/search.py): NULL until the refresh fills it.
    search_tokens = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001 - NULL = stale
    cause = models.TextField(_("原因分析"), blank=True)
    goal = models.TextField(_("整改目标"), blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="problems"
    )
    cooperating_units = models.ManyToManyField(
        Unit, verbose_name=_("配合单位"), blank=True, related_name="+"
    )
    responsible_leader = models.ForeignKey(
        Person,
        verbose_name=_("责任领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible_person = models.ForeignKey(
        Person,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    rectification_type = models.CharField(
        _("整改类型"), max_length=20, choices=RectificationType.choices
    )
    deadline = models.DateField(_("整改时限"), null=True, blank=True)
    # When the deadline last changed (its history: DeadlineChange); None when it never has.
    # A past period's figures read the history only for the rows changed since (figures.py).
    deadline_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    deadline_workdays = models.PositiveSmallIntegerField(
        _("整改时限（工作日）"), null=True, blank=True
    )
    progress = models.PositiveSmallIntegerField(_("整改进度（%）"), default=0)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    light = models.CharField(
        _("预警灯"), max_length=10, choices=Light.choices, blank=True, default=""
    )
    # Sort keys of the ledger's urgency order (red, yellow, green, none; then the earliest
    # deadline), kept as plain columns so keyset pagination uses one index at any depth.
    urgency = models.PositiveSmallIntegerField(default=3, editable=False)
    due_key = models.DateField(default=date.max, editable=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级问题"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    weight = models.PositiveSmallIntegerField(_("权重"), default=1)
    rules_adopted = models.TextField(_("建章立制"), blank=True)
    accountability = models.TextField(_("追责问责"), blank=True)
    disclosure = models.CharField(
        _("公开状态"), max_length=10, choices=Disclosure.choices, default=Disclosure.PRIVATE
    )
    public_text = models.TextField(_("公开内容（已脱敏）"), blank=True)
    remarks = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)

    objects = LedgerProblems()
    # Staged rows too: the serial numbers, and the import that writes and shows them.
    with_staged = models.Manager()  # noqa: DJ012 - a manager, after the default one

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="ledger_problem_progress_max"
            ),
        ]
        indexes = [
            # Per-unit counts (the home page's lights per unit) read this index alone.
            models.Index(
                fields=["unit", "status", "urgency", "responsible_person"],
                name="ledger_problem_unit_status",
            ),
            models.Index(fields=["status", "deadline"], name="ledger_problem_due"),
            # The public progress page lists the units with published problems: without this
            # it read every problem of the city (seconds, on a page anyone can open).
            models.Index(fields=["disclosure", "unit", "status"], name="ledger_problem_disclosed"),
            models.Index(fields=["responsible_person", "status"], name="ledger_problem_person"),
            # The ledger list walks this index in urgency order and checks every filter of the
            # page inside it, so a page costs a few table reads at any depth and the counts
            # per light read the index alone (bench/README.md, section Ledger).
            models.Index(
                fields=[
                    "urgency",
                    "due_key",
                    "id",
                    "status",
                    "list_kind",
                    "source",
                    "category",
                    "deadline",
                    "unit",
                    "responsible_person",
                ],
                name="ledger_problem_list",
            ),
            models.Index(
                fields=["unit", "urgency", "due_key", "id"], name="ledger_problem_unit_urgency"
            ),
            # The light counts of a list filtered by category (with a source and a deadline
            # window, say), which the kept counts do not hold: read from this index alone, the
            # rows of that category only. Walking the list index instead read every lit row of
            # the scope (1.3 s for a province's 2,000,000 problems; bench/README.md, Ledger).
            models.Index(
                fields=[
                    "category",
                    "source",
                    "deadline",
                    "urgency",
                    "unit",
                    "status",
                    "list_kind",
                    "responsible_person",
                    "id",
                ],
                name="ledger_problem_category",
            ),
            # The next serial number (its maximum) is read by every registration and by each
            # batch of an import, inside the write transaction: one index step, not a scan.
            models.Index(fields=["serial"], name="ledger_problem_serial"),
            # Covers the dashboard's figures of the current period (ledger/figures.py
            # `compute`): every condition read from the index alone, not the table's rows.
            models.Index(
                fields=[
                    "unit",
                    "status",
                    "created_at",
                    "closed_at",
                    "deadline",
                    "list_kind",
                    "light",
                ],
                name="ledger_problem_figures",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    URGENCY = URGENCY  # the lights' sort keys, shared by every app's lists

    def set_light(self, light: str) -> None:
        self.light = light
        self.urgency = self.URGENCY[light]
        self.due_key = self.deadline or date.max


class ProblemTally(models.Model):
    """How many problems a unit has of each list, status and light, kept exact by triggers on
    the problem table in the same transaction as every change (core/tally.py): the home page
    and the per-unit overviews read these rows, not the problems."""

    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    list_kind = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    urgency = models.PositiveSmallIntegerField()
    n = models.IntegerField(default=0)
    # How much of `n` is already added into the subtree sums (ProblemSubtreeTally) of the
    # unit and the units above it; the rest is added by the next fold (core/tally.py Rollup).
    folded = models.IntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("问题计数")
        verbose_name_plural = _("问题计数")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "list_kind", "status", "urgency"], name="ledger_tally_key"
            )
        ]
        indexes = [
            # The rows not yet folded into the subtree sums: few, read with every subtree sum.
            models.Index(
                fields=["unit"], name="ledger_tally_unfolded", condition=~models.Q(n=F("folded"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.list_kind} {self.status} {self.urgency}: {self.n}"


class ProblemSubtreeTally(models.Model):
    """ProblemTally summed over each unit's subtree (the unit and every unit below it), so the
    home page reads one row per unit in view and combination, not every unit below it: the
    counts folded so far (ProblemTally.folded); a reader adds the rest (core/tally.py Rollup)."""

    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    list_kind = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    urgency = models.PositiveSmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("问题下级合计")
        verbose_name_plural = _("问题下级合计")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "list_kind", "status", "urgency"], name="ledger_subtree_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.list_kind} {self.status} {self.urgency}: {self.n}"


# The list's free-text filter: title and description, narrowed by this index (core/search.py).
PROBLEM_SEARCH = TextIndex(table="ledger_problem", columns=("title", "description"))

PROBLEM_TALLY = Tally(
    source="ledger_problem",
    table="ledger_problemtally",
    columns=("unit_id", "list_kind", "status", "urgency"),
    rollup=Rollup(
        table="ledger_problemsubtreetally", units=Unit._meta.db_table, ancestors=Unit.path_ids
    ),
)


class Measure(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", _("未开始")
        DOING = "doing", _("推进中")
        DONE = "done", _("已完成")

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="measures")
    text = models.TextField(_("整改措施"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.TODO)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("整改措施")
        verbose_name_plural = _("整改措施")
        ordering = ["problem_id", "sort_order", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class Transition(models.Model):
    """A decision in the problem's life cycle: who, when, from what to what, and why."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(_("操作"), max_length=30)
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20)
    actor = models.ForeignKey(
        User, verbose_name=_("操作人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["problem_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.action}"


class DeadlineChange(DeadlineChangeBase):
    """A change of a problem's deadline once set (an extension, a deadline fixed at
    assignment, a re-import, a failed re-check): who, when, from what to what, and why."""

    subject_field = "problem"
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="deadline_changes")
    old = models.DateField(_("原整改时限"), null=True, blank=True)
    new = models.DateField(_("新整改时限"), null=True, blank=True)

    class Meta:
        ordering = ["problem_id", "changed_at", "id"]
        indexes = [models.Index(fields=["problem", "changed_at"], name="ledger_deadline_change")]


class ProgressReport(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    progress = models.PositiveSmallIntegerField(_("进度（%）"))
    text = models.TextField(_("进展情况"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        ordering = ["problem_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.progress}%"


class Evidence(Attachment):
    class Phase(models.TextChoices):
        BEFORE = "before", _("整改前")
        AFTER = "after", _("整改后")
        OTHER = "other", _("其他材料")

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="evidence")
    report = models.ForeignKey(
        ProgressReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    phase = models.CharField(_("类别"), max_length=10, choices=Phase.choices, default=Phase.AFTER)
    file = models.FileField(_("文件"), upload_to="ledger/evidence/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["problem_id", "uploaded_at", "id"]


class Verification(models.Model):
    class Outcome(models.TextChoices):
        APPROVED = "approved", _("同意销号")
        RETURNED = "returned", _("退回重改")
        STAGE_APPROVED = "stage_approved", _("阶段性完成")

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="verifications")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("结论"), max_length=20, choices=Outcome.choices)
    comment = models.TextField(_("审核意见"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("销号审核")
        verbose_name_plural = _("销号审核")
        ordering = ["problem_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.outcome}"


class Feedback(models.Model):
    """双反馈: the requirement notice to the person concerned, and public progress entries."""

    class Kind(models.TextChoices):
        REQUIREMENT = "requirement", _("整改要求告知")
        PUBLIC_PROGRESS = "public_progress", _("公开整改进度")
        REPORTER_ANSWER = "reporter_answer", _("答复反映人")

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="feedback")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    text = models.TextField(_("内容"))
    recipient = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("反馈记录")
        verbose_name_plural = _("反馈记录")
        ordering = ["problem_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.kind}"


class OfflinePublication(Attachment):
    """The public half of 双反馈 done offline (公示栏, 校务公开, 家长会通报 …): recorded by the
    unit with its evidence (a photo of the notice, the minutes), it counts for the closure
    only once a bureau role has approved it, as publication on /progress/ does."""

    class Channel(models.TextChoices):
        NOTICE_BOARD = "notice_board", _("公示栏")
        SCHOOL_AFFAIRS = "school_affairs", _("校务公开")
        PARENT_MEETING = "parent_meeting", _("家长会通报")
        OTHER = "other", _("其他线下公开")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已认可")
        REJECTED = "rejected", _("未认可")

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="offline_publications"
    )
    channel = models.CharField(_("公开方式"), max_length=20, choices=Channel.choices)
    published_on = models.DateField(_("公开日期"))
    summary = models.TextField(_("公开内容摘要"))
    file = models.FileField(_("佐证文件"), upload_to="ledger/publications/%Y/%m/")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        _("审核状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("线下公开")
        verbose_name_plural = _("线下公开")
        ordering = ["problem_id", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.channel} {self.status}"


class Recheck(models.Model):
    """回头看: a closed problem sampled for re-verification."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待复查")
        PASSED = "passed", _("复查通过")
        FAILED = "failed", _("复查未通过")

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="rechecks")
    quarter = models.CharField(_("季度"), max_length=7)  # "2026-Q4"
    assigned_to = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        _("结果"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    comment = models.TextField(_("复查意见"), blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("回头看")
        verbose_name_plural = _("回头看")
        constraints = [
            models.UniqueConstraint(fields=["problem", "quarter"], name="ledger_recheck_once")
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.quarter}"


def ledger_import_upload_to(instance: LedgerImport, filename: str) -> str:
    # The stored name never comes from the user; the original name is kept in a column.
    ext = ".xls" if filename.lower().endswith(".xls") else ".xlsx"
    return f"ledger/imports/{timezone.now():%Y/%m}/{storage_name(ext)}"


class LedgerImport(models.Model):
    """One uploaded ledger workbook (台账导入).

    The file is stored before anything reads it, so nothing a user submits is lost; the
    import then writes every row or none, and this row keeps who, when, the counts, the
    errors and warnings, and the annotated error workbook. Rows are never deleted.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("已接收")
        PREVIEW = "preview", _("待确认更新")
        REJECTED = "rejected", _("校验未通过")
        IMPORTED = "imported", _("已导入")
        FAILED = "failed", _("导入出错")

    file = models.FileField(_("上传文件"), upload_to=ledger_import_upload_to, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=255)
    uploaded_by = models.ForeignKey(
        User, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="ledger_imports"
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    assign = models.BooleanField(_("导入后直接交办"), default=False)
    row_count = models.PositiveIntegerField(_("数据行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增问题"), default=0)
    updated_count = models.PositiveIntegerField(_("更新问题"), default=0)
    # A re-import (rows that match problems already in the ledger) stops at a preview: each
    # row as new / changed (field, before, after) / unchanged / not updated, by Excel row.
    # The confirmation checks the ledger still holds the "before" of every row it applies.
    preview = models.JSONField(_("更新预览"), default=dict, blank=True)
    first_problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(_("错误摘要"), default=list, blank=True)
    warnings = models.JSONField(_("提示"), default=list, blank=True)
    error_file = models.FileField(
        _("错误报告"), upload_to=ledger_import_upload_to, max_length=200, blank=True
    )

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["uploaded_by", "-created_at"], name="ledger_import_by_user"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"
