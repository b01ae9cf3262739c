"""The ledger layout (台账): its columns, their synonyms, and how a cell becomes a value.

Column labels and value words (领导班子、立行立改、是/否 …) are a fixed exchange format with
the offices' own workbooks, so they are deliberately not translated; messages are.
"""

from __future__ import annotations

import calendar as _calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from django.db import models

from qingfeng.ledger.models import Measure, Problem
from qingfeng.lib.xlsx import (
    DATE_FORMAT,
    Column,
    Columns,
    cell_date,
    cell_text,
    chinese_labels,
    choice_words,
    fold,
    yes_no,
)

LAYOUT = Columns(
    (
        Column("seq", "序号", ("序", "排序号"), width=6, center=True),
        Column(
            "number",
            "编号",
            ("问题编号", "台账编号"),
            width=20,
            imported=False,
            center=True,
            number_format="@",
        ),
        Column(
            "source",
            "问题来源",
            ("来源", "问题出处", "发现渠道", "来源渠道"),
            width=10,
            center=True,
        ),
        Column(
            "source_ref",
            "来源编号",
            ("来源文号", "交办编号", "线索编号"),
            width=14,
            center=True,
            number_format="@",
        ),
        Column(
            "list_kind",
            "清单类别",
            ("清单类型", "清单", "所属清单", "清单名称"),
            width=12,
            center=True,
        ),
        Column("category", "问题类别", ("问题类型", "问题分类", "类别"), width=14, center=True),
        Column(
            "dimension",
            "五查五看",
            ("五查五看维度", "查摆维度", "查摆方向", "维度"),
            width=10,
            center=True,
        ),
        Column(
            "title",
            "问题概述",
            ("问题表现", "问题简述", "问题名称", "问题标题", "存在问题"),
            width=24,
            group="问题情况",
        ),
        Column(
            "description",
            "问题描述",
            ("具体表现", "问题详情", "问题具体表现", "具体问题", "问题具体描述"),
            width=36,
            group="问题情况",
        ),
        Column("cause", "原因分析", ("问题原因", "产生原因", "原因"), width=28, group="问题情况"),
        Column("goal", "整改目标", ("目标",), width=24, group="整改方案"),
        Column("measures", "整改措施", ("整改举措", "措施"), width=40, group="整改方案"),
        Column(
            "leader",
            "责任领导",
            ("分管领导", "牵头领导", "包保领导"),
            width=10,
            group="责任主体",
            center=True,
        ),
        Column(
            "unit",
            "责任单位",
            ("责任部门", "责任科室", "牵头单位", "责任股室", "责任单位(部门)"),
            width=18,
            group="责任主体",
        ),
        Column(
            "cooperating",
            "配合单位",
            ("协办单位", "配合部门", "协同单位", "配合科室"),
            width=18,
            group="责任主体",
        ),
        Column(
            "person",
            "责任人",
            ("具体责任人", "整改责任人", "直接责任人"),
            width=10,
            group="责任主体",
            center=True,
        ),
        Column(
            "rtype",
            "整改类型",
            ("整改方式", "整改类别"),
            width=10,
            group="整改要求",
            center=True,
        ),
        Column(
            "deadline",
            "整改时限",
            ("完成时限", "整改期限", "完成时间", "整改时间", "完成期限"),
            width=14,
            group="整改要求",
            center=True,
            number_format=DATE_FORMAT,
        ),
        Column(
            "progress",
            "整改进度",
            ("完成进度", "进度", "完成率"),
            width=9,
            group="整改落实",
            center=True,
            number_format="0%",
        ),
        Column(
            "completion",
            "完成情况",
            ("整改进展", "整改情况", "整改完成情况", "进展情况"),
            width=10,
            group="整改落实",
            center=True,
        ),
        Column(
            "status",
            "状态",
            ("整改状态", "问题状态"),
            width=10,
            group="整改落实",
            imported=False,
            center=True,
        ),
        Column(
            "light",
            "预警灯",
            ("预警", "亮灯"),
            width=8,
            group="整改落实",
            imported=False,
            center=True,
        ),
        Column(
            "rules",
            "建章立制",
            ("是否建章立制", "建立制度", "长效机制"),
            width=16,
            group="整改落实",
        ),
        Column(
            "accountability", "追责问责", ("问责情况", "是否追责问责"), width=16, group="整改落实"
        ),
        Column("remarks", "备注", (), width=16),
    )
)
COLUMNS = LAYOUT.columns
BY_KEY = LAYOUT.by_key
IMPORTED = tuple(c for c in COLUMNS if c.imported)


