"""Learning (学): study sessions with their cadence and attendance, leave and make-up (补课),
self-examination (五查五看) into the ledger, pledges (承诺践诺), and the typical-case library.

Study is judged on sessions held and attendance, never on photos or notes (the 2024 rules
against formalism): nothing here stores a photo, and no score reads the minutes' length.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import Person, Unit, User


class SessionType(models.Model):
    """A kind of study session and the cadence the campaign requires of each unit."""

    class Cadence(models.TextChoices):
        PER_MEETING = "per_meeting", _("每次会议")
        MONTHLY = "monthly", _("每月")
        QUARTERLY = "quarterly", _("每季度")
        FREE = "free", _("不定期")

    class Audience(models.TextChoices):
        ALL = "all", _("全体干部职工")
        PARTY = "party", _("全体党员")
        LEADERS = "leaders", _("领导班子成员")
        COMMITTEE = "committee", _("支委委员")

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    cadence = models.CharField(_("频次"), max_length=20, choices=Cadence.choices)
    minimum = models.PositiveSmallIntegerField(_("每期至少次数"), default=1)
    audience = models.CharField(_("参加人员"), max_length=20, choices=Audience.choices)
    # Narrows the audience to these post types (Person.PostType values); empty: every post
    # type. 党员教师 only = audience 全体党员 + [专任教师, 党员教师]; 教辅人员 = 全体 + [教辅人员].
    post_types = models.JSONField(_("岗位类型"), default=list, blank=True)
    # A meeting whose first item must be study (第一议题): a held one without it is a gap.
    first_item_required = models.BooleanField(_("须有第一议题"), default=False)
    # Gap alert: this many working days before the period ends and nothing held yet.
    alert_workdays = models.PositiveSmallIntegerField(_("提前提醒（工作日）"), default=5)
    sort_order = models.IntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("学习类型")
        verbose_name_plural = _("学习类型")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("已计划")
        HELD = "held", _("已举行")
        CANCELLED = "cancelled", _("已取消")

    unit = models.ForeignKey(
        Unit, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    type = models.ForeignKey(
        SessionType, verbose_name=_("学习类型"), on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=100)
    chair = models.CharField(_("主持人"), max_length=50)
    topic = models.CharField(_("主题"), max_length=200)
    first_item = models.CharField(_("第一议题"), max_length=200, blank=True)
    materials = models.TextField(_("学习材料"), blank=True)
    # The post types the expected attendees were drawn by when the session was planned: the
    # type's, or fewer chosen by the organiser (empty: every post type). Kept on the session
    # so a later change of the type does not rewrite who was expected.
    post_types = models.JSONField(_("参加岗位"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    minutes = models.TextField(_("内容和主要观点"), blank=True)
    held_at = models.DateTimeField(_("记录时间"), null=True, blank=True)
    cases: models.ManyToManyField[Case, Any] = models.ManyToManyField(
        "Case", verbose_name=_("对照典型案例"), blank=True, related_name="sessions"
    )
    created_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("学习活动")
        verbose_name_plural = _("学习活动")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "starts_at"], name="learning_session_unit_day"),
            models.Index(fields=["unit", "type", "status"], name="learning_session_unit_type"),
        ]

    def __str__(self) -> str:
        return f"{self.type.name} {self.topic}"


class SessionEvent(models.Model):
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.action


class Attendance(models.Model):
    """One expected attendee of a session; the status is what the session found."""

    class Status(models.TextChoices):
        EXPECTED = "expected", _("应到")
        PRESENT = "present", _("出席")
        LATE = "late", _("迟到")
        LEAVE = "leave", _("请假")
        ABSENT = "absent", _("缺席")

    class Via(models.TextChoices):
        NONE = "", _("—")
        SCAN = "scan", _("扫码签到")
        LIST = "list", _("组织者勾选")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("出勤"), max_length=10, choices=Status.choices, default=Status.EXPECTED
    )
    via = models.CharField(max_length=10, choices=Via.choices, blank=True, default="")
    marked_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    # The phone that scanned (a random id kept in a signed cookie): one device per person.
    device = models.CharField(max_length=64, blank=True, default="")
    leave_reason = models.CharField(_("请假事由"), max_length=200, blank=True)
    leave_asked_at = models.DateTimeField(_("请假时间"), null=True, blank=True)
    leave_decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leave_approved = models.BooleanField(_("准假"), null=True, blank=True)
    # Why an absentee missed the session (缺席原因), entered by the organiser for the minutes.
    absence_reason = models.CharField(_("缺席原因"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("出勤")
        verbose_name_plural = _("出勤")
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="learning_att_once"),
            models.UniqueConstraint(
                fields=["session", "device"],
                condition=~models.Q(device=""),
                name="learning_att_one_device",
            ),
        ]
        indexes = [models.Index(fields=["person", "session"], name="learning_att_person")]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.session_id}"


class Makeup(models.Model):
    """补课 for an absence or a leave: study the materials and write a short note, or attend a
    later session; tracked to done."""

    class Kind(models.TextChoices):
        MATERIALS = "materials", _("自学材料并提交心得")
        LATER = "later", _("参加后续学习")

    class Status(models.TextChoices):
        OPEN = "open", _("待补课")
        DONE = "done", _("已补课")

    attendance = models.OneToOneField(Attendance, on_delete=models.CASCADE, related_name="makeup")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("补课期限"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    kind = models.CharField(_("补课方式"), max_length=20, choices=Kind.choices, blank=True)
    note = models.TextField(_("补课心得"), blank=True)
    later_session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("补课")
        verbose_name_plural = _("补课")
        indexes = [models.Index(fields=["person", "status"], name="learning_makeup_person")]

    def __str__(self) -> str:
        return f"makeup {self.attendance_id}"


class SelfExam(models.Model):
    """A 五查五看 self-examination of a leadership team, a department or a person; the
    problems found are in the ledger (source 自查, source_ref = number)."""

    class Kind(models.TextChoices):
        LEADERSHIP = "leadership", _("领导班子")
        DEPARTMENT = "department", _("科室")
        PERSON = "person", _("个人")

    number = models.CharField(_("编号"), max_length=40, unique=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("对象"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("名称"), max_length=100)
    answers = models.JSONField(_("五查五看"), default=dict)
    comparisons = models.TextField(_("三个对照"), blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("五查五看自查")
        verbose_name_plural = _("五查五看自查")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return self.number


class Pledge(models.Model):
    """A pledge text (承诺书) for a post group, issued by the bureau for a year."""

    class Group(models.TextChoices):
        LEADERS = "leaders", _("领导干部")
        PARTY_TEACHERS = "party_teachers", _("党员教师")
        SUPPORT = "support", _("教辅人员")
        ALL = "all", _("全体教职工")

    issuer = models.ForeignKey(
        Unit, verbose_name=_("发布单位"), on_delete=models.PROTECT, related_name="+"
    )
    group = models.CharField(_("适用人员"), max_length=20, choices=Group.choices)
    title = models.CharField(_("标题"), max_length=100)
    text = models.TextField(_("承诺内容"))
    year = models.PositiveSmallIntegerField(_("年度"))
    # Each signature is due to be signed again this many months after it was signed (12: the
    # anniversary re-sign); the person is reminded and the unit sees who has not re-signed.
    resign_months = models.PositiveSmallIntegerField(_("重签周期（月）"), default=12)
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("承诺书")
        verbose_name_plural = _("承诺书")
        ordering = ["-year", "group", "id"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "group", "year"], name="learning_pledge_once")
        ]

    def __str__(self) -> str:
        return self.title


class Signature(models.Model):
    """One signing of a pledge by a person: the first (cycle 1), then each re-sign (2, 3 …)
    when the last one reached `renew_on`. The person's signature is the latest cycle."""

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="signatures")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("签署时间"), default=timezone.now)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    cycle = models.PositiveSmallIntegerField(_("签署次数"), default=1)
    renew_on = models.DateField(_("重签日期"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pledge", "person", "cycle"], name="learning_sign_once_per_cycle"
            )
        ]
        indexes = [models.Index(fields=["renew_on"], name="learning_sign_renew")]

    def __str__(self) -> str:
        return f"{self.person_id} signed {self.pledge_id}"


