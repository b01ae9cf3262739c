"""Oversight (督): supervision groups and their responsible supervisors, leaders' liaison
logs, conflict declarations, verifiable random draws (双随机) and sealed unannounced visits
(四不两直).

A sealed visit keeps its target only as ciphertext (`sealed_target`) and a commitment hash;
its `unit` stays empty until the visit starts, so no unit-scoped read can ever reach it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.attachments import Attachment
from qingfeng.core.fields import EncryptedTextField
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import Unit, User


class Event(models.Model):
    """A step in a record's life, as `core.lifecycle` writes it (the subject is the subclass's
    foreign key)."""

    action = models.CharField(max_length=30)
    # As long as the longest status of any subject (a round's "investigating").
    from_status = models.CharField(max_length=15, blank=True)
    to_status = models.CharField(max_length=15, blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.action


class Group(models.Model):
    """督导组: a leader and members with the supervisor role, by region and school stage."""

    name = models.CharField(_("名称"), max_length=100)
    owner = models.ForeignKey(
        Unit, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    leader = models.ForeignKey(
        User, verbose_name=_("组长"), on_delete=models.PROTECT, related_name="led_groups"
    )
    members = models.ManyToManyField(
        User, verbose_name=_("组员"), related_name="oversight_groups", blank=True
    )
    regions = models.ManyToManyField(
        Unit, verbose_name=_("督导区域"), related_name="oversight_groups"
    )
    stages = models.JSONField(_("督导学段"), default=list, blank=True)
    is_active = models.BooleanField(_("在任"), default=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("督导组")
        verbose_name_plural = _("督导组")
        ordering = ["-is_active", "id"]

    def __str__(self) -> str:
        return self.name

    def stage_labels(self) -> list[str]:
        return [str(Unit.Stage(s).label) for s in self.stages if s in Unit.Stage.values]


class Posting(models.Model):
    """挂牌督导: a responsible supervisor (责任督学) attached to a school."""

    group = models.ForeignKey(
        Group, verbose_name=_("督导组"), on_delete=models.PROTECT, related_name="postings"
    )
    supervisor = models.ForeignKey(
        User, verbose_name=_("责任督学"), on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        Unit, verbose_name=_("学校"), on_delete=models.PROTECT, related_name="+"
    )
    attached_at = models.DateTimeField(_("挂牌时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("挂牌督导")
        verbose_name_plural = _("挂牌督导")
        constraints = [
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(ended_at__isnull=True),
                name="oversight_one_supervisor_per_school",
            )
        ]

    def __str__(self) -> str:
        return f"{self.supervisor} → {self.school}"


class LiaisonLog(models.Model):
    """A liaison leader's (包片) work in one of their counties."""

    class Kind(models.TextChoices):
        RESEARCH = "research", _("调研走访")
        MEETING = "meeting", _("列席会议")
        GUIDANCE = "guidance", _("跟踪指导")

    leader = models.ForeignKey(
        User, verbose_name=_("领导"), on_delete=models.PROTECT, related_name="+"
    )
    county = models.ForeignKey(
        Unit, verbose_name=_("联系县区"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("方式"), max_length=20, choices=Kind.choices)
    happened_on = models.DateField(_("日期"))
    notes = models.TextField(_("情况记录"))
    follow_up = models.TextField(_("跟进事项"), blank=True)
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("包片工作记录")
        verbose_name_plural = _("包片工作记录")
        ordering = ["-happened_on", "-id"]

    def __str__(self) -> str:
        return f"{self.leader} · {self.unit} · {self.happened_on}"


class Conflict(models.Model):
    """回避声明: a person declares a conflict with a unit; draws never pick them for it."""

    person = models.ForeignKey(
        User, verbose_name=_("声明人"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("回避单位"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("回避事由"), max_length=200)
    declared_at = models.DateTimeField(_("声明时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回避声明")
        verbose_name_plural = _("回避声明")
        constraints = [
            models.UniqueConstraint(fields=["person", "unit"], name="oversight_conflict_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} ↔ {self.unit}"


class Draw(models.Model):
    """双随机: a committed pool and parameters, two public values, a deterministic result."""

    class Status(models.TextChoices):
        COMMITTED = "committed", _("已承诺，待录入公开随机数")
        DRAWN = "drawn", _("已抽取")

    class Purpose(models.TextChoices):
        VISIT = "visit", _("四不两直督导")
        ROUND = "round", _("巡察随机抽查")
        SPOT = "spot", _("随机抽查")
        REVIEW = "review", _("巡察回头看抽查")

    number = models.CharField(_("编号"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    purpose = models.CharField(_("用途"), max_length=10, choices=Purpose.choices)
    owner = models.ForeignKey(
        Unit, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="draws"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    params = models.JSONField(_("抽取参数"))
    pool = models.JSONField(_("抽取池快照"))
    pool_hash = models.CharField(_("抽取池哈希"), max_length=64)
    seed = EncryptedTextField(_("服务器种子"))
    commitment = models.CharField(_("承诺值"), max_length=64, unique=True)
    value_note = models.CharField(_("公开随机数来源约定"), max_length=200)
    committed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    committed_at = models.DateTimeField(_("承诺时间"), default=timezone.now)
    result = models.JSONField(_("抽取结果"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("结果公开时间"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("随机抽取")
        verbose_name_plural = _("随机抽取")
        ordering = ["-committed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class DrawValue(models.Model):
    """One official's entry of an agreed public random value (four-eyes: two, by two people)."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="values")
    position = models.PositiveSmallIntegerField()
    value = models.CharField(_("公开随机数"), max_length=100)
    source = models.CharField(_("来源"), max_length=200)
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "position"], name="oversight_value_position"),
            models.UniqueConstraint(fields=["draw", "entered_by"], name="oversight_value_person"),
        ]

    def __str__(self) -> str:
        return self.value


class DrawEvent(Event):
    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="events")


CHECKLIST = {
    "discipline": _("工作纪律"),
    "fees": _("收费公示"),
    "materials": _("教辅征订"),
    "vehicles": _("公车使用"),
    "canteen": _("食堂"),
    "ethics": _("师德"),
}


class Visit(models.Model):
    """四不两直: a sealed visit plan and, once it starts, its record."""

    class Status(models.TextChoices):
        SEALED = "sealed", _("密封待督导")
        STARTED = "started", _("督导中")
        FINISHED = "finished", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    number = models.CharField(_("编号"), max_length=30, unique=True)
    group = models.ForeignKey(
        Group, verbose_name=_("督导组"), on_delete=models.PROTECT, related_name="visits"
    )
    draw = models.ForeignKey(
        Draw, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    planned_start = models.DateTimeField(_("计划开始时间"))
    reveal_minutes = models.PositiveSmallIntegerField(_("提前解封（分钟）"), default=30)
    team = models.ManyToManyField(User, verbose_name=_("督导人员"), related_name="+")
    checklist_items = models.JSONField(_("检查项目"), default=list)
    # The target as ciphertext and a commitment: SHA-256 of {"nonce", "unit"}.
    sealed_target = EncryptedTextField()
    commitment = models.CharField(_("承诺值"), max_length=64)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("督导对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    started_at = models.DateTimeField(_("到达时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("离开时间"), null=True, blank=True)
    met = models.TextField(_("见面人员"), blank=True)
    checklist = models.JSONField(_("检查结果"), default=dict, blank=True)
    summary = models.TextField(_("督导情况"), blank=True)
    deadline_workdays = models.PositiveSmallIntegerField(_("整改时限（工作日）"), default=10)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("督导")
        verbose_name_plural = _("督导")
        ordering = ["-planned_start", "-id"]

    def __str__(self) -> str:
        return self.number


class VisitEvent(Event):
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="events")


class Finding(models.Model):
    """A finding of a visit; on finishing it becomes a ledger problem (source 督导)."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="findings")
    item = models.CharField(_("检查项目"), max_length=20)
    text = models.TextField(_("发现问题"))
    fixed_on_spot = models.BooleanField(_("立行立改"), default=False)
    fix_note = models.TextField(_("现场整改情况"), blank=True)
    problem = models.OneToOneField(
        Problem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:30]


class FindingPhoto(Attachment):
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(_("照片"), upload_to="oversight/photos/%Y/%m/", max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]


class Round(models.Model):
    """巡察: a team's round of N days over fixed target units plus random checks, in phases."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("准备")
        STATIONED = "stationed", _("进驻")
        INVESTIGATING = "investigating", _("了解情况")
        REPORTING = "reporting", _("报告")
        FEEDBACK = "feedback", _("反馈")
        HANDOVER = "handover", _("移交")
        RECTIFYING = "rectifying", _("整改")
        REVIEW = "review", _("回头看")

    number = models.CharField(_("编号"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    owner = models.ForeignKey(
        Unit, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    mandate = models.TextField(_("巡察任务"))
    starts_on = models.DateField(_("进驻日期"))
    ends_on = models.DateField(_("结束日期"))
    duty_phone = models.CharField(_("值班电话"), max_length=30)
    postbox = models.CharField(_("意见箱地址"), max_length=100)
    rectification_months = models.PositiveSmallIntegerField(_("整改报告期限（月）"), default=2)
    targets = models.ManyToManyField(Unit, verbose_name=_("定点巡察单位"), related_name="+")
    draw = models.ForeignKey(
        Draw, null=True, blank=True, on_delete=models.PROTECT, related_name="rounds"
    )
    review_draw = models.ForeignKey(
        Draw, null=True, blank=True, on_delete=models.PROTECT, related_name="reviewed_rounds"
    )
    status = models.CharField(_("阶段"), max_length=15, choices=Status.choices)
    handed_over_on = models.DateField(_("移交日期"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("巡察")
        verbose_name_plural = _("巡察")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class RoundEvent(Event):
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="events")


class RoundMember(models.Model):
    class Role(models.TextChoices):
        LEADER = "leader", _("组长")
        DEPUTY = "deputy", _("副组长")
        MEMBER = "member", _("组员")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(
        User, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("职务"), max_length=10, choices=Role.choices)
    declared_at = models.DateTimeField(_("回避声明签署时间"), null=True, blank=True)
    declaration = models.TextField(_("回避声明"), blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="oversight_round_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class DocumentRequest(models.Model):
    """调阅资料: what the team asks a unit for, by when; the unit answers."""

    class Status(models.TextChoices):
        OPEN = "open", _("待提供")
        ANSWERED = "answered", _("已提供")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="requests")
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    what = models.TextField(_("调阅内容"))
    due_on = models.DateField(_("提供期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    response = models.TextField(_("提供情况"), blank=True)
    answered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.what[:30]


class ResponseFile(Attachment):
    """A file a unit provides with its answer to a document request (调阅资料)."""

    request = models.ForeignKey(DocumentRequest, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(_("文件"), upload_to="oversight/requests/%Y/%m/", max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]


class Interview(models.Model):
    """个别谈话: scheduled by the team; its notes are the team's only (encrypted at rest)."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="interviews")
    person = models.CharField(_("谈话对象"), max_length=100)
    scheduled_at = models.DateTimeField(_("谈话时间"))
    notes = EncryptedTextField(_("谈话记录"), blank=True, default="")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["scheduled_at", "id"]

    def __str__(self) -> str:
        return self.person


class ReceptionMember(models.Model):
    """迎接巡察工作领导小组: the unit's reception group, as the unit names it."""

    class Role(models.TextChoices):
        LEADER = "leader", _("组长")
        DEPUTY = "deputy", _("副组长")
        MEMBER = "member", _("组员")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="reception")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=50, blank=True)
    role = models.CharField(_("小组职务"), max_length=10, choices=Role.choices)

    class Meta:
        ordering = ["unit_id", "role", "id"]

    def __str__(self) -> str:
        return self.name


class RoundFinding(models.Model):
    """A finding of the round, or a unit's own self-check item (即知即改)."""

    class Kind(models.TextChoices):
        FINDING = "finding", _("巡察发现")
        SELF_CHECK = "self_check", _("自查即知即改")

    class Audience(models.TextChoices):
        LEADERSHIP = "leadership", _("向领导班子反馈")
        PRINCIPAL = "principal", _("向主要负责人反馈")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="findings")
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    audience = models.CharField(_("反馈对象"), max_length=12, choices=Audience.choices, blank=True)
    text = models.TextField(_("问题"))
    fix_note = models.TextField(_("整改情况"), blank=True)
    problem = models.OneToOneField(
        Problem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:30]


class Observer(models.Model):
    """作风建设观察员: a deputy, a parent or a journalist with read-only eyes on an area."""

    class Kind(models.TextChoices):
        DEPUTY = "deputy", _("人大代表")
        PARENT = "parent", _("家长代表")
        JOURNALIST = "journalist", _("媒体记者")

    user = models.ForeignKey(
        User, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(
        Unit, verbose_name=_("观察区域"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("身份"), max_length=12, choices=Kind.choices)
    affiliation = models.CharField(_("工作单位及职务"), max_length=100, blank=True)
    appointed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    appointed_at = models.DateTimeField(_("聘任时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("解聘时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("观察员")
        verbose_name_plural = _("观察员")
        ordering = ["-appointed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(ended_at__isnull=True),
                name="oversight_observer_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}"


class Participation(models.Model):
    """What an observer took part in: a visit joined, a round's open activity, a suggestion
    raised (the ticket it became). Counted for the bulletin by `unit`."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("参加督导")
        ROUND = "round", _("参加巡察公开活动")
        SUGGESTION = "suggestion", _("提出建议")

    observer = models.ForeignKey(Observer, on_delete=models.PROTECT, related_name="participations")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="observers"
    )
    round = models.ForeignKey(
        Round, null=True, blank=True, on_delete=models.PROTECT, related_name="observers"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.CharField(_("工单编号"), max_length=20, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    # When the observer was told the channel's answer to this suggestion (once).
    told_at = models.DateTimeField(_("告知答复时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["observer", "ticket"],
                condition=models.Q(kind="suggestion"),
                name="oversight_suggestion_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.observer} · {self.get_kind_display()}"