# -- choices: the model's labels, plus the words offices write for them --

EXTRA_WORDS: dict[str, dict[str, str]] = {
    "source": {
        "自查自纠": Problem.Source.SELF_CHECK,
        "自查发现": Problem.Source.SELF_CHECK,
        "巡察反馈": Problem.Source.INSPECTION,
        "巡察发现": Problem.Source.INSPECTION,
        "督导检查": Problem.Source.SUPERVISION,
        "督查": Problem.Source.SUPERVISION,
        "督导发现": Problem.Source.SUPERVISION,
        "局长直通车": Problem.Source.CHANNEL,
        "12345热线": Problem.Source.HOTLINE,
        "热线电话": Problem.Source.HOTLINE,
        "举报电话": Problem.Source.HOTLINE,
        "回炉补课": Problem.Source.REMEDIAL,
        "评议": Problem.Source.REMEDIAL,
        "上级转办": Problem.Source.ASSIGNED_FROM_ABOVE,
        "交办": Problem.Source.ASSIGNED_FROM_ABOVE,
    },
    "list_kind": {
        "领导班子": Problem.ListKind.LEADERSHIP,
        "班子": Problem.ListKind.LEADERSHIP,
        "领导班子清单": Problem.ListKind.LEADERSHIP,
        "班子问题清单": Problem.ListKind.LEADERSHIP,
        "科室风险": Problem.ListKind.DEPARTMENT_RISK,
        "科室": Problem.ListKind.DEPARTMENT_RISK,
        "科室风险清单": Problem.ListKind.DEPARTMENT_RISK,
        "部门风险清单": Problem.ListKind.DEPARTMENT_RISK,
        "个人": Problem.ListKind.PERSONAL,
        "个人整改": Problem.ListKind.PERSONAL,
        "个人清单": Problem.ListKind.PERSONAL,
        "个人问题清单": Problem.ListKind.PERSONAL,
    },
    "rtype": {
        "立即整改": Problem.RectificationType.IMMEDIATE,
        "即知即改": Problem.RectificationType.IMMEDIATE,
        "立知立改": Problem.RectificationType.IMMEDIATE,
        "限期": Problem.RectificationType.TIME_LIMITED,
        "限时整改": Problem.RectificationType.TIME_LIMITED,
        "长期": Problem.RectificationType.LONG_TERM,
        "长期整改": Problem.RectificationType.LONG_TERM,
        "持续整改": Problem.RectificationType.LONG_TERM,
    },
    "dimension": {},
}
# The words that suggest a category for a row without 问题类别 (besides the category's own
# name), by the names the data migration gives the categories; a renamed or new category
# is suggested by its name only.
CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "超标接待": ("接待", "宴请", "吃喝", "公款"),
    "违规发放津补贴": ("津贴", "补贴", "奖金", "福利"),
    "教辅材料违规征订": ("教辅", "资料费", "征订", "订购"),
    "校外培训隐形变异": ("校外培训", "培训机构", "辅导班"),
    "职称评审不正之风": ("职称", "评审", "评优"),
    "招生考试": ("招生", "入学", "择校", "考试"),
    "师德师风": ("体罚", "辱骂", "有偿补课", "师德", "礼品", "礼金", "红包"),
    "乱收费乱办班乱订资料": ("收费", "乱办班", "补课"),
    "工作纪律": ("纪律", "脱岗", "迟到", "早退", "打卡"),
    "服务态度与效能": ("态度", "拖延", "推诿", "办事难", "不作为"),
}
CHOICES: dict[str, type[models.TextChoices]] = {
    "source": Problem.Source,
    "list_kind": Problem.ListKind,
    "rtype": Problem.RectificationType,
    "dimension": Problem.Dimension,
}


@cache
def words_for(key: str) -> dict[str, str]:
    words = dict(choice_words(CHOICES[key]))
    words.update({fold(w): v for w, v in EXTRA_WORDS[key].items()})
    return words


def choice_value(key: str, text: str) -> str | None:
    """The stored value a cell names, or None. A 五查五看 cell may say "一查思想认识"."""
    folded = fold(text)
    value = words_for(key).get(folded)
    if value is None and key == "dimension":
        value = next(
            (v for v, label in chinese_labels(Problem.Dimension).items() if label in folded), None
        )
    return value


