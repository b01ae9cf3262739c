"""The campaign and its rhythm (DESIGN.md: 周调度、月通报、季考评).

A campaign has phases and its structure (the four projects and their actions); tasks issued by
a unit (the bureau, or a county for its schools) reach the units below it of the chosen
categories and stages (分类指导) as one assignment each; every unit submits its own
implementation plan (具体实施方案) to the level above; every week each unit files one weekly
report pre-filled from the data the system already holds (报一次).
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core import registry
from qingfeng.core.attachments import Attachment
from qingfeng.orgs.models import Person, Unit, User


class Campaign(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    owner = models.ForeignKey(
        Unit, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    plan_points = models.TextField(_("实施方案要点"), blank=True)
    # 0 = Monday: the weekly report of a week is due on this weekday of the next week (the
    # next working day when that day is not one).
    report_due_weekday = models.PositiveSmallIntegerField(_("周报截止（星期）"), default=1)
    narrative_cap = models.PositiveSmallIntegerField(_("周报文字上限"), default=500)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("专项工作")
        verbose_name_plural = _("专项工作")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(report_due_weekday__lte=6), name="campaigns_due_weekday"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="campaigns_dates"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Phase(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("阶段"), max_length=50)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))

    class Meta:
        ordering = ["campaign_id", "starts_on", "id"]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """The campaign's structure: a project (靶向攻坚) and its actions (三张清单 …)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="projects")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    name = models.CharField(_("名称"), max_length=50)
    summary = models.CharField(_("内容"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign_id", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """A task issued by `issuer` to the units below it of the given categories and stages."""

    class Kind(models.TextChoices):
        COMMON = "common", _("共性要求")
        INDIVIDUAL = "individual", _("个性指标")

    class Evidence(models.TextChoices):
        """The campaign's own evidence; other apps add theirs to the registry
        (`registry.task_evidence`: a study session of a type held, a list's problems
        closed), kept in `evidence` by their key with `evidence_option` saying of what."""

        CONFIRM = "confirm", _("单位确认完成")
        PLAN = "plan", _("实施方案获批")
        WEEKLY = "weekly", _("按时报送周报")
        UPLOAD = "upload", _("上传佐证材料")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    issuer = models.ForeignKey(
        Unit, verbose_name=_("下达单位"), on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("所属项目"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("任务"), max_length=100)
    requirement = models.TextField(_("要求"))
    # [] = every category / stage / post type.
    categories = models.JSONField(_("单位类别"), default=list)
    stages = models.JSONField(_("学段"), default=list)
    post_types = models.JSONField(_("人员岗位"), default=list)
    due_workdays = models.PositiveSmallIntegerField(_("完成时限（工作日）"))
    due_on = models.DateField(_("截止日期"))
    # One of `Evidence`, or the key of a registered `TaskEvidence` (no fixed choices: the
    # apps installed say which there are).
    evidence = models.CharField(_("完成依据"), max_length=30)
    # What a registered evidence is about (a session type's code, a problem list), and how many
    # a unit must reach where the evidence does not say (sessions held).
    evidence_option = models.CharField(_("依据对象"), max_length=50, blank=True)
    evidence_target = models.PositiveSmallIntegerField(_("须达到（次）"), default=1)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["campaign_id", "due_on", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def audience_label(self) -> str:
        """The units it reaches as the pages say it: 学校 · 小学、初中 (全部 for every one)."""
        categories = _labels(self.categories, Unit.Category) or str(_("全部"))
        stages = _labels(self.stages, Unit.Stage)
        return f"{categories} · {stages}" if stages else categories

    @property
    def post_types_label(self) -> str:
        """人员岗位 as the pages say it: 领导干部、党员教师 ('' for every post)."""
        return _labels(self.post_types, Person.PostType)

    @property
    def registered_evidence(self) -> registry.TaskEvidence | None:
        """The app's evidence this task is done by, when it is not one of the campaign's own."""
        if self.evidence in self.Evidence.values:
            return None
        return registry.task_evidence_for(self.evidence)

    @property
    def evidence_label(self) -> str:
        """完成依据 as the pages say it: 举行学习：理论中心组学习（至少 2 次）."""
        if self.evidence in self.Evidence.values:
            return str(self.Evidence(self.evidence).label)
        found = self.registered_evidence
        if found is None:
            return self.evidence
        option = dict(found.options()).get(self.evidence_option, self.evidence_option)
        text = f"{found.label}：{option}" if option else str(found.label)
        if found.counted:
            text += str(_("（至少 %(n)d 次）") % {"n": self.evidence_target})
        return text


def _labels(values: list[str], choices: type[models.TextChoices]) -> str:
    names = dict(choices.choices)
    return "、".join(str(names.get(value, value)) for value in values)


class Assignment(models.Model):
    """A task as one unit has it: done by the evidence the task names."""

    class Status(models.TextChoices):
        OPEN = "open", _("未完成")
        DONE = "done", _("已完成")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("完成情况"), max_length=200, blank=True)

    class Meta:
        ordering = ["task_id", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit"], name="campaigns_assignment_once")
        ]
        indexes = [models.Index(fields=["unit", "status"], name="campaigns_assignment_unit")]

    def __str__(self) -> str:
        return f"{self.task_id}:{self.unit_id}"


class UnitPlan(models.Model):
    """A unit's own implementation plan, decided by the level above (approve / return)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已批准")
        RETURNED = "returned", _("已退回")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="plans")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    points = models.TextField(_("方案要点"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="campaigns_plan_once")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.unit_id}"


class PlanEvent(models.Model):
    plan = models.ForeignKey(UnitPlan, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.action}"


class WeeklyReport(models.Model):
    """One unit's report for one week (Monday–Sunday), filed once.

    `figures` is what the system said when the unit filed (the pre-fill, kept as it stood);
    `corrections` what the unit changed, each with its reason — the figure shown is the
    correction where there is one. A report filed after `due_on` is late, and a filed report
    is locked once its due day is over."""

    class Status(models.TextChoices):
        FILED = "filed", _("已报送")
        APPROVED = "approved", _("已审核")
        RETURNED = "returned", _("已退回")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField(_("周次（周一）"))
    due_on = models.DateField(_("报送截止"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    figures = models.JSONField(_("系统数据"), default=dict)
    corrections = models.JSONField(_("更正"), default=dict)
    narrative = models.TextField(_("工作进展"), blank=True)
    next_week = models.TextField(_("下周重点"), blank=True)
    filed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("报送时间"))
    late = models.BooleanField(_("逾期报送"), default=False)
    # How many inputs the person filled in (corrections, texts): the burden meter.
    fields_filled = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week_start", "unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "week_start"], name="campaigns_report_once"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "week_start", "unit"], name="campaigns_report_week")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.week_start}"


