"""The demo city: deterministic units, people and the demo logins that `make run` prints.

`build_plan(size=..., seed=...)` is pure: the same size and seed give the same tree, names,
codes and head counts, and `plan_people` gives the same people for a unit every time.
`do_seed_demo` writes a plan in one transaction with bulk inserts: unit ids are allocated
up front in tree order, so every path is known before the first INSERT.

Every place and person name is made up from common characters; region codes start with 99,
which no real province has. Generated names that belong to well-known public figures are
drawn again (see `_FAMOUS`).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from qingfeng.core.audit import record_audit
from qingfeng.core.fields import blind_index
from qingfeng.orgs import actions
from qingfeng.orgs.models import Person, Role, Unit, User

DEMO_PASSWORD = "Qingfeng@Demo2026"  # noqa: S105 - the demo's own, printed by `make run`

DEMO_LOGINS_HELP = f"""
演示账号（密码均为 {DEMO_PASSWORD}）/ Demo logins (password {DEMO_PASSWORD}):
  demo_school     学校管理员 / school admin
  demo_teacher    教师（同一所学校）/ teacher at that school
  demo_county     县区管理员（该校所在县区）/ county admin of that school's county
  demo_bureau     局管理员（需动态口令）/ bureau admin (TOTP)
  demo_leader     分管领导，包片 1–2 个县区（需动态口令）/ leader with 1–2 liaison counties (TOTP)
  demo_supervisor 督导组成员（需动态口令）/ supervisor (TOTP)
  demo_hotline    热线接线员 / hotline operator
  demo_auditor    安全审计员（需动态口令）/ security auditor (TOTP)
  demo_sysadmin   系统管理员（需动态口令）/ system admin (TOTP)