class Fulfilment(models.Model):
    """践诺 for a period (a quarter), and the unit's 评诺 of it."""

    class Rating(models.TextChoices):
        GOOD = "good", _("好")
        FAIR = "fair", _("较好")
        BASIC = "basic", _("一般")
        POOR = "poor", _("差")

    signature = models.ForeignKey(Signature, on_delete=models.PROTECT, related_name="reports")
    period = models.CharField(_("期间"), max_length=10)
    text = models.TextField(_("践诺情况"))
    problems = models.ManyToManyField(
        Problem, verbose_name=_("关联台账问题"), blank=True, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)
    rating = models.CharField(_("评诺"), max_length=10, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("评语"), max_length=200, blank=True)
    rated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["signature", "period"], name="learning_report_once")
        ]

    def __str__(self) -> str:
        return f"{self.signature_id} {self.period}"


class Case(models.Model):
    """A typical case (典型案例) for warning education."""

    class Category(models.TextChoices):
        GIFTS = "gifts", _("违规收送名贵特产和礼品礼金")
        DINING = "dining", _("违规吃喝")
        ALLOWANCES = "allowances", _("违规发放津补贴或福利")
        CEREMONIES = "ceremonies", _("违规操办婚丧喜庆")
        CARS = "cars", _("违规配备使用公务用车")
        TRAVEL = "travel", _("公款旅游")
        RECEPTION = "reception", _("超标准接待")
        FORMALISM = "formalism", _("形式主义官僚主义")
        MATERIALS = "materials", _("教辅材料违规征订")
        TUTORING = "tutoring", _("校外培训隐形变异")
        TITLES = "titles", _("职称评审不正之风")
        FEES = "fees", _("违规收费")
        ETHICS = "ethics", _("师德失范")
        OTHER = "other", _("其他")

    class Level(models.TextChoices):
        LOCAL = "local", _("本地")
        OTHER = "other", _("外地")
        NATIONAL = "national", _("全国通报")

    class Status(models.TextChoices):
        DRAFT = "draft", _("待脱敏")
        PENDING = "pending", _("待审核")
        PUBLISHED = "published", _("已入库")
        REJECTED = "rejected", _("未采用")

    number = models.CharField(_("编号"), max_length=30, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    facts = models.TextField(_("基本案情"))
    rules = models.TextField(_("违反规定"), blank=True)
    outcome = models.TextField(_("处理结果"), blank=True)
    lessons = models.TextField(_("警示意义"), blank=True)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    source_document = models.CharField(_("来源文件"), max_length=200, blank=True)
    occurred_on = models.DateField(_("时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    owner = models.ForeignKey(
        Unit, verbose_name=_("录入单位"), on_delete=models.PROTECT, related_name="+"
    )
    # The private link to the closed problem it came from (staff with rights only).
    source_problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Or a closed item of another app (registry.case_sources(): intake's tickets), by its
    # source key and id, and the unit it was about (the roster check); private like the above.
    source_kind = models.CharField(max_length=30, blank=True, default="")
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_number = models.CharField(max_length=40, blank=True, default="")
    source_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What a search reads: the text fields joined (the LIKE path), and their tokens.
    body = models.TextField(editable=False, default="")
    tokens = models.TextField(editable=False, default="")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("典型案例")
        verbose_name_plural = _("典型案例")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["status", "category"], name="learning_case_status")]

    def __str__(self) -> str:
        return self.title


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.action


class GapNotice(models.Model):
    """A gap already notified (once each): a unit behind a study type's cadence in a period
    (due soon, then missed), a make-up past its deadline, a pledge's quarterly report not
    filed near the quarter's end. `key` names the gap; the unique constraint is the "once"."""

    class Kind(models.TextChoices):
        CADENCE = "cadence", _("学习频次")
        MAKEUP = "makeup", _("补课逾期")
        FULFILMENT = "fulfilment", _("践诺未填报")
        RESIGN = "resign", _("承诺重签")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=100, unique=True)
    unit = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+")
    recipients = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("学习提醒")
        verbose_name_plural = _("学习提醒")

    def __str__(self) -> str:
        return self.key


class PledgeRating(models.Model):
    """评诺 by the people served: a unit's keeping of its pledges, rated anonymously on the
    public page (/rate/pledge/u/<unit>/) for a quarter. Nothing of the rater is kept: no
    address, no browser, no device — the device signal stays in the browser's own cookie and
    the address signal is a salted count in the cache (core/publicform)."""

    class Respondent(models.TextChoices):
        PARENT = "parent", _("家长")
        STUDENT = "student", _("学生")
        PUBLIC = "public", _("社会人士")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("期间"), max_length=10)
    rating = models.CharField(_("评诺"), max_length=10, choices=Fulfilment.Rating.choices)
    respondent = models.CharField(_("身份"), max_length=10, choices=Respondent.choices)
    # The page's random key: the same form posted twice counts once.
    idempotency_key = models.CharField(max_length=64, unique=True)
    created_on = models.DateField(default=timezone.localdate)

    class Meta:
        verbose_name = _("群众评诺")
        verbose_name_plural = _("群众评诺")
        indexes = [models.Index(fields=["unit", "period"], name="learning_prating_unit")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period} {self.rating}"
