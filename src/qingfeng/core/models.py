from __future__ import annotations

from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.fields import EncryptedTextField


class AuditEvent(models.Model):
    """One append-only, hash-chained entry of the audit trail.

    `hash` covers every other column and the previous row's hash, so changing or removing a
    row breaks the chain from there on; `manage.py verify_audit` names the first broken row.
    The database refuses UPDATE and DELETE on this table (triggers, see migrations).
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("成功")
        DENIED = "denied", _("拒绝")
        FAILURE = "failure", _("失败")

    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    unit = models.ForeignKey(
        settings.QF_UNIT_MODEL,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=80, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS
    )
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    source_ip = models.CharField(_("来源地址"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which of the chain's lanes the event was appended to (core/audit.py); empty for the
    # events written before the chain had lanes, which form one lane of their own.
    lane = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-id"]
        indexes = [models.Index(fields=["lane", "id"], name="core_audit_lane_id")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def chain_payload(self) -> dict[str, Any]:
        return {
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "unit_id": self.unit_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "outcome": self.outcome,
            "before": self.before,
            "after": self.after,
            "request_id": self.request_id,
            "source_ip": self.source_ip,
            "prev_hash": self.prev_hash,
            # Only a laned event hashes its lane, so the events from before lanes keep theirs.
            **({"lane": self.lane} if self.lane is not None else {}),
        }


class CalendarYear(models.Model):
    """A year whose official holiday schedule is known; without one, weekends only."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日安排年份")
        verbose_name_plural = _("节假日安排年份")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the plain Monday–Friday rule: a holiday on a weekday, or a
    make-up working day (调休上班) on a weekend."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("名称"), max_length=50, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Job(models.Model):
    """Work that must happen, recorded in the same transaction as its cause (DESIGN.md §4).

    The task queue only makes it prompt; `sweep_jobs` finishes what a killed worker left.
    Handlers are idempotent: running a job twice has the effect of running it once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=80)
    payload = models.JSONField(_("参数"), default=dict)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    not_before = models.DateTimeField(_("最早执行时间"), default=timezone.now)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    # Long work a person started and watches (core/progress.py): whose it is, what it is,
    # how far it got, what it says when it ends, and where its result is.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    label = models.CharField(_("任务名称"), max_length=200, blank=True)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    total = models.PositiveIntegerField(_("总量"), default=0)
    note = models.CharField(_("进度说明"), max_length=200, blank=True)
    outcome = models.CharField(_("结果说明"), max_length=500, blank=True)
    result_url = models.CharField(_("结果地址"), max_length=300, blank=True)
    result_file = models.FileField(_("结果文件"), upload_to="jobs/%Y/%m/", blank=True)
    result_name = models.CharField(_("结果文件名"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        indexes = [
            models.Index(fields=["status", "not_before"], name="core_job_due"),
            models.Index(fields=["owner", "-created_at"], name="core_job_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} {self.status}"


class WorkerHeartbeat(models.Model):
    """The task worker's last sign of life; `/healthz` reports its age."""

    name = models.CharField(max_length=100, unique=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = _("后台进程心跳")
        verbose_name_plural = _("后台进程心跳")

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """An in-app notification; SMS and e-mail are adapters that also read these rows."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="core_notif_unread")]

    def __str__(self) -> str:
        return self.title


class NotificationDelivery(models.Model):
    """One SMS or e-mail to send after commit (`core.notify`): sent once, retried with back-off
    while the gateway fails; the address is kept encrypted and only until the row is done."""

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("电子邮件")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    key = models.CharField(max_length=120, unique=True, editable=False)
    notification = models.ForeignKey(
        Notification,
        verbose_name=_("通知"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    address = EncryptedTextField(_("地址"), blank=True, default="")
    text = models.CharField(_("内容"), max_length=500)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知发送记录")
        verbose_name_plural = _("通知发送记录")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.channel}#{self.pk} {self.status}"


class Escalation(models.Model):
    """催办 → 督办 → 提级督办: each stage once per row and due date, recorded.

    The row is any app's: `subject` names its model (as the audit trail does, "ledger.problem")
    and `object_id` its key; `recipients` are the ids of the users notified."""

    class Stage(models.TextChoices):
        REMIND = "remind", _("催办")
        NOTICE = "notice", _("督办")
        ESCALATE = "escalate", _("提级督办")

    subject = models.CharField(_("对象类型"), max_length=80)
    object_id = models.PositiveBigIntegerField(_("对象编号"))
    stage = models.CharField(_("阶段"), max_length=10, choices=Stage.choices)
    due = models.DateField(_("针对的期限"))
    recipients = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("催办督办")
        verbose_name_plural = _("催办督办")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "object_id", "stage", "due"], name="core_escalation_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject}#{self.object_id} {self.stage}"


class DeadlineChangeBase(models.Model):
    """A change of a row's deadline once set: who, when, from what to what, and why (the
    ledger's problems, the intake's tickets). Abstract: each app adds the key to its row (a
    foreign key named `subject_field`, related name `deadline_changes`), says what `old` and
    `new` are in its words, and its Meta (ordering and the index on the key and the time)."""

    subject_field: str  # the name of the key to the row whose deadline changed

    old = models.DateField(_("原期限"), null=True, blank=True)
    new = models.DateField(_("新期限"), null=True, blank=True)
    reason = models.CharField(_("变更理由"), max_length=200)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("变更人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("变更时间"), default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{getattr(self, f'{self.subject_field}_id')}: {self.old} → {self.new}"
