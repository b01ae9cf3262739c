"""Learning in the browser, at each size: the school admin plans a session and shows the
rotating sign-in code; a teacher opens the code on the phone and signs in (a second try is
refused with the reason); the campaign office issues a pledge and the teacher signs it; the
office enters a case, approves it into the library, and the teacher finds it by a
two-character search."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from e2e.conftest import Browser, expect
from e2e.test_intake import sign_in_as, top

pytestmark = pytest.mark.e2e


def plan_session(ui: Browser, topic: str) -> str:
    """The school admin plans an all-staff study starting in a few minutes; returns the URL
    the code on the screen holds."""
    page = ui.page
    sign_in_as(ui, "school_admin")
    ui.goto(f"/learning/u/{ui.server.units['school']}/")
    expect(page.get_by_test_id("cadence")).to_contain_text("中心组专题研学")
    page.get_by_test_id("new-session").click()
    page.select_option("#id_type", label="全体教职工学习")
    starts = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(minutes=3)
    page.fill("#id_starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "学校会议室")
    page.fill("#id_chair", "孙立平")
    page.fill("#id_topic", topic)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("session-status")).to_have_text("已计划")
    page.get_by_test_id("show-qr").click()
    expect(page.get_by_test_id("signed-count")).to_contain_text("已签到 0")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("learning-qr")
    return page.get_by_test_id("qr").get_attribute("data-scan-url") or ""


def test_scan_sign_and_search(ui: Browser) -> None:
    page = ui.page
    url = plan_session(ui, f"学习中央八项规定精神（{ui.size}）")

    sign_in_as(ui, "teacher")
    page.goto(url)
    page.get_by_test_id("scan-confirm").click()
    expect(page.get_by_test_id("scan-ok")).to_contain_text("签到成功")
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("learning-scan")
    page.goto(url)
    page.get_by_test_id("scan-confirm").click()
    expect(page.get_by_test_id("scan-error")).to_contain_text("不能重复使用")

    # The office issues this year's pledge (a year per size: the server is shared).
    year = "2030" if ui.size == "desktop" else "2031"
    title = f"{year}年廉洁从教承诺书"
    sign_in_as(ui, "intake_office")
    ui.goto("/learning/pledges/")
    page.select_option("#id_group", value="all")
    page.fill("#id_year", year)
    page.fill("#id_title", title)
    page.fill("#id_text", "一、严守中央八项规定精神。\n二、不收受学生及家长礼品礼金。")
    page.get_by_role("button", name="发布").click()
    expect(page.get_by_test_id("pledge-text")).to_contain_text("严守中央八项规定精神")

    # And a case into the library.
    case_title = f"某小学教师收受家长购物卡（{ui.size}）"
    ui.goto("/learning/cases/new/")
    page.fill("#id_title", case_title)
    page.select_option("#id_category", value="gifts")
    page.select_option("#id_level", value="other")
    page.fill("#id_facts", "教师节前后，某小学一名教师收受家长所送购物卡两张。")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="提交审核").click()
    page.get_by_role("button", name="审核入库").click()
    expect(page.get_by_test_id("case-status")).to_have_text("已入库")

    # The teacher signs on the phone and searches the library.
    sign_in_as(ui, "teacher")
    ui.goto("/learning/me/")
    page.get_by_test_id("my-pledge").filter(has_text=title).click()
    page.get_by_test_id("sign").click()
    expect(page.get_by_test_id("signed")).to_contain_text("已于")
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("learning-pledge")
    ui.goto("/learning/cases/")
    page.get_by_test_id("case-q").fill("购物")
    page.get_by_test_id("case-search").click()
    expect(page.get_by_test_id("case-results")).to_contain_text(case_title)
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("learning-cases")


def test_people_served_rate_the_pledges(ui: Browser) -> None:
    """A parent scans the unit's pledge-rating code on the phone: no login, two taps."""
    page = ui.page
    year = str(datetime.now(ZoneInfo("Asia/Shanghai")).year)
    sign_in_as(ui, "intake_office")
    ui.goto("/learning/pledges/")
    page.select_option("#id_group", value="support")
    page.fill("#id_year", year)
    page.fill("#id_title", f"{year}年教辅人员廉洁承诺书")
    page.fill("#id_text", "一、不向学生推销教辅材料。\n二、不收受家长礼品礼金。")
    page.get_by_role("button", name="发布").click()  # the second size finds it issued: fine
    page.context.clear_cookies()
    ui.goto(f"/rate/pledge/u/{ui.server.units['school']}/")
    expect(page.get_by_test_id("pledge-rate-unit")).to_be_visible()
    page.get_by_test_id("pledge-texts").locator("summary").click()
    expect(page.get_by_test_id("pledge-texts")).to_contain_text("不向学生推销教辅材料")
    page.locator("label.form-selectgroup-item", has_text="家长").click()
    page.locator("label.form-selectgroup-item", has_text="较好").click()
    ui.assert_no_horizontal_overflow()
    ui.screenshot("learning-pledge-rate")
    page.get_by_test_id("pledge-rate-submit").click()
    expect(page.get_by_test_id("pledge-thanks")).to_contain_text("感谢您的评价")
    ui.screenshot("learning-pledge-rate-thanks")
    # The school sees the quarter's count, with the code to print.
    sign_in_as(ui, "school_admin")
    ui.goto(f"/learning/u/{ui.server.units['school']}/")
    card = page.get_by_test_id("public-ratings")
    expect(card).to_contain_text("群众评诺")
    expect(page.get_by_test_id("pledge-qr")).to_be_visible()
    card.scroll_into_view_if_needed()
    ui.assert_no_horizontal_overflow()
    ui.screenshot("learning-pledge-rate-staff")


def test_a_dashboard_number_of_learning_opens_the_records_behind_it(ui: Browser) -> None:
    """The county's dashboard: a learning number links to the list of its records, which
    names the number and counts the same; then an oversight and a campaign number do too."""
    page = ui.page
    sign_in_as(ui, "county_admin")
    for source in ("learning", "oversight", "campaigns"):
        ui.goto("/dashboard/")
        cells = page.get_by_test_id(f"dashboard-units-{source}").locator("a[href*='figure=']")
        # A number that is not zero where there is one (the demo has records in most).
        link = next((c for c in cells.all() if c.inner_text().strip() != "0"), cells.first)
        number = link.inner_text().strip()
        link.click()
        banner = page.get_by_test_id("figure-banner")
        expect(banner).to_contain_text("背后的记录")
        expect(banner).to_contain_text(f"共 {number} 条")
        ui.assert_no_horizontal_overflow()
        ui.screenshot(f"figure-records-{source}")
