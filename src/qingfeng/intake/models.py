"""The public supervision channel (作风建设直通车): tickets from the web form, the hotline,
letters and visits, in one life cycle with decision rows.

Reporter protection is in the data: name and phone are encrypted (AES-GCM) with a blind
index for the phone; no network address or user agent is ever stored on a ticket; the receipt
code exists only as a keyed hash.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.attachments import Attachment
from qingfeng.core.fields import EncryptedTextField
from qingfeng.core.models import DeadlineChangeBase
from qingfeng.core.search import TextIndex
from qingfeng.core.tally import Rollup, Tally
from qingfeng.orgs.models import Unit, User


class TicketCategory(models.Model):
    """What a ticket is about; each category has its own working-day deadlines."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    keywords = models.TextField(_("关键词"), blank=True, help_text=_("用于自动推荐类别，每行一个"))
    accept_days = models.PositiveSmallIntegerField(_("受理时限（工作日）"), default=1)
    reply_days = models.PositiveSmallIntegerField(_("办结时限（工作日）"), default=15)
    sort_order = models.IntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("反映类别")
        verbose_name_plural = _("反映类别")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


# The queue's free-text filter: title and content, narrowed by this index (core/search.py).
TICKET_SEARCH = TextIndex(table="intake_ticket", columns=("title", "content"))