class ReportEvent(models.Model):
    report = models.ForeignKey(WeeklyReport, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["report_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.action}"


class WeeklyReminder(models.Model):
    """A reminder the daily sweep sent to a unit that had not filed a week's report: before
    its due day (催报) or after it (逾期通知), each once per unit and week (the unique key)."""

    class Stage(models.TextChoices):
        REMIND = "remind", _("截止前催报")
        LATE = "late", _("逾期通知")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reminders")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField(_("周次（周一）"))
    stage = models.CharField(_("阶段"), max_length=10, choices=Stage.choices)
    due_on = models.DateField(_("报送截止"))
    recipients = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("周报催报")
        verbose_name_plural = _("周报催报")
        ordering = ["-week_start", "unit_id", "stage"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "week_start", "stage"], name="campaigns_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.week_start} {self.stage}"


class CampaignFile(Attachment):
    """A file a unit gives where nothing in the system can show the work: its implementation
    plan (实施方案), evidence of a task or of a weekly report, and — in the registers below —
    a rule's text or a meeting's minutes. Kept, never deleted (DESIGN.md §4)."""

    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", _("专项工作实施方案")
        PLAN = "plan", _("实施方案")
        ASSIGNMENT = "assignment", _("任务佐证")
        REPORT = "report", _("周报佐证")
        RULE = "rule", _("制度文本")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    plan = models.ForeignKey(
        UnitPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    report = models.ForeignKey(
        WeeklyReport, null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    rule = models.ForeignKey(
        "Rule", null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    file = models.FileField(_("文件"), upload_to="campaigns/files/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("专项工作附件")
        verbose_name_plural = _("专项工作附件")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["unit", "kind"], name="campaigns_file_unit")]


class Meeting(models.Model):
    """调度会: a unit's dispatch meeting — who attended, what was decided (议定事项), each item a
    tracked follow-up owned by a unit with a deadline; the next meeting opens with their status."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="meetings")
    unit = models.ForeignKey(
        Unit, verbose_name=_("召开单位"), on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField(_("召开日期"))
    title = models.CharField(_("会议名称"), max_length=100)
    attendees = models.TextField(_("参会人员"))
    summary = models.TextField(_("会议纪要"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("调度会")
        verbose_name_plural = _("调度会")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["unit", "held_on"], name="campaigns_meeting_unit")]

    def __str__(self) -> str:
        return self.title


class MeetingItem(models.Model):
    """议定事项: one decision of a meeting, owned by a unit, due on a day; done by its owner."""

    class Status(models.TextChoices):
        OPEN = "open", _("未完成")
        DONE = "done", _("已完成")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(_("议定事项"), max_length=200)
    unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("完成时限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("落实情况"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("议定事项")
        verbose_name_plural = _("议定事项")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["unit", "status"], name="campaigns_item_unit")]

    def __str__(self) -> str:
        return self.text


class Rule(models.Model):
    """制度清单: a rule a unit adopted or revised (建章立制), when, and the problems it answers;
    its text is a `CampaignFile` of kind rule."""

    class Kind(models.TextChoices):
        NEW = "new", _("新制定")
        REVISED = "revised", _("修订")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("制度名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    adopted_on = models.DateField(_("印发日期"))
    answers = models.TextField(_("针对的问题"), blank=True)
    # The ledger's problems the rule answers (its 建章立制), of the unit and the units below it.
    problems = models.ManyToManyField(
        "ledger.Problem", verbose_name=_("台账问题"), blank=True, related_name="+"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("制度")
        verbose_name_plural = _("制度清单")
        ordering = ["-adopted_on", "-id"]

    def __str__(self) -> str:
        return self.title


class Activity(models.Model):
    """阳光监督 and 四下基层 (issue §1b): a principal's reception day, the bureau's open week, a
    cadre's day as a class teacher or a home visit — who, where, when, what was found.

    An activity is announced ahead (planned: a reception day or an open week then has a public
    notice of when, where, who receives and how to come) and recorded once held; a planned one
    may be called off with a reason, which its notice then says. What people raised there is
    filed as tickets of the channel (`ActivityMatter`), so it is answered like any other."""

    class Kind(models.TextChoices):
        RECEPTION = "reception", _("校长接待日")
        OPEN_WEEK = "open_week", _("机关开放周")
        CLASS_TEACHER = "class_teacher", _("当一天班主任")
        HOME_VISIT = "home_visit", _("跟一次家访")

    class Status(models.TextChoices):
        PLANNED = "planned", _("已公告")
        HELD = "held", _("已举行")
        CANCELLED = "cancelled", _("已取消")

    # The kinds the public is invited to: their planned days are public notices.
    PUBLIC_KINDS = (Kind.RECEPTION, Kind.OPEN_WEEK)

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("活动"), max_length=15, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.HELD)
    held_on = models.DateField(_("日期"))
    # The last day of an open week; None for a one-day activity.
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    starts_at = models.TimeField(_("开始时间"), null=True, blank=True)
    ends_at = models.TimeField(_("结束时间"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=100)
    cadre = models.CharField(_("接待人或参加人"), max_length=50)
    how_to_come = models.CharField(_("参加方式"), max_length=200, blank=True)
    contact = models.CharField(_("咨询电话"), max_length=30, blank=True)
    found = models.TextField(_("发现的问题和群众诉求"), blank=True)
    raised = models.PositiveSmallIntegerField(_("群众反映事项（件）"), default=0)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("接待和下基层活动")
        verbose_name_plural = _("接待和下基层活动")
        ordering = ["-held_on", "-id"]
        indexes = [
            models.Index(fields=["unit", "held_on"], name="campaigns_activity_unit"),
            models.Index(fields=["status", "held_on"], name="campaigns_activity_notice"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("held_on")),
                name="campaigns_activity_dates",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.kind} {self.held_on}"

    @property
    def last_day(self) -> date:
        return self.ends_on or self.held_on

    @property
    def is_public(self) -> bool:
        return self.kind in self.PUBLIC_KINDS


class ActivityMatter(models.Model):
    """A matter raised at an activity, filed as a ticket of the channel (source 接待日): the
    ticket's number here, its receipt code only handed to the person, never kept."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="matters")
    ticket = models.CharField(_("工单编号"), max_length=20, unique=True)
    title = models.CharField(_("事项"), max_length=100)
    filed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("活动中群众反映事项")
        verbose_name_plural = _("活动中群众反映事项")
        ordering = ["activity_id", "filed_at", "id"]

    def __str__(self) -> str:
        return self.ticket