def allowed_words(key: str) -> str:
    return "、".join(chinese_labels(CHOICES[key]).values())


def list_kind_in(text: str) -> str | None:
    """The list a sheet's title or name speaks of ("××学校领导班子问题清单"), if any."""
    folded = fold(text)
    for word, value in (
        ("领导班子", Problem.ListKind.LEADERSHIP),
        ("科室风险", Problem.ListKind.DEPARTMENT_RISK),
        ("个人整改", Problem.ListKind.PERSONAL),
    ):
        if word in folded:
            return value
    return None


# -- values --


CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
CN_DIGITS.update({"七": 7, "八": 8, "九": 9})


def small_number(text: str) -> int | None:
    """15, "十五", "二十" → an int below 100."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return CN_DIGITS[text] if len(text) == 1 else None
    tens, _sep, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1:
        return None
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[units] if units else 0)


_WORKDAYS = re.compile(
    r"^(?:在|于)?(\d{1,3}|[零一二两三四五六七八九十]{1,3})个?工作日(?:内|以内|之内)?$"
)
_NATURAL_DAYS = re.compile(
    r"^(\d{1,3}|[零一二两三四五六七八九十]{1,3})(?:个)?(?:自然日|天|日)(?:内|以内)?$"
)
_MONTH = re.compile(r"^(\d{4})(?:年|-|\.|/)(\d{1,2})月?(?:底|末|份)?$")
_BEFORE = re.compile(r"(?:之前|以前|前|止|为止)$")
MAX_WORKDAYS = 250


@dataclass(frozen=True)
class Deadline:
    day: date | None = None
    workdays: int | None = None
    kind: str = ""  # a rectification type the cell names instead of a date (立行立改, 长期坚持)


def parse_deadline(value: Any, *, date1904: bool = False) -> Deadline | None:
    """整改时限 as a date, "N个工作日", or 立行立改 / 长期坚持; None when unreadable."""
    if isinstance(value, bool):
        return None
    if not isinstance(value, str):
        day = cell_date(value, date1904=date1904)
        return Deadline(day=day) if day else None
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
    kind = words_for("rtype").get(fold(text))
    if kind and kind != Problem.RectificationType.TIME_LIMITED:
        return Deadline(kind=kind)
    if match := _WORKDAYS.match(text):
        days = small_number(match[1])
        return Deadline(workdays=days) if days and days <= MAX_WORKDAYS else None
    text = _BEFORE.sub("", text)
    if day := cell_date(text):
        return Deadline(day=day)
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12:
            return Deadline(day=date(year, month, _calendar.monthrange(year, month)[1]))
    return None


def natural_days(value: Any) -> bool:
    """Whether a deadline says "15天" (calendar days), which we do not guess at."""
    return isinstance(value, str) and bool(_NATURAL_DAYS.match(re.sub(r"\s+", "", value)))


DONE_WORDS = {"已完成", "完成", "已整改", "整改完成", "已办结"}
NOT_STARTED_WORDS = {"未开始", "未整改", "尚未开始"}


def parse_progress(value: Any) -> int | None:
    """整改进度: 60% / "60％" / 0.6 (a percent cell) / 60 / "已完成"; None when unreadable.

    A number cell of at most 1 is a percent-formatted fraction (Excel stores 60% as 0.6,
    100% as 1); a text "1" means 1%.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value) * 100 if 0 <= value <= 1 else float(value)
    else:
        text = fold(str(value))
        if text in DONE_WORDS:
            return 100
        if text in NOT_STARTED_WORDS:
            return 0
        match = re.fullmatch(r"(\d{1,3}(?:\.\d+)?)(%?)", text)
        if not match:
            match = re.fullmatch(r"(0?\.\d+)()", text)
        if not match:
            return None
        number = float(match[1])
        if not match[2] and "." in match[1] and number <= 1:
            number *= 100  # "0.6"
    if not 0 <= number <= 100:
        return None
    return round(number)


@dataclass(frozen=True)
class Completion:
    """完成情况 / 整改进展: the progress it states (None: "as the row's 整改进度 says, else
    `default`"), the status of the problem's measures, and whether it is a long-term item."""

    progress: int | None
    measures: str
    default: int = 0
    long_term: bool = False