需动态口令的账号首次登录时绑定手机验证器 / TOTP accounts pair an authenticator app at first login.
"""

SIZES = ("county", "city", "province")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


BATCH = 2000

# --- Names --------------------------------------------------------------------------------
# The most common surnames, roughly by frequency (weights fall off down the list).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
)
_SURNAME_WEIGHTS = tuple(itertools.accumulate(1.0 / (1 + i / 8) for i in range(len(_SURNAMES))))
_MALE = "伟强磊军勇杰涛斌浩鹏宇辉超明刚健俊峰亮飞波晨博文志建海东林凯旭阳帆瑞鑫彬昊宁翔良成坤"
_FEMALE = "芳娜敏静丽艳娟霞秀玲燕红梅琳雪婷慧颖倩洁琴萍丹蓉晶妍欣怡佳悦璐菲莉薇媛露瑶蕾月萌"
_EITHER = "晓文雨子思嘉一诗梓睿春秋冬锦清心言书素安新永世向小国"
# Public figures a random draw could produce; such a draw is simply repeated.
_FAMOUS = frozenset(
    _words(
        "李娜 李宁 王菲 张杰 刘翔 朱婷 林丹 赵薇 刘涛 王凯 李晨 黄磊 杨坤 汪峰 李健 韩红 韩磊 雷军 丁磊 "
        "姚明 王晨 胡春华 黄坤明 李书磊 宋丹丹 蒋欣 赵丽颖 许海峰 程菲 杨倩 陈坤"
    )
)

# --- Places -------------------------------------------------------------------------------
_CITIES = ("澜州", "桐川", "岚阳", "檀溪", "云泽", "星沅", "澄江", "宁湾")
_PROVINCE = "澜江省"
_PLACE_1 = "清云桐柳松梅兰竹青白金玉丰安平宁永长新石龙凤鹤鸣瑞祥和嘉德明秀翠碧溪澄"
_PLACE_2 = "河溪江塘山岭湖川原阳林泉桥水源坪湾洲冈峰谷"
_TOWN_1 = "石柳马杨李王张新黄白高龙双三大小东西南北沙桃枣梨杏麻汪潘陈何铁金柏槐官太"
_TOWN_2 = "桥林坊庄集店岗铺营寨湾口河埠坝塘岭坪寺堡楼圩关"
_STREETS = _words(
    "城东 城西 城南 城北 滨江 湖滨 新城 东关 西关 南关 北关 望湖 锦绣 凤鸣 龙门 文昌 翠屏 "
    "白鹭 江南 府前 迎春 金桥 沿河 桂花"
)
_ROADS = _words(
    "人民路 解放路 建设路 和平路 文化路 胜利路 光明路 新华路 朝阳路 东风路 红旗路 中山路 "
    "长江路 育才路 迎宾路 青年路 民主路 府前路 南湖路 环城路"
)
_PRIVATE_KG = _words(
    "阳光 童心 蓓蕾 小太阳 金色童年 七色花 小天使 启智 育苗 贝贝 彩虹 小白鸽 春苗 快乐宝贝 "
    "新芽 星星 博雅 爱心 蒲公英 小橡树"
)
_NUMBERS = "一二三四五六七八九十"


def _cn_number(n: int) -> str:
    """1..99 in Chinese numerals, as in 第十二中学."""
    if n <= 10:
        return _NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _NUMBERS[tens - 1]
    return head + "十" + (_NUMBERS[ones - 1] if ones else "")


# --- The plan -----------------------------------------------------------------------------
@dataclass(slots=True)
class UnitPlan:
    index: int
    parent: int | None
    name: str
    short_name: str
    aliases: str
    code: str
    kind: str
    category: str
    stage: str = ""
    locale: str = ""
    sort_order: int = 0
    staff: int = 0  # head count
    profile: str = "school"  # which people profile fills it (see _people_profile)


@dataclass
class Plan:
    size: str
    seed: int
    units: list[UnitPlan] = field(default_factory=list)
    # Where the demo accounts live, as plan indexes: root, office, supervision, it, county, school.
    marks: dict[str, int] = field(default_factory=dict)
    counties: list[int] = field(default_factory=list)


_CATEGORY: dict[str, str] = {
    Unit.Kind.SCHOOL: Unit.Category.SCHOOL,
    Unit.Kind.KINDERGARTEN: Unit.Category.SCHOOL,
    Unit.Kind.RESEARCH: Unit.Category.RESEARCH,
}


class _Planner:
    def __init__(self, size: str, seed: int) -> None:
        self.rng = random.Random(f"qingfeng-demo:{size}:{seed}")
        self.plan = Plan(size=size, seed=seed)
        self.used_places: set[str] = set()
        self.children: dict[int | None, int] = {}

    def add(
        self,
        parent: int | None,
        name: str,
        code: str,
        kind: str,
        *,
        staff: tuple[int, int],
        short_name: str = "",
        aliases: str = "",
        stage: str = "",
        locale: str = "",
        profile: str = "school",
    ) -> int:
        units = self.plan.units
        self.children[parent] = siblings = self.children.get(parent, 0) + 1
        unit = UnitPlan(
            index=len(units),
            parent=parent,
            name=name,
            short_name=short_name,
            aliases=aliases,
            code=code,
            kind=kind,
            category=_CATEGORY.get(kind, Unit.Category.ORGAN),
            stage=stage,
            locale=locale,
            sort_order=siblings * 10,
            staff=self.rng.randint(*staff),
            profile=profile,
        )
        units.append(unit)
        return unit.index

    def place(self, first: str, second: str, used: set[str]) -> str:
        """A two-character place name not in `used` (then added to it)."""
        while True:
            name = self.rng.choice(first) + self.rng.choice(second)
            if name not in used and name[0] != name[1]:
                used.add(name)
                return name

    # Organs -------------------------------------------------------------------------------
    def province(self) -> None:
        root = self.add(
            None,
            f"{_PROVINCE}教育厅",
            "990000",
            Unit.Kind.BUREAU,
            short_name="省教育厅",
            aliases=f"{_PROVINCE[:2]}教育厅",
            staff=(7, 9),
            profile="bureau:厅长",
        )
        self.plan.marks["root"] = root
        offices = "办公室 人事处 政策法规处 基础教育处 职业教育与成人教育处 财务处 教师工作处 "
        offices += "体育卫生与艺术教育处 安全稳定工作处 教育督导室"
        departments = self._departments(root, "990000", offices.split(), head="处长")
        self.plan.marks["office"] = departments["办公室"]
        self.plan.marks["supervision"] = departments["教育督导室"]
        self.add(
            root,
            f"{_PROVINCE}教育科学研究院",
            "990000-21",
            Unit.Kind.RESEARCH,
            short_name="省教科院",
            staff=(60, 90),
            profile="research",
        )
        for i, name in enumerate(("教育考试院", "电化教育馆"), start=22):
            self.plan.marks["it"] = self.add(
                root,
                f"{_PROVINCE}{name}",
                f"990000-{i}",
                Unit.Kind.AFFILIATED,
                staff=(30, 50),
                profile="affiliated",
            )
        cities = self.rng.sample(_CITIES, 4)
        for n, city in enumerate(cities, start=1):
            self.city(f"99{n:02d}00", city, parent=root, counties=9, direct_schools=True)

    def city(
        self, region: str, city: str, *, parent: int | None, counties: int, direct_schools: bool
    ) -> None:
        root = self.add(
            parent,
            f"{city}市教育局",
            region,
            Unit.Kind.BUREAU,
            short_name="市教育局" if parent is None else f"{city}市教育局",
            aliases=f"{city}市教委,{city}教育局",
            staff=(6, 8),
            profile="bureau:局长",
        )
        self.plan.marks.setdefault("root", root)
        names = "办公室 组织人事科 政策法规科 基础教育科 职业与成人教育科 计划财务科 教师工作科 "
        names += "体育卫生艺术科 安全稳定科 督导室"
        departments = self._departments(root, region, names.split(), head="科长")
        self.plan.marks.setdefault("office", departments["办公室"])
        self.plan.marks.setdefault("supervision", departments["督导室"])
        self.add(
            root,
            f"{city}市教育科学研究院",
            f"{region}-21",
            Unit.Kind.RESEARCH,
            short_name="市教科院",
            aliases=f"{city}市教研室,{city}教科院",
            staff=(40, 70),
            profile="research",
        )
        for i, (name, short) in enumerate(
            (("教育装备中心", "装备中心"), ("教育信息中心", "信息中心"), ("教育考试院", "考试院")),
            start=22,
        ):
            unit = self.add(
                root,
                f"{city}市{name}",
                f"{region}-{i}",
                Unit.Kind.AFFILIATED,
                short_name=short,
                staff=(15, 30),
                profile="affiliated",
            )
            if name == "教育信息中心":
                self.plan.marks.setdefault("it", unit)
        if direct_schools:
            self._city_schools(root, region, city)
        kinds = ["区"] * 3 + ["县"] * (counties - 4) + ["市"]
        for k, suffix in enumerate(kinds[:counties] if counties > 1 else ["县"], start=2):
            self.county(
                root,
                f"{region[:4]}{k:02d}",
                self.place(_PLACE_1, _PLACE_2, self.used_places) + suffix,
            )

    def _departments(
        self, root: int, region: str, names: list[str], *, head: str
    ) -> dict[str, int]:
        result = {}
        for i, name in enumerate(names, start=1):
            result[name] = self.add(
                root,
                name,
                f"{region}-{i:02d}",
                Unit.Kind.DEPARTMENT,
                staff=(5, 12),
                profile="department:" + head,
            )
        return result

    def _city_schools(self, root: int, region: str, city: str) -> None:
        schools = (
            ("第一中学", Unit.Stage.SENIOR, (200, 300), "一中"),
            ("第二中学", Unit.Stage.SENIOR, (180, 260), "二中"),
            ("实验中学", Unit.Stage.COMPLETE, (160, 240), "实验中学"),
            ("外国语学校", Unit.Stage.NINE_YEAR, (120, 180), "外国语"),
            ("实验小学", Unit.Stage.PRIMARY, (90, 140), "实小"),
            ("特殊教育学校", Unit.Stage.SPECIAL, (40, 60), "特校"),
            ("职业中等专业学校", Unit.Stage.VOCATIONAL, (150, 220), "职专"),
        )
        for n, (name, stage, staff, short) in enumerate(schools, start=1):
            self.add(
                root,
                f"{city}市{name}",
                f"{region}{n:04d}",
                Unit.Kind.SCHOOL,
                short_name=f"{city}{short}",
                aliases=f"市{short}",
                stage=stage,
                locale=Unit.Locale.URBAN,
                staff=staff,
            )
        self.add(
            root,
            f"{city}市机关幼儿园",
            f"{region}{len(schools) + 1:04d}",
            Unit.Kind.KINDERGARTEN,
            short_name="市机关幼儿园",
            stage=Unit.Stage.PRESCHOOL,
            locale=Unit.Locale.URBAN,
            staff=(40, 60),
        )

    # Counties and their schools ------------------------------------------------------------
    def county(self, city_root: int, region: str, county: str) -> None:
        urban = county.endswith("区")
        index = self.add(
            city_root,
            f"{county}教育局",
            region,
            Unit.Kind.COUNTY,
            short_name=county,
            aliases=f"{county}教体局,{county}教育体育局" if self.rng.random() < 0.4 else "",
            staff=(30, 50),
            profile="county",
        )
        self.plan.counties.append(index)
        self.plan.marks.setdefault("county", index)
        self.add(
            index,
            f"{county}教师发展中心",
            f"{region}-21",
            Unit.Kind.RESEARCH,
            short_name="教师发展中心",
            aliases=f"{county}教研室",
            staff=(15, 30),
            profile="research",
        )
        schools = _Schools(self, index, region, county)
        if urban:
            schools.district()
        else:
            schools.rural_county()


class _Schools:
    """The schools and kindergartens of one county, numbered in the county's code range."""

    def __init__(self, planner: _Planner, county: int, region: str, name: str) -> None:
        self.p = planner
        self.rng = planner.rng
        self.county = county
        self.region = region
        self.name = name  # 清河区
        self.stem = name[:-1]  # 清河
        self.serial = 0
        self.towns: set[str] = {"城关"}

    def add(
        self,
        name: str,
        stage: str,
        staff: tuple[int, int],
        *,
        locale: str,
        short: str = "",
        aliases: str = "",
    ) -> int:
        self.serial += 1
        kind = Unit.Kind.KINDERGARTEN if stage == Unit.Stage.PRESCHOOL else Unit.Kind.SCHOOL
        return self.p.add(
            self.county,
            self.name + name,
            f"{self.region}{self.serial:04d}",
            kind,
            short_name=short,
            aliases=aliases,
            stage=stage,
            locale=locale,
            staff=staff,
        )

    def numbered(self, what: str, count: int, stage: str, staff: tuple[int, int]) -> None:
        short_kind = {"中学": "中", "小学": "小", "幼儿园": "幼"}[what]
        for n in range(1, count + 1):
            cn = _cn_number(n)
            self.add(
                f"第{cn}{what}",
                stage,
                staff,
                locale=Unit.Locale.URBAN,
                short=f"{self.stem}{cn}{short_kind}",
                aliases=f"{cn}{short_kind}" if n <= 3 and what != "幼儿园" else "",
            )

    def county_seat(self, *, middle: int, primary: int, kindergartens: int) -> None:
        """The schools every county or district runs directly: high schools, the 实验 ones,
        vocational and special education."""
        urban = Unit.Locale.URBAN
        self.add("第一中学", Unit.Stage.SENIOR, (200, 320), locale=urban, short=f"{self.stem}一中")
        self.add("第二中学", Unit.Stage.SENIOR, (160, 260), locale=urban, short=f"{self.stem}二中")
        self.add(
            "第三中学", Unit.Stage.COMPLETE, (140, 220), locale=urban, short=f"{self.stem}三中"
        )
        self.add(
            "实验中学",
            Unit.Stage.JUNIOR,
            (110, 180),
            locale=urban,
            short=f"{self.stem}实验中学",
            aliases="实验中学,实中",
        )
        self.add(
            "实验小学",
            Unit.Stage.PRIMARY,
            (90, 150),
            locale=urban,
            short=f"{self.stem}实小",
            aliases="实验小学,实小",
        )
        self.p.plan.marks.setdefault("school", len(self.p.plan.units) - 1)
        if middle:
            for n in range(4, 4 + middle):
                cn = _cn_number(n)
                self.add(
                    f"第{cn}中学",
                    Unit.Stage.JUNIOR,
                    (80, 150),
                    locale=urban,
                    short=f"{self.stem}{cn}中",
                )
        self.numbered("小学", primary, Unit.Stage.PRIMARY, (70, 130))
        for road in self.rng.sample(_ROADS, self.rng.randint(2, 5)):
            self.add(f"{road}小学", Unit.Stage.PRIMARY, (60, 120), locale=urban)
        self.add(
            "职业技术教育中心", Unit.Stage.VOCATIONAL, (110, 200), locale=urban, short="职教中心"
        )
        self.add("特殊教育学校", Unit.Stage.SPECIAL, (25, 50), locale=urban, short="特校")
        self.add(
            "实验幼儿园",
            Unit.Stage.PRESCHOOL,
            (40, 70),
            locale=urban,
            short=f"{self.stem}实幼",
            aliases="实验幼儿园",
        )
        self.add("机关幼儿园", Unit.Stage.PRESCHOOL, (30, 55), locale=urban, short="机关园")
        self.numbered("幼儿园", kindergartens, Unit.Stage.PRESCHOOL, (25, 55))
        for brand in self.rng.sample(_PRIVATE_KG, self.rng.randint(4, 9)):
            self.add(f"{brand}幼儿园", Unit.Stage.PRESCHOOL, (12, 35), locale=urban)
        if self.rng.random() < 0.6:
            self.add("育才学校", Unit.Stage.NINE_YEAR, (90, 150), locale=urban, short="育才学校")

    def town(self, town: str, *, locale: str, villages: tuple[int, int]) -> None:
        """A township's schools: the central primary and kindergarten, a junior middle school
        (or a nine-year school), and village schools and teaching points."""
        stem = town[:-1] if town[-1] in "镇乡" else town[:-2]
        rural = locale == Unit.Locale.RURAL
        self.add(
            f"{town}中心小学",
            Unit.Stage.PRIMARY,
            (40, 80) if rural else (70, 120),
            locale=locale,
            short=f"{stem}中心小学",
            aliases=f"{stem}中心校",
        )
        if self.rng.random() < 0.3:
            self.add(
                f"{town}九年一贯制学校",
                Unit.Stage.NINE_YEAR,
                (60, 110),
                locale=locale,
                short=f"{stem}学校",
            )
        else:
            self.add(
                f"{town}初级中学",
                Unit.Stage.JUNIOR,
                (55, 110) if rural else (80, 140),
                locale=locale,
                short=f"{stem}中学",
                aliases=f"{stem}初中",
            )
        self.add(
            f"{town}中心幼儿园",
            Unit.Stage.PRESCHOOL,
            (18, 40),
            locale=locale,
            short=f"{stem}中心园",
        )
        if not rural:
            return
        villages_used: set[str] = set()
        for _ in range(self.rng.randint(*villages)):
            village = self.p.place(_TOWN_1, _TOWN_2, villages_used) + "村"
            if self.rng.random() < 0.2:
                self.add(f"{town}{village}教学点", Unit.Stage.PRIMARY, (2, 5), locale=locale)
            else:
                self.add(f"{town}{village}小学", Unit.Stage.PRIMARY, (8, 24), locale=locale)
            if self.rng.random() < 0.4:
                self.add(f"{town}{village}幼儿园", Unit.Stage.PRESCHOOL, (4, 12), locale=locale)

    def district(self) -> None:
        self.county_seat(
            middle=self.rng.randint(4, 7),
            primary=self.rng.randint(12, 18),
            kindergartens=self.rng.randint(8, 14),
        )
        streets = self.rng.sample(_STREETS, self.rng.randint(6, 9))
        for street in streets:
            self.town(f"{street}街道", locale=Unit.Locale.URBAN, villages=(0, 0))
        for _ in range(self.rng.randint(2, 4)):
            self.town(
                self.p.place(_TOWN_1, _TOWN_2, self.towns) + "镇",
                locale=Unit.Locale.RURAL,
                villages=(3, 6),
            )

    def rural_county(self) -> None:
        self.county_seat(
            middle=self.rng.randint(1, 3),
            primary=self.rng.randint(3, 6),
            kindergartens=self.rng.randint(2, 4),
        )
        self.town("城关镇", locale=Unit.Locale.URBAN, villages=(0, 0))
        for _ in range(self.rng.randint(11, 15)):
            suffix = "镇" if self.rng.random() < 0.7 else "乡"
            self.town(
                self.p.place(_TOWN_1, _TOWN_2, self.towns) + suffix,
                locale=Unit.Locale.RURAL,
                villages=(4, 8),
            )


