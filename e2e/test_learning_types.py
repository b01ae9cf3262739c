"""Study types, audiences and absentees in the browser, at each size: the campaign office adds
a teachers-only type (a bad minimum is refused in Chinese first), the school admin plans a
session of it (only the teachers are expected), marks an absentee with a reason, records the
session and fills in the other absentee's reason; the minutes list both and the sheet
downloads; the office then deactivates the type."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from e2e.conftest import Browser, expect
from e2e.test_intake import sign_in_as, top

pytestmark = pytest.mark.e2e


def test_types_audience_and_absentee_reasons(ui: Browser) -> None:
    page = ui.page
    name = f"教师专题学习（{ui.size}）"

    sign_in_as(ui, "intake_office")
    ui.goto("/learning/types/")
    expect(page.get_by_test_id("types")).to_contain_text("中心组专题研学")
    page.get_by_test_id("type-new").click()
    page.fill("#id_name", name)
    page.select_option("#id_cadence", value="monthly")
    page.fill("#id_minimum", "0")
    page.select_option("#id_audience", value="all")
    page.get_by_label("专任教师").check()
    page.get_by_label("党员教师").check()
    page.fill("#id_alert_workdays", "5")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("type-form")).to_contain_text("每期至少次数须在 1 到 31 之间")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("learning-type-error")
    page.fill("#id_minimum", "1")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("types")).to_contain_text(name)
    expect(page.get_by_test_id("types")).to_contain_text("专任教师")
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("learning-types")

    sign_in_as(ui, "school_admin")
    ui.goto(f"/learning/u/{ui.server.units['school']}/new/")
    page.select_option("#id_type", label=name)
    starts = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(minutes=30)
    page.fill("#id_starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "录播教室")
    page.fill("#id_chair", "孙立平")
    page.fill("#id_topic", "研读《新时代中小学教师职业行为十项准则》")
    page.get_by_role("button", name="保存").click()
    attendance = page.get_by_test_id("attendance")
    expect(attendance).to_contain_text("欧阳娜娜")
    expect(attendance).not_to_contain_text("李明")  # a middle-level cadre: not a teacher
    absent = page.locator("tr", has_text="欧阳娜娜")
    absent.locator("select").select_option("absent")
    absent.locator("input[name^=reason-]").fill("外出参加区教研活动")
    page.get_by_test_id("save-attendance").click()
    page.fill("#id_minutes", "逐条研读十项准则，结合本校师德师风问题交流。")
    page.get_by_test_id("hold").click()
    minutes = page.get_by_test_id("absentees")
    expect(minutes).to_contain_text("欧阳娜娜（缺席：外出参加区教研活动）")
    expect(minutes).to_contain_text("周小燕（缺席：未填写原因）")
    page.locator("[data-testid=reasons-form] input[name^=reason-]").first.fill("临时陪同区督导检查")
    page.get_by_test_id("save-reasons").click()
    expect(page.get_by_test_id("absentees")).to_contain_text("周小燕（缺席：临时陪同区督导检查）")
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("learning-session-absentees")
    with page.expect_download() as download:
        page.get_by_test_id("session-sheet").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    sign_in_as(ui, "intake_office")
    ui.goto("/learning/types/")
    page.locator("tr", has_text=name).get_by_test_id("deactivate").click()
    expect(page.locator("tr", has_text=name)).to_contain_text("已停用")
