"""The demo's units and people, as plain data: pure and deterministic in (size, seed).

`build_plan` gives the tree (DFS order, parents first) with codes, names and head counts;
`People(seed).for_unit(unit)` gives the same people for a unit every time, whatever else
was generated before, except that a phone number already handed out is drawn again.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from qingfeng.orgs.demo.names import (
    CITIES,
    CIVIL_POSTS,
    EITHER,
    FAMOUS,
    FEMALE,
    MALE,
    MOBILE_PREFIXES,
    PLACE_1,
    PLACE_2,
    PRIVATE_KG,
    PROVINCE,
    ROADS,
    STREETS,
    SUPPORT_POSTS,
    SURNAME_WEIGHTS,
    SURNAMES,
    TOWN_1,
    TOWN_2,
    WORKER_POSTS,
    cn_number,
)
from qingfeng.orgs.models import Person, Unit

SIZES = ("county", "city", "province")


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
        self.rng = random.Random(f"qingfeng-demo:{size}:{seed}")  # noqa: S311 - a demo, not a secret
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
            f"{PROVINCE}教育厅",
            "990000",
            Unit.Kind.BUREAU,
            short_name="省教育厅",
            aliases=f"{PROVINCE[:2]}教育厅",
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
            f"{PROVINCE}教育科学研究院",
            "990000-21",
            Unit.Kind.RESEARCH,
            short_name="省教科院",
            staff=(60, 90),
            profile="research",
        )
        for i, name in enumerate(("教育考试院", "电化教育馆"), start=22):
            self.plan.marks["it"] = self.add(
                root,
                f"{PROVINCE}{name}",
                f"990000-{i}",
                Unit.Kind.AFFILIATED,
                staff=(30, 50),
                profile="affiliated",
            )
        cities = self.rng.sample(CITIES, 4)
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
                self.place(PLACE_1, PLACE_2, self.used_places) + suffix,
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
            cn = cn_number(n)
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
                cn = cn_number(n)
                self.add(
                    f"第{cn}中学",
                    Unit.Stage.JUNIOR,
                    (80, 150),
                    locale=urban,
                    short=f"{self.stem}{cn}中",
                )
        self.numbered("小学", primary, Unit.Stage.PRIMARY, (70, 130))
        for road in self.rng.sample(ROADS, self.rng.randint(2, 5)):
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
        for brand in self.rng.sample(PRIVATE_KG, self.rng.randint(4, 9)):
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
            village = self.p.place(TOWN_1, TOWN_2, villages_used) + "村"
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
        streets = self.rng.sample(STREETS, self.rng.randint(6, 9))
        for street in streets:
            self.town(f"{street}街道", locale=Unit.Locale.URBAN, villages=(0, 0))
        for _ in range(self.rng.randint(2, 4)):
            self.town(
                self.p.place(TOWN_1, TOWN_2, self.towns) + "镇",
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
                self.p.place(TOWN_1, TOWN_2, self.towns) + suffix,
                locale=Unit.Locale.RURAL,
                villages=(4, 8),
            )


def build_plan(*, size: str, seed: int) -> Plan:
    """The units of a demo installation; pure and deterministic in (size, seed)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    planner = _Planner(size, seed)
    city = planner.rng.choice(CITIES)
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


P = Person.PostType


class People:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.phones: set[str] = set()

    def name(self, rng: random.Random, female_share: float) -> str:
        while True:
            surname = rng.choices(SURNAMES, cum_weights=SURNAME_WEIGHTS)[0]
            pool = FEMALE if rng.random() < female_share else MALE
            if rng.random() < 0.3:
                given = rng.choice(pool)
            else:
                given = rng.choice(EITHER + pool) + rng.choice(pool)
            name = surname + given
            if name not in FAMOUS:
                return name

    def phone(self, rng: random.Random) -> str:
        if rng.random() < 0.03:
            return ""  # a few people never gave one
        while True:
            phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def for_unit(self, unit: UnitPlan) -> list[PersonPlan]:
        """The people of one unit: leaders first, then middle cadres, teachers and staff."""
        rng = random.Random(f"qingfeng-people:{self.seed}:{unit.code}")  # noqa: S311
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
            yield P.CIVIL, rng.choice(CIVIL_POSTS), rng.random() < 0.65
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
            yield P.SUPPORT, "保育员" if kg else rng.choice(SUPPORT_POSTS), rng.random() < 0.15
        workers = round(n * 0.05)
        for _ in range(workers):
            yield P.STAFF, rng.choice(WORKER_POSTS), rng.random() < 0.08
        n -= middle + support + workers
    for _ in range(n):
        roll = rng.random()
        if roll < 0.01:
            yield P.OTHER, "代课教师", False
        elif roll < 0.31:
            yield P.PARTY_TEACHER, "班主任" if rng.random() < 0.35 else "", True
        else:
            yield P.TEACHER, "班主任" if rng.random() < 0.35 else "", False