class Ticket(models.Model):
    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("投诉")
        REPORT = "report", _("举报")
        SUGGESTION = "suggestion", _("意见建议")

    class Channel(models.TextChoices):
        WEB = "web", _("网上平台")
        PHONE = "phone", _("24小时热线")
        LETTER = "letter", _("来信")
        VISIT = "visit", _("来访")
        EVALUATION = "evaluation", _("群众评议转办")
        OBSERVER = "observer", _("观察员建议")
        RECEPTION = "reception", _("接待日")

    class Status(models.TextChoices):
        RECEIVED = "received", _("已提交")
        ACCEPTED = "accepted", _("已受理")
        DECLINED = "declined", _("不予受理")
        ASSIGNED = "assigned", _("已转办")
        HANDLING = "handling", _("办理中")
        REPLIED = "replied", _("已办结")
        CLOSED = "closed", _("已关闭")
        MERGED = "merged", _("已合并")

    number = models.CharField(_("工单编号"), max_length=20, unique=True)
    receipt_hash = models.CharField(max_length=64, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    channel = models.CharField(
        _("渠道"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    category = models.ForeignKey(
        TicketCategory, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="tickets"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("反映对象单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handling_unit = models.ForeignKey(
        Unit,
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    handler = models.ForeignKey(
        User,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("标题"), max_length=100)
    content = models.TextField(_("反映内容"))
    # The queue's free-text filter's index (core/search.py): NULL until the refresh fills it.
    search_tokens = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001 - NULL = stale
    occurred = models.CharField(_("发生时间"), max_length=50, blank=True)
    named_person = models.CharField(_("被反映人"), max_length=100, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=True)
    reporter_name = EncryptedTextField(_("反映人姓名"), blank=True, default="")
    reporter_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    reporter_phone_index = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    accept_due = models.DateField(_("受理期限"), null=True, blank=True)
    reply_due = models.DateField(_("办结期限"), null=True, blank=True)
    # When the reply deadline last changed (its history: DeadlineChange); None: never since
    # filing. A past period's figures read the history only for the rows changed since.
    reply_due_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    light = models.CharField(_("预警灯"), max_length=10, blank=True, default="")
    urgency = models.PositiveSmallIntegerField(default=3, editable=False)
    due_key = models.DateField(default=date.max, editable=False)
    master = models.ForeignKey(
        "self",
        verbose_name=_("合并到"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    problem = models.ForeignKey(
        "ledger.Problem",
        verbose_name=_("台账问题"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    redo_count = models.PositiveSmallIntegerField(_("发回重办次数"), default=0)
    entered_by = models.ForeignKey(
        User,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    idempotency_key = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    replied_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        indexes = [
            models.Index(fields=["urgency", "due_key", "id"], name="intake_ticket_urgency"),
            models.Index(fields=["handling_unit", "status"], name="intake_ticket_unit_status"),
            models.Index(fields=["unit", "created_at"], name="intake_ticket_unit_created"),
            models.Index(fields=["status", "created_at"], name="intake_ticket_status"),
            # The queue's light counts read this index alone (scope and light are in it).
            models.Index(
                fields=["status", "light", "unit", "handling_unit", "handler"],
                name="intake_ticket_light_counts",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="intake_ticket_rating_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class TicketTally(models.Model):
    """How many tickets there are of each unit, handling unit, handler, status and light,
    kept exact by triggers on the ticket table in the same transaction as every change
    (core/tally.py). The queue's light counts read these rows, not the tickets. 0 stands for
    "none" (a ticket with no unit yet, not assigned, no handler)."""

    unit_id = models.IntegerField()
    handling_unit_id = models.IntegerField()
    handler_id = models.IntegerField()
    status = models.CharField(max_length=12)
    urgency = models.PositiveSmallIntegerField()
    n = models.IntegerField(default=0)
    # How much of `n` is already added into the subtree sums (TicketSubtreeTally) of the units
    # above the reported and the handling unit; the next fold adds the rest (core/tally.py).
    folded = models.IntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("工单计数")
        verbose_name_plural = _("工单计数")
        constraints = [
            models.UniqueConstraint(
                fields=["unit_id", "handling_unit_id", "handler_id", "status", "urgency"],
                name="intake_tally_key",
            )
        ]
        indexes = [
            # The rows not yet folded into the subtree sums: few, read with every subtree sum.
            models.Index(
                fields=["unit_id"], name="intake_tally_unfolded", condition=~Q(n=F("folded"))
            ),
            # A handler's own tickets, which may lie outside their scope (intake/cards.py).
            models.Index(fields=["handler_id", "status"], name="intake_tally_handler"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.handling_unit_id}/{self.handler_id} {self.status}: {self.n}"


class TicketSubtreeTally(models.Model):
    """TicketTally summed over each unit's subtree: the row of (`unit`, status, light) counts
    the tickets about or handled in the unit or any unit below it (each ticket once, whichever
    of its two units lie there), so the home page reads one row per unit in view and
    combination, not every ticket tally row below it: the counts folded so far
    (TicketTally.folded); a reader adds the rest (core/tally.py Rollup)."""

    unit_id = models.IntegerField()
    status = models.CharField(max_length=12)
    urgency = models.PositiveSmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("工单下级合计")
        verbose_name_plural = _("工单下级合计")
        constraints = [
            models.UniqueConstraint(
                fields=["unit_id", "status", "urgency"], name="intake_subtree_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.status} {self.urgency}: {self.n}"


TICKET_TALLY = Tally(
    source="intake_ticket",
    table="intake_tickettally",
    columns=("unit_id", "handling_unit_id", "handler_id", "status", "urgency"),
    nullable=("unit_id", "handling_unit_id", "handler_id"),
    rollup=Rollup(
        table="intake_ticketsubtreetally",
        units=Unit._meta.db_table,
        ancestors=Unit.path_ids,
        also=("handling_unit_id",),
        keep=("status", "urgency"),
    ),
)


class TicketEvent(models.Model):
    """A decision or step in the ticket's life: who, when, from what to what, and why.

    `public` events appear on the reporter's follow-up page (without the actor's name)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=30)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("说明"), blank=True)
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("工单流转记录")
        verbose_name_plural = _("工单流转记录")
        ordering = ["ticket_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action}"


class DeadlineChange(DeadlineChangeBase):
    """A change of a ticket's reply deadline after filing (restarted at acceptance, set at
    assignment, restarted by a redo or an escalation): who, when, from what to what, and why.
    The acceptance deadline is fixed at filing and never changes."""

    subject_field = "ticket"
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="deadline_changes")
    old = models.DateField(_("原办结期限"), null=True, blank=True)
    new = models.DateField(_("新办结期限"), null=True, blank=True)

    class Meta:
        ordering = ["ticket_id", "changed_at", "id"]
        indexes = [models.Index(fields=["ticket", "changed_at"], name="intake_deadline_change")]


class TicketMessage(models.Model):
    class Author(models.TextChoices):
        REPORTER = "reporter", _("反映人")
        STAFF = "staff", _("工作人员")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("内容"))
    internal = models.BooleanField(_("内部备注"), default=False)  # never shown to the reporter
    is_reply = models.BooleanField(_("办结答复"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("工单留言")
        verbose_name_plural = _("工单留言")
        ordering = ["ticket_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.author_kind}"


class TicketAttachment(Attachment):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to="intake/%Y/%m/")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("工单附件")
        verbose_name_plural = _("工单附件")


class IdentityReveal(models.Model):
    """Every look at a reporter's identity: who, when, why (also in the audit trail)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="reveals")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("查看原因"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("身份信息查看记录")
        verbose_name_plural = _("身份信息查看记录")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.actor_id}"


class TicketSignature(models.Model):
    """A ticket's MinHash signature (similarity.py): 32 bins of 32 bits, packed big-endian.
    Kept so the band keys can be rebuilt without reading the text again; `version` says which
    algorithm made it (the backfill recomputes older ones)."""

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="signature"
    )
    version = models.PositiveSmallIntegerField()
    minhash = models.BinaryField(max_length=512)
    shingle_count = models.PositiveIntegerField()
    # The facts read from the text (people, amounts, grades, practices, words): a new
    # ticket's check compares them without running the tokenizer over every candidate again.
    facts = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("工单相似度签名")
        verbose_name_plural = _("工单相似度签名")

    def __str__(self) -> str:
        return f"{self.ticket_id} v{self.version}"


class TicketBand(models.Model):
    """One LSH band key of a ticket's signature. The key already mixes in a group — the
    ticket's unit, or "below" one of the units above it up to its county (similarity.py) —
    and the ticket's creation time is copied here, so "this group, this key, last 90 days"
    is one range on the (band_key, created_at, ticket) index — the ticket id comes from the
    index too."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    band_key = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("工单相似度分桶")
        verbose_name_plural = _("工单相似度分桶")
        indexes = [
            models.Index(fields=["band_key", "created_at", "ticket"], name="intake_band_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.band_key}"


class TicketDuplicateFlag(models.Model):
    """A suspected duplicate found after the ticket was stored: the newer ticket points at
    the older one with the similarity (percent) and what the two have in common (同一学校、
    同一教师“李老师”、金额 200 元). A person confirms it with the merge."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="duplicate_flags")
    candidate = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("相似度（%）"))
    reason = models.CharField(_("相近之处"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("疑似重复工单")
        verbose_name_plural = _("疑似重复工单")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "candidate"], name="intake_dupe_once"),
            models.CheckConstraint(
                condition=~models.Q(ticket=models.F("candidate")), name="intake_dupe_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} ~ {self.candidate_id} {self.score}%"
