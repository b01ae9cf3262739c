"""The roster layout: its sheets and columns.

Column labels and value labels (学校, 是/否 …) are a fixed exchange format, so they are
deliberately not translated; the messages shown to the user are.
"""

from __future__ import annotations

from qingfeng.lib.xlsx import Column, Columns
from qingfeng.orgs.models import Unit

UNITS, PEOPLE = "units", "people"
SHEET_TITLES = {UNITS: "单位", PEOPLE: "人员"}
SHEET_NAMES = {UNITS: ("单位", "单位名册", "单位信息"), PEOPLE: ("人员", "人员名册", "人员信息")}

UNIT_COLUMNS = Columns(
    (
        Column("code", "单位编码", ("单位代码",), required=True, width=14),
        Column("name", "单位名称", ("单位全称",), required=True, width=30),
        Column("short_name", "简称", ("单位简称",), width=14),
        Column("aliases", "别名", ("曾用名",), width=20),
        Column("kind", "单位类型", required=True, width=14),
        Column("category", "单位类别", width=14),
        Column("stage", "学段", ("办学层次",), width=14),
        Column("locale", "城乡", ("城乡类型",), width=10),
        Column("parent", "上级单位编码", ("上级单位代码", "上级编码"), width=14),
        Column("sort_order", "排序", ("排序号",), width=8),
    )
)
PEOPLE_COLUMNS = Columns(
    (
        Column("name", "姓名", required=True, width=10),
        Column("unit_code", "所在单位编码", ("单位编码", "所在单位代码", "单位代码"), width=14),
        Column("unit_name", "所在单位", ("单位名称", "所在单位名称", "工作单位"), width=30),
        Column("post_type", "岗位类型", ("岗位类别",), required=True, width=14),
        Column("position", "职务", ("职务职称",), width=14),
        Column("party", "是否党员", ("中共党员", "政治面貌", "党员"), width=10),
        Column("phone", "手机号", ("手机号码", "联系电话", "电话", "手机"), width=16),
        Column("active", "在岗", ("是否在岗", "在岗状态"), width=8),
    )
)
COLUMNS = {UNITS: UNIT_COLUMNS, PEOPLE: PEOPLE_COLUMNS}


def derive_category(kind: str) -> str:
    if kind in (Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN):
        return Unit.Category.SCHOOL
    if kind == Unit.Kind.RESEARCH:
        return Unit.Category.RESEARCH
    return Unit.Category.ORGAN
