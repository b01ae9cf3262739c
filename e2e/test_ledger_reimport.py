"""The ledger sent again in the browser: the county's March ledger imported, then April's
(reordered, one row's progress and one row's deadline changed, one new row) previewed with
before → after, one change left unticked, and the rest confirmed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook

from e2e.conftest import Browser, expect
from e2e.test_ledger import sign_in_as

pytestmark = pytest.mark.e2e

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = [
    "序号",
    "清单类别",
    "问题来源",
    "问题类别",
    "问题概述",
    "问题描述",
    "整改措施",
    "责任单位",
    "责任人",
    "整改时限",
    "整改进度",
]


def workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["东城区教育局作风问题整改台账"])
    sheet.append(["填报单位：东城区教育局", None, None, None, None, "填报日期：2026年12月1日"])
    sheet.append(HEADER)
    for i, row in enumerate(rows, start=1):
        sheet.append([i, *row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rows(size: str, month: int) -> list[list[Any]]:
    """The county's ledger rows; April's differ from March's as a month's work does."""
    catering = [
        "个人整改清单",
        "自查",
        "师德师风",
        "收受家长购物卡",
        f"班主任在教师节收受家长赠送的购物卡两张（{size}）。",
        "1.退回购物卡\n2.在年级组会上作检讨",
        "东城区实验小学",
        "周小燕",
        "2027年3月31日",
        "30%" if month == 3 else "70%",
    ]
    fees = [
        "领导班子问题清单",
        "自查",
        "乱收费乱办班乱订资料",
        "课后服务收费未公示",
        f"课后服务收费标准和收支情况未向家长公示（{size}）。",
        "1.公示收费标准\n2.按学期公开收支",
        "东城区实验小学",
        "",
        "2027年4月30日" if month == 3 else "2027年5月31日",
        "0%",
    ]
    meetings = [
        "领导班子问题清单",
        "自查",
        "工作纪律",
        "会议过多挤占教学时间",
        f"每周例会超过三次，挤占教师备课时间（{size}）。",
        "1.精简会议\n2.合并例会",
        "东城区实验小学",
        "",
        "2027年2月28日",
        "50%",
    ]
    if month == 3:
        return [catering, fees, meetings]
    canteen = [
        "领导班子问题清单",
        "自查",
        "其他",
        "食堂账目公示不及时",
        f"学校食堂收支账目未按月公示，家长委员会多次询问（{size}）。",
        "1.按月公示食堂账目",
        "东城区实验小学",
        "",
        "2027年6月30日",
        "0%",
    ]
    return [meetings, canteen, catering, fees]  # April's order is not March's


def upload(ui: Browser, name: str, data: bytes) -> None:
    ui.goto("/ledger/import/")
    ui.page.set_input_files("#id_file", files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    ui.page.get_by_role("button", name="上传并导入").click()


def test_a_ledger_sent_again_is_previewed_and_only_the_ticked_rows_are_written(
    ui: Browser,
) -> None:
    page = ui.page
    sign_in_as(ui, "county_admin")
    upload(ui, "东城区3月台账.xlsx", workbook(rows(ui.size, 3)))
    expect(page.locator(".alert-success")).to_contain_text("导入成功：新增 3 个问题")

    upload(ui, "东城区4月台账.xlsx", workbook(rows(ui.size, 4)))
    expect(page.get_by_test_id("import-status")).to_have_text("待确认更新")
    changed = page.get_by_test_id("preview-changed")
    expect(changed.get_by_test_id("preview-row")).to_have_count(2)
    catering = changed.get_by_test_id("preview-row").filter(has_text="收受家长购物卡")
    expect(catering).to_contain_text("整改进度：30% → 70%")
    fees = changed.get_by_test_id("preview-row").filter(has_text="课后服务收费未公示")
    expect(fees).to_contain_text("2027年4月30日 → 2027年5月31日")
    expect(page.get_by_test_id("preview-new")).to_contain_text("食堂账目公示不及时")
    expect(page.get_by_test_id("preview-unchanged")).to_contain_text("无变化的问题 1")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("ledger-reimport-preview")

    # The group's box clears and ticks its rows; then the deadline change is left out.
    group = changed.get_by_role("checkbox", name="全选本组")
    group.uncheck()
    expect(changed.locator("input[name=row]:checked")).to_have_count(0)
    group.check()
    expect(changed.locator("input[name=row]:checked")).to_have_count(2)
    fees.locator("input[name=row]").uncheck()
    page.get_by_test_id("reimport-confirm").click()

    expect(page.locator(".alert-success")).to_contain_text("已确认：新增 1 个问题，更新 1 个问题")
    expect(page.get_by_test_id("import-status")).to_have_text("已导入")
    expect(fees).to_contain_text("未选")
    expect(catering).to_contain_text("已写入")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("ledger-reimport-applied")

    # The ledger holds the new progress, and the unticked deadline as it was.
    page.goto(ui.server.at("/ledger/?q=" + f"（{ui.size}）"))
    expect(page.get_by_text("食堂账目公示不及时").first).to_be_visible()
