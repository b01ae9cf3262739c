from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.attachments import storage_name
from qingfeng.core.fields import EncryptedTextField, keyed_hash
from qingfeng.core.tally import Rollup, Tally
from qingfeng.lib.masking import mask_phone

PATH_SEGMENT = 8  # digits of a unit id in the materialised path: "00000001/00000042/"


class UnitQuerySet(models.QuerySet["Unit"]):
    def within(self, unit: Unit) -> UnitQuerySet:
        """`unit` and every unit below it: one LIKE '<path>%' on the path index."""
        return self.filter(unit.subtree_q(""))


class Unit(models.Model):
    """A node of the organisation tree (city bureau → departments; counties → schools).

    `path` is the chain of ancestor ids including this unit, so "this unit and everything
    below" is `path LIKE '<path>%'` on one index. Only `orgs.actions` changes the tree. The
    tree questions are asked here (`is_within`, `contains`, `ancestor_ids`, `subtree_q`,
    `Unit.objects.within`), not by comparing paths by hand.
    """

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("市教育局")
        DEPARTMENT = "department", _("科室")
        COUNTY = "county", _("县区教育局")
        SCHOOL = "school", _("学校")
        KINDERGARTEN = "kindergarten", _("幼儿园")
        RESEARCH = "research", _("教研机构")
        AFFILIATED = "affiliated", _("直属单位")
        OTHER = "other", _("其他单位")

    class Category(models.TextChoices):
        ORGAN = "organ", _("机关")
        SCHOOL = "school", _("学校")
        RESEARCH = "research", _("教研机构")

    class Stage(models.TextChoices):
        NONE = "", _("不适用")
        PRESCHOOL = "preschool", _("学前")
        PRIMARY = "primary", _("小学")
        JUNIOR = "junior", _("初中")
        NINE_YEAR = "nine_year", _("九年一贯制")
        SENIOR = "senior", _("高中")
        COMPLETE = "complete", _("完全中学")
        VOCATIONAL = "vocational", _("中职")
        SPECIAL = "special", _("特殊教育")

    class Locale(models.TextChoices):
        NONE = "", _("不适用")
        URBAN = "urban", _("城区")
        RURAL = "rural", _("农村")

    name = models.CharField(_("单位名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    aliases = models.CharField(
        _("别名"), max_length=300, blank=True, help_text=_("多个别名用逗号或顿号分隔")
    )
    code = models.CharField(_("单位编码"), max_length=32, unique=True)
    kind = models.CharField(_("单位类型"), max_length=20, choices=Kind.choices)
    category = models.CharField(_("单位类别"), max_length=20, choices=Category.choices)
    stage = models.CharField(_("学段"), max_length=20, choices=Stage.choices, blank=True)
    locale = models.CharField(_("城乡"), max_length=10, choices=Locale.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    sort_order = models.IntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' under any
            # collation; other databases ignore the opclass and get a plain index.
            models.Index(
                fields=["path"], name="orgs_unit_path_like", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["parent", "sort_order"], name="orgs_unit_children"),
            models.Index(fields=["kind"], name="orgs_unit_kind"),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def segment(pk: int) -> str:
        return f"{pk:0{PATH_SEGMENT}d}/"

    def alias_list(self) -> list[str]:
        return [
            a.strip()
            for a in self.aliases.replace("、", ",").replace("，", ",").split(",")
            if a.strip()
        ]

    @staticmethod
    def path_is_within(path: str, root: str) -> bool:
        """Whether the unit at `path` is the one at `root` or below it. Every segment ends in
        "/", so a unit is never taken for the child of one whose id begins its own id."""
        return path.startswith(root)

    def is_within(self, other: Unit) -> bool:
        """This unit is `other` or lies below it."""
        return Unit.path_is_within(self.path, other.path)

    def contains(self, other: Unit) -> bool:
        """`other` is this unit or lies below it."""
        return other.is_within(self)

    def ancestor_ids(self, *, include_self: bool = False) -> list[int]:
        """The ids of the units above this one, the root first, read from the path (no query)."""
        ids = Unit.path_ids(self.path)
        return ids if include_self else ids[:-1]

    @staticmethod
    def path_ids(path: str) -> list[int]:
        """The ids of the unit at `path` and of every unit above it, the root first."""
        return [int(segment) for segment in path.split("/") if segment]

    @property
    def parent_path(self) -> str:
        """The path of the unit above, "" for a root (read from the path: no query)."""
        return Unit.path_parent(self.path)

    @staticmethod
    def path_parent(path: str) -> str:
        """`parent_path` for the unit at the path `path`."""
        return path[: path[:-1].rfind("/") + 1]

    def subtree_q(self, field: str = "unit") -> Q:
        """Rows whose `field` (a foreign key to Unit; "" for units themselves) is this unit or
        lies below it."""
        return Unit.path_subtree_q(self.path, field)

    @staticmethod
    def path_subtree_q(root: str, field: str = "unit") -> Q:
        """`subtree_q` for the unit at the path `root`."""
        lookup = f"{field}__path__startswith" if field else "path__startswith"
        return Q(**{lookup: root})


class User(AbstractUser):
    """A login account. Whatever a user may see follows from their role assignments."""

    must_change_password = models.BooleanField(_("须修改密码"), default=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    totp_secret = EncryptedTextField(_("动态口令密钥"), blank=True, default="")
    totp_confirmed_at = models.DateTimeField(_("动态口令启用时间"), null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")

    def __str__(self) -> str:
        person = getattr(self, "person", None)
        return person.name if person is not None else self.get_username()

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None


class Person(models.Model):
    class PostType(models.TextChoices):
        LEADER = "leader", _("领导干部")
        MIDDLE = "middle", _("中层干部")
        PARTY_TEACHER = "party_teacher", _("党员教师")
        TEACHER = "teacher", _("专任教师")
        SUPPORT = "support", _("教辅人员")
        STAFF = "staff", _("普通教职工")
        CIVIL = "civil", _("机关工作人员")
        OTHER = "other", _("其他")

    name = models.CharField(_("姓名"), max_length=50)
    unit = models.ForeignKey(
        Unit, verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="people"
    )
    post_type = models.CharField(_("岗位类型"), max_length=20, choices=PostType.choices)
    position = models.CharField(_("职务"), max_length=50, blank=True)
    is_party_member = models.BooleanField(_("中共党员"), default=False)
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    user = models.OneToOneField(
        User,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    is_active = models.BooleanField(_("在岗"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["unit_id", "id"]
        indexes = [
            models.Index(fields=["unit", "name"], name="orgs_person_unit_name"),
            # The home page's people counts of a scope read this index alone.
            models.Index(
                fields=["unit", "is_active", "is_party_member"], name="orgs_person_unit_active"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class PersonTally(models.Model):
    """How many people a unit has, active or not, party members or not, kept exact by triggers
    on the person table in the same transaction as every change (core/tally.py): a person
    created, moved to another unit, activated or deactivated, by an action, a roster import's
    bulk statements or anything else."""

    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    is_active = models.BooleanField()
    is_party_member = models.BooleanField()
    n = models.IntegerField(default=0)
    # How much of `n` is already added into the subtree sums (PersonSubtreeTally) of the unit
    # and the units above it; the rest is added by the next fold (core/tally.py Rollup).
    folded = models.IntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("人员计数")
        verbose_name_plural = _("人员计数")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "is_active", "is_party_member"], name="orgs_person_tally_key"
            )
        ]
        indexes = [
            # The rows not yet folded into the subtree sums: few, read with every subtree sum.
            models.Index(
                fields=["unit"], name="orgs_person_tally_unfolded", condition=~Q(n=F("folded"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.is_active} {self.is_party_member}: {self.n}"


class PersonSubtreeTally(models.Model):
    """PersonTally summed over each unit's subtree (the unit and every unit below it), so the
    home page counts the people of a scope from one row per scope root and combination, not
    from every person in it: the counts folded so far (PersonTally.folded); a reader adds the
    rest (core/tally.py Rollup)."""

    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    is_active = models.BooleanField()
    is_party_member = models.BooleanField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("人员下级合计")
        verbose_name_plural = _("人员下级合计")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "is_active", "is_party_member"], name="orgs_person_subtree_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.is_active} {self.is_party_member}: {self.n}"


PERSON_TALLY = Tally(
    source="orgs_person",
    table="orgs_persontally",
    columns=("unit_id", "is_active", "is_party_member"),
    rollup=Rollup(table="orgs_personsubtreetally", units="orgs_unit", ancestors=Unit.path_ids),
)


class UnitTally(models.Model):
    """How many units of each kind sit directly under a unit (`parent`; 0 for the units at
    the top), kept exact by triggers on the unit table in the same transaction as every
    change (core/tally.py): a unit created, moved under another, or given another kind."""

    parent = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    kind = models.CharField(max_length=20)
    n = models.IntegerField(default=0)
    # How much of `n` is already added into the subtree sums (UnitSubtreeTally) of the parent
    # and the units above it; the rest is added by the next fold (core/tally.py Rollup).
    folded = models.IntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("单位计数")
        verbose_name_plural = _("单位计数")
        constraints = [
            models.UniqueConstraint(fields=["parent", "kind"], name="orgs_unit_tally_key")
        ]
        indexes = [
            # The rows not yet folded into the subtree sums: few, read with every subtree sum.
            models.Index(
                fields=["parent"], name="orgs_unit_tally_unfolded", condition=~Q(n=F("folded"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.parent_id} {self.kind}: {self.n}"


class UnitSubtreeTally(models.Model):
    """UnitTally summed over each unit's subtree: the row of (`parent`, kind) counts the units
    of that kind anywhere below `parent` (not `parent` itself), so the home page counts the
    units of a scope from one row per scope root and kind, not from every unit in it: the
    counts folded so far (UnitTally.folded); a reader adds the rest (core/tally.py Rollup)."""

    parent = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    kind = models.CharField(max_length=20)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("单位下级合计")
        verbose_name_plural = _("单位下级合计")
        constraints = [
            models.UniqueConstraint(fields=["parent", "kind"], name="orgs_unit_subtree_key")
        ]

    def __str__(self) -> str:
        return f"{self.parent_id} {self.kind}: {self.n}"


# Each unit counted at its parent: a subtree sum is then the units below its unit.
UNIT_TALLY = Tally(
    source="orgs_unit",
    table="orgs_unittally",
    columns=("parent_id", "kind"),
    nullable=("parent_id",),
    rollup=Rollup(
        table="orgs_unitsubtreetally",
        units="orgs_unit",
        ancestors=Unit.path_ids,
        unit="parent_id",
    ),
)


class Role(models.TextChoices):
    BUREAU_ADMIN = "bureau_admin", _("局管理员")
    CAMPAIGN_OFFICE = "campaign_office", _("专项办")
    LEADER = "leader", _("分管领导")
    SUPERVISOR = "supervisor", _("督导组成员")
    INSPECTOR = "inspector", _("巡察组成员")
    UNIT_ADMIN = "unit_admin", _("单位管理员")
    STAFF = "staff", _("工作人员")
    HOTLINE_OPERATOR = "hotline_operator", _("热线接线员")
    OBSERVER = "observer", _("监督员")
    THIRD_PARTY = "third_party", _("第三方评估员")
    DISCIPLINE_INSPECTOR = "discipline_inspector", _("纪检监察员")
    AUDITOR = "auditor", _("安全审计员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")


class RoleAssignment(models.Model):
    """A role held over a unit subtree. Revoked, never deleted, so history stays."""

    user = models.ForeignKey(
        User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("管辖范围"), on_delete=models.PROTECT, related_name="role_assignments"
    )
    granted_by = models.ForeignKey(
        User,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("授权时间"), default=timezone.now)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=models.Q(revoked_at__isnull=True),
                name="orgs_role_unique_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


class Liaison(models.Model):
    """包片: a leader's assigned county (each leader has one or two)."""

    leader = models.ForeignKey(
        User, verbose_name=_("领导"), on_delete=models.CASCADE, related_name="liaisons"
    )
    county = models.ForeignKey(
        Unit, verbose_name=_("联系县区"), on_delete=models.PROTECT, related_name="liaisons"
    )
    assigned_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(_("分配时间"), default=timezone.now)

    class Meta:
        verbose_name = _("领导包片")
        verbose_name_plural = _("领导包片")
        constraints = [
            models.UniqueConstraint(fields=["leader", "county"], name="orgs_liaison_unique")
        ]

    def __str__(self) -> str:
        return f"{self.leader} → {self.county}"


class LoginThrottle(models.Model):
    """Failed sign-ins per user name (known or not, so lockout reveals nothing).

    The name is kept as a keyed hash (`key_for`): what is typed into the name field of a
    failed sign-in is often a password, and must not be readable here."""

    username_key = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")

    def __str__(self) -> str:
        return self.username_key

    @staticmethod
    def key_for(username: str) -> str:
        """The row's key for a typed user name: case and surrounding spaces do not count."""
        return "name:" + keyed_hash(username.strip().lower())[:40]


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, the token is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=60)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


def roster_upload_to(instance: RosterImport, filename: str) -> str:
    # The stored name never comes from the user; the original name is kept in a column.
    return f"roster/{timezone.now():%Y/%m}/{storage_name('.xlsx')}"


class RosterImport(models.Model):
    """One uploaded roster workbook (名册导入).

    The file is stored before anything is read from it, so nothing a user submits is lost;
    the import then either writes everything or nothing, and this row keeps who, when, the
    counts and the errors. Rows are never deleted.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("已接收")
        REJECTED = "rejected", _("校验未通过")
        IMPORTED = "imported", _("已导入")
        FAILED = "failed", _("导入出错")

    file = models.FileField(_("上传文件"), upload_to=roster_upload_to, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=255)
    uploaded_by = models.ForeignKey(
        User, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="roster_imports"
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    unit_rows = models.PositiveIntegerField(_("单位行数"), default=0)
    people_rows = models.PositiveIntegerField(_("人员行数"), default=0)
    units_created = models.PositiveIntegerField(_("新增单位"), default=0)
    units_updated = models.PositiveIntegerField(_("更新单位"), default=0)
    people_created = models.PositiveIntegerField(_("新增人员"), default=0)
    people_updated = models.PositiveIntegerField(_("更新人员"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(_("错误摘要"), default=list, blank=True)
    error_file = models.FileField(
        _("错误报告"), upload_to=roster_upload_to, max_length=200, blank=True
    )

    class Meta:
        verbose_name = _("名册导入")
        verbose_name_plural = _("名册导入")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["uploaded_by", "-created_at"], name="orgs_roster_by_user"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"