def build_plan(*, size: str, seed: int) -> Plan:
    """The units of a demo installation; pure and deterministic in (size, seed)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    planner = _Planner(size, seed)
    city = planner.rng.choice(_CITIES)
    if size == "province":
        planner.province()
    elif size == "city":
        planner.city("990100", city, parent=None, counties=9, direct_schools=True)
    else:
        planner.city("990100", city, parent=None, counties=1, direct_schools=False)
    return planner.plan


# --- People -------------------------------------------------------------------------------
@dataclass(slots=True)
class PersonPlan:
    name: str
    post_type: str
    position: str
    is_party_member: bool
    phone: str
    is_active: bool


_MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 175 "
    "176 177 180 181 182 183 185 186 187 188 189 191 198 199"
)
_SUPPORT = ("实验员", "图书管理员", "校医", "会计", "出纳", "信息技术管理员", "档案管理员")
_WORKERS = ("门卫", "炊事员", "保洁员", "宿管员", "司机", "水电工")
_CIVIL = ("一级科员", "二级科员", "四级主任科员", "三级主任科员", "科员", "")

P = Person.PostType


class _People:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.phones: set[str] = set()

    def name(self, rng: random.Random, female_share: float) -> str:
        while True:
            surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_WEIGHTS)[0]
            pool = _FEMALE if rng.random() < female_share else _MALE
            if rng.random() < 0.3:
                given = rng.choice(pool)
            else:
                given = rng.choice(_EITHER + pool) + rng.choice(pool)
            name = surname + given
            if name not in _FAMOUS:
                return name

    def phone(self, rng: random.Random) -> str:
        if rng.random() < 0.03:
            return ""  # a few people never gave one
        while True:
            phone = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def for_unit(self, unit: UnitPlan) -> list[PersonPlan]:
        """The people of one unit: leaders first, then middle cadres, teachers and staff."""
        rng = random.Random(f"qingfeng-people:{self.seed}:{unit.code}")
        female = 0.95 if unit.kind == Unit.Kind.KINDERGARTEN else (0.65 if unit.stage else 0.45)
        result = []
        for post_type, position, party in _roster(unit, rng):
            result.append(
                PersonPlan(
                    name=self.name(rng, female),
                    post_type=post_type,
                    position=position,
                    is_party_member=party,
                    phone=self.phone(rng),
                    is_active=rng.random() > 0.015,
                )
            )
        return result


def _roster(unit: UnitPlan, rng: random.Random) -> Iterator[tuple[str, str, bool]]:
    """(post type, position, party member) for each post of a unit."""
    n = unit.staff
    kg = unit.kind == Unit.Kind.KINDERGARTEN
    profile, _sep, head = unit.profile.partition(":")
    if profile == "bureau":
        yield P.LEADER, f"党组书记、{head}", True
        for _ in range(n - 3):
            yield P.LEADER, f"副{head}", True
        yield P.LEADER, "纪检监察组组长", True
        yield P.LEADER, "总督学", True
        return
    if profile in {"department", "county", "affiliated"}:
        if profile == "county":
            yield P.LEADER, "党组书记、局长", True
            for _ in range(3):
                yield P.LEADER, "副局长", True
            n -= 4
        chief = {"department": head, "county": "股长", "affiliated": "主任"}[profile]
        yield P.MIDDLE, chief, True
        yield P.MIDDLE, "副" + chief, rng.random() < 0.9
        for _ in range(n - 2):
            yield P.CIVIL, rng.choice(_CIVIL), rng.random() < 0.65
        return
    if profile == "research":
        title = "主任" if unit.name.endswith("中心") else "院长"
        yield P.LEADER, title, True
        yield P.LEADER, "副" + title, True
        for _ in range(n - 2):
            party = rng.random() < 0.45
            yield (P.PARTY_TEACHER if party else P.TEACHER), "教研员", party
        return
    # Schools and kindergartens.
    head_title = "园长" if kg else "校长"
    if n < 10:
        yield P.LEADER, "负责人" if n < 6 else head_title, rng.random() < 0.7
        n -= 1
    else:
        yield P.LEADER, head_title, True
        yield P.LEADER, "党支部书记" if n < 120 else "党总支书记", True
        deputies = 1 if n < 40 else (2 if n < 120 else 3)
        for _ in range(deputies):
            yield P.LEADER, "副" + head_title, rng.random() < 0.9
        n -= 2 + deputies
        middle = round(n * 0.07)
        titles = (
            ("保教主任", "办公室主任")
            if kg
            else ("教务处主任", "政教处主任", "总务处主任", "办公室主任", "教科室主任", "年级组长")
        )
        for i in range(middle):
            yield P.MIDDLE, titles[i % len(titles)], rng.random() < 0.75
        support = round(n * (0.2 if kg else 0.05))
        for _ in range(support):
            yield P.SUPPORT, "保育员" if kg else rng.choice(_SUPPORT), rng.random() < 0.15
        workers = round(n * 0.05)
        for _ in range(workers):
            yield P.STAFF, rng.choice(_WORKERS), rng.random() < 0.08
        n -= middle + support + workers
    for _ in range(n):
        roll = rng.random()
        if roll < 0.01:
            yield P.OTHER, "代课教师", False
        elif roll < 0.31:
            yield P.PARTY_TEACHER, "班主任" if rng.random() < 0.35 else "", True
        else:
            yield P.TEACHER, "班主任" if rng.random() < 0.35 else "", False


# --- Writing a plan -----------------------------------------------------------------------
@dataclass(frozen=True)
class SeedSummary:
    size: str
    seed: int
    units: int
    people: int
    accounts: tuple[str, ...]


class DemoAlreadySeeded(Exception):
    pass


# (username, role, where the role applies, where the person works, their post type and a
# position they must hold, if any; plan marks as in Plan.marks)
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("demo_school", Role.UNIT_ADMIN, "school", "school", P.MIDDLE, "办公室主任"),
    ("demo_teacher", Role.STAFF, "school", "school", P.TEACHER, ""),
    ("demo_county", Role.UNIT_ADMIN, "county", "county", P.CIVIL, ""),
    ("demo_bureau", Role.BUREAU_ADMIN, "root", "office", P.CIVIL, ""),
    ("demo_leader", Role.LEADER, "root", "root", P.LEADER, ""),
    ("demo_supervisor", Role.SUPERVISOR, "root", "supervision", P.CIVIL, ""),
    ("demo_hotline", Role.HOTLINE_OPERATOR, "root", "office", P.CIVIL, ""),
    ("demo_auditor", Role.AUDITOR, "root", "it", P.CIVIL, ""),
    ("demo_sysadmin", Role.SYSTEM_ADMIN, "root", "it", P.CIVIL, ""),
)


def _insert_units(plan: Plan) -> list[Unit]:
    """Ids allocated up front in tree order, so paths are computed before any INSERT."""
    now = timezone.now()
    units: list[Unit] = []
    for spec in plan.units:
        parent = units[spec.parent] if spec.parent is not None else None
        pk = spec.index + 1
        units.append(
            Unit(
                id=pk,
                parent_id=parent.pk if parent else None,
                path=(parent.path if parent else "") + Unit.segment(pk),
                depth=parent.depth + 1 if parent else 0,
                name=spec.name,
                short_name=spec.short_name,
                aliases=spec.aliases,
                code=spec.code,
                kind=spec.kind,
                category=spec.category,
                stage=spec.stage,
                locale=spec.locale,
                sort_order=spec.sort_order,
                created_at=now,
            )
        )
    Unit.objects.bulk_create(units, batch_size=BATCH)
    # Explicit ids leave PostgreSQL's sequence behind; the next unit created must not clash.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Unit]):
            cursor.execute(sql)
    return units


_PERSON_COLUMNS = (
    "unit",
    "name",
    "post_type",
    "position",
    "is_party_member",
    "phone",
    "phone_index",
    "is_active",
    "created_at",
)


def _insert_people(plan: Plan, units: list[Unit]) -> int:
    """People go in with executemany: for 60,000 rows bulk_create spends most of the
    seeding time building SQL, while this stays in the driver. Values still pass through
    each field's get_db_prep_save, so the phone is encrypted exactly as the ORM would."""
    by_name = {f.name: f for f in Person._meta.concrete_fields}
    fields = [by_name[name] for name in _PERSON_COLUMNS]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(Person._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    phone_field = fields[_PERSON_COLUMNS.index("phone")]
    created_at = fields[-1].get_db_prep_save(timezone.now(), connection)
    people = _People(plan.seed)
    rows: list[tuple[Any, ...]] = []
    total = 0
    with connection.cursor() as cursor:
        for spec, unit in zip(plan.units, units, strict=True):
            for p in people.for_unit(spec):
                phone = phone_field.get_db_prep_save(p.phone, connection)
                rows.append(
                    (
                        unit.pk,
                        p.name,
                        str(p.post_type),
                        p.position,
                        p.is_party_member,
                        phone,
                        blind_index(p.phone),
                        p.is_active,
                        created_at,
                    )
                )
            if len(rows) >= BATCH:
                cursor.executemany(sql, rows)
                total += len(rows)
                rows = []
        cursor.executemany(sql, rows)
    return total + len(rows)


def _create_accounts(plan: Plan, units: list[Unit]) -> dict[str, User]:
    now = timezone.now()
    users: dict[str, User] = {}
    taken: set[int] = set()
    for username, role, scope, home, post_type, position in DEMO_ACCOUNTS:
        user = User(
            username=username,
            is_staff=role == Role.SYSTEM_ADMIN,
            must_change_password=False,
            password_changed_at=now,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        candidates = Person.objects.filter(
            unit=units[plan.marks[home]], post_type=post_type, is_active=True
        ).exclude(pk__in=taken)
        if position:
            candidates = candidates.filter(position=position)
        elif post_type == P.LEADER:
            candidates = candidates.filter(position__startswith="副")  # 分管领导, not the head
        person = candidates.order_by("id").first()
        if person is not None:
            taken.add(person.pk)
            Person.objects.filter(pk=person.pk).update(user=user)
        actions.do_grant_role(user, actor=None, role=role, unit=units[plan.marks[scope]])
        users[username] = user
    counties = [units[i] for i in plan.counties[:2]]
    actions.check_set_liaisons(users["demo_leader"], actor=None, counties=counties)
    return users


@transaction.atomic(durable=True)
def do_seed_demo(*, size: str, seed: int) -> SeedSummary:
    """Load a demo installation into an empty database (no units, no demo accounts).

    One audit event summarises the load; role grants and 包片 go through their actions and
    are audited as usual.
    """
    if Unit.objects.exists() or User.objects.filter(username__startswith="demo_").exists():
        raise DemoAlreadySeeded
    plan = build_plan(size=size, seed=seed)
    units = _insert_units(plan)
    people = _insert_people(plan, units)
    users = _create_accounts(plan, units)
    summary = SeedSummary(
        size=size, seed=seed, units=len(units), people=people, accounts=tuple(users)
    )
    after: dict[str, Any] = {
        "size": size,
        "seed": seed,
        "units": summary.units,
        "people": people,
        "accounts": list(summary.accounts),
    }
    record_audit(actor=None, action="orgs.demo.seed", obj=units[0], after=after)
    return summary
