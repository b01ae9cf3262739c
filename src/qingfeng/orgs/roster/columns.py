"""The roster layout: sheets, columns, and how a cell's text becomes a value.

Column labels and value labels (学校, 是/否 …) are a fixed exchange format, so they are
deliberately not translated; the messages shown to the user are.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Any

from django.db import models
from django.utils import translation

from qingfeng.orgs.models import Unit

UNITS, PEOPLE = "units", "people"
SHEET_TITLES = {UNITS: "单位", PEOPLE: "人员"}
SHEET_NAMES = {UNITS: ("单位", "单位名册", "单位信息"), PEOPLE: ("人员", "人员名册", "人员信息")}
ERROR_LABEL = "错误说明"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: int = 14


UNIT_COLUMNS = (
    Column("code", "单位编码", True, ("单位代码",)),
    Column("name", "单位名称", True, ("单位全称",), width=30),
    Column("short_name", "简称", aliases=("单位简称",)),
    Column("aliases", "别名", aliases=("曾用名",), width=20),
    Column("kind", "单位类型", True),
    Column("category", "单位类别"),
    Column("stage", "学段", aliases=("办学层次",)),
    Column("locale", "城乡", aliases=("城乡类型",), width=10),
    Column("parent", "上级单位编码", aliases=("上级单位代码", "上级编码")),
    Column("sort_order", "排序", aliases=("排序号",), width=8),
)
PEOPLE_COLUMNS = (
    Column("name", "姓名", True, width=10),
    Column("unit_code", "所在单位编码", aliases=("单位编码", "所在单位代码", "单位代码")),
    Column("unit_name", "所在单位", aliases=("单位名称", "所在单位名称", "工作单位"), width=30),
    Column("post_type", "岗位类型", True, ("岗位类别",)),
    Column("position", "职务", aliases=("职务职称",)),
    Column("party", "是否党员", aliases=("中共党员", "政治面貌", "党员"), width=10),
    Column("phone", "手机号", aliases=("手机号码", "联系电话", "电话", "手机"), width=16),
    Column("active", "在岗", aliases=("是否在岗", "在岗状态"), width=8),
)
COLUMNS = {UNITS: UNIT_COLUMNS, PEOPLE: PEOPLE_COLUMNS}
LABELS = {kind: {c.key: c.label for c in cols} for kind, cols in COLUMNS.items()}


def cell_text(value: Any) -> str:
    """A cell as text: 13800001234.0 (a phone Excel stored as a number) is "13800001234"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).replace("\u200b", "").replace("\ufeff", "").strip()


def fold(text: str) -> str:
    """Full-width to half-width, no spaces, lower case: for phones and choice words."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def code_text(text: str) -> str:
    """Unit codes keep their case; full-width characters and stray spaces do not count."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def label_key(value: Any) -> str:
    # "* 手机号（必填）" and "手机号" name the same column.
    text = fold(cell_text(value)).replace("*", "").rstrip(":")
    return re.sub(r"\(.*?\)$", "", text)


def person_name(text: str) -> str:
    # Offices pad two-character names for alignment ("张  三"); that is still 张三.
    squeezed = re.sub(r"\s+", "", text)
    return squeezed if all("\u4e00" <= ch <= "\u9fff" or ch == "·" for ch in squeezed) else text


def derive_category(kind: str) -> str:
    if kind in (Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN):
        return Unit.Category.SCHOOL
    if kind == Unit.Kind.RESEARCH:
        return Unit.Category.RESEARCH
    return Unit.Category.ORGAN


@cache
def choice_words(choices: type[models.TextChoices]) -> dict[str, str]:
    """What a cell may say for each value: the Chinese label, the English label or the code."""
    words: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            words.update({fold(str(label)): value for value, label in choices.choices})
    words.update({fold(value): value for value in choices.values if value})
    return words


def chinese_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """value -> Chinese label, without the blank "不适用" choice (a blank cell says that)."""
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in choices.choices if value}