_DOING, _TODO, _DONE = Measure.Status.DOING, Measure.Status.TODO, Measure.Status.DONE
COMPLETION_WORDS: dict[str, Completion] = {
    **{w: Completion(100, _DONE) for w in DONE_WORDS},
    **{w: Completion(None, _DOING, 50) for w in ("推进中", "正在推进", "整改中", "正在整改")},
    **{w: Completion(0, _TODO) for w in ("未启动", *NOT_STARTED_WORDS)},
    **{w: Completion(None, _DOING, 50, True) for w in ("阶段性完成", "阶段性整改完成")},
}
ACCEPTED_COMPLETION = ("已完成", "推进中", "阶段性完成", "未启动")  # and a percentage


def parse_completion(value: Any) -> Completion | None:
    """完成情况: a word (已完成 / 推进中 / 阶段性完成 / 未启动), a word with a percentage
    ("推进中（60%）"), or a percentage alone (50%, ５０％, 0.5); None when unreadable."""
    text = fold(cell_text(value)) if isinstance(value, str) else ""
    if text:
        match = re.search(r"[(（,，:：]?(\d{1,3}(?:\.\d+)?%)[)）]?$", text)
        word = text[: match.start()] if match and match.start() else text
        found = COMPLETION_WORDS.get(word)
        if found is not None:
            given = parse_progress(match[1]) if match and word != text else None
            return Completion(
                given if given is not None else found.progress,
                found.measures,
                found.default,
                found.long_term,
            )
    progress = parse_progress(value)
    if progress is None:
        return None
    status = _DONE if progress == 100 else _DOING if progress else _TODO
    return Completion(progress, status)


# A cell that says "nothing here" for 建章立制 / 追责问责.
NONE_WORDS = frozenset({"/", "-", "—", "暂无", "无需"})


# The export writes the rules register's entries linked to a problem into its 建章立制 cell
# (`registry.problem_links`), each on a line of its own with this mark; they are the register's,
# not the problem's text, so a re-import leaves them out.
LINKED_MARK = "【制度清单】"


def without_linked(text: str) -> str:
    """A 建章立制 cell without the lines the export added from the rules register."""
    if LINKED_MARK not in text:
        return text
    lines = [line for line in text.splitlines() if not line.strip().startswith(LINKED_MARK)]
    return "\n".join(lines).strip()


def with_linked(text: str, linked: list[str]) -> str:
    """A problem's 建章立制 text with the rules register's entries linked to it, one a line."""
    lines = [text] if text else []
    return "\n".join([*lines, *(f"{LINKED_MARK}{item}" for item in linked)])


def yes_no_text(text: str) -> str:
    """建章立制 / 追责问责: "是" stays "是", "否" or "无" becomes blank, anything else is kept
    as written (the name of the rule adopted, the outcome of the accountability)."""
    answer = yes_no(text, no=NONE_WORDS)
    if answer is None:
        return text
    return "是" if answer else ""


# A numbered item starts a measure: "1." "2、" "(3)" "（4）" "①" "一是" "第一，".
_ITEM = (
    r"(?:\d{1,2}(?:[.．、)）](?!\d))"
    r"|[(（]\d{1,2}[)）]"
    r"|[①-⑳]"
    r"|[(（]?[一二三四五六七八九十]{1,3}[)）、是．.]"
    r"|第[一二三四五六七八九十]{1,3}[，,、：:])"
)
_ITEM_START = re.compile(rf"^\s*{_ITEM}\s*")
# Where a numbered item begins mid-line: after a separator, or anywhere for ①② and (1)(2).
_ITEM_INSIDE = re.compile(rf"(?:(?<=[；;。，,\s])|(?=[①-⑳])|(?=[(（]\d{{1,2}}[)）]))(?={_ITEM})")


def split_measures(text: str) -> list[str]:
    """整改措施 as a list: one per line, or numbered inline (1. … 2. … / ①…②… / 一是…二是…)."""
    items: list[str] = []
    for line in re.split(r"[\r\n]+", text):
        for part in _ITEM_INSIDE.split(line):
            item = _ITEM_START.sub("", part).strip().rstrip("；;，,").strip()
            if item:
                items.append(item)
    return items


def split_names(text: str) -> list[str]:
    """配合单位: several names separated by 、，,；; / or new lines."""
    return [n.strip() for n in re.split(r"[、，,；;/\r\n]+", text) if n.strip()]
