"""The campaign's rhythm in the browser: the campaign office sets up the seed campaign; the
school sees its own task list and files its weekly report on a phone (pre-filled figures,
one corrected with its reason); the county sees the roll-up and returns the report; the
office generates the month's bulletin in the official format."""

from __future__ import annotations

import pytest

from e2e.conftest import Browser, expect
from e2e.test_intake import sign_in_as, top

pytestmark = pytest.mark.e2e


def test_campaign_weekly_report_and_bulletin(ui: Browser) -> None:
    page = ui.page
    sign_in_as(ui, "intake_office")
    ui.goto("/campaigns/")
    page.get_by_test_id("seed").click()
    expect(page.get_by_test_id("projects")).to_contain_text("靶向攻坚")
    expect(page.get_by_test_id("issued-tasks")).to_contain_text("校长接待日")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("campaign")

    sign_in_as(ui, "school_admin")
    ui.goto("/campaigns/")
    page.locator("[data-testid=campaigns] a").first.click()
    tasks = page.get_by_test_id("my-tasks")
    expect(tasks).to_contain_text("校长接待日")
    expect(tasks).not_to_contain_text("机关开放周")  # the organs' task is not the school's
    ui.goto("/campaigns/weekly/")
    page.get_by_test_id("fill").click()
    prefill = page.get_by_test_id("prefill")
    expect(prefill).to_contain_text("新增问题")
    page.get_by_label("新增问题", exact=True).fill("5")
    page.locator("input[name=r_problems_new]").fill("")  # a correction without its reason
    page.fill("#id_narrative", "召开作风建设专题会议，推进问题整改。")
    page.get_by_test_id("file").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text("须说明理由")
    page.get_by_label("新增问题", exact=True).fill("5")
    page.locator("input[name=r_problems_new]").fill("线下自查新发现")
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("weekly-fill")
    page.get_by_test_id("file").click()
    expect(page.get_by_test_id("report-status")).to_have_text("已报送")
    expect(page.get_by_test_id("figures")).to_contain_text("线下自查新发现")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("weekly-report")

    sign_in_as(ui, "county_admin")
    ui.goto("/campaigns/weekly/")
    expect(page.get_by_test_id("weekly-units")).to_contain_text("东城区实验小学")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("weekly-rollup")
    page.get_by_test_id("weekly-units").get_by_role("link", name="已报送").click()
    page.fill("#reason", "请补充本周接待日安排")
    page.get_by_role("button", name="退回").click()
    expect(page.get_by_test_id("report-status")).to_have_text("已退回")

    sign_in_as(ui, "intake_office")
    ui.goto("/reports/new/")
    page.fill("#id_month", "2026-11-01")
    page.fill("#id_number", f"清教作〔2026〕{1 if ui.size == 'desktop' else 2}号")
    page.get_by_test_id("generate").click()
    expect(page.get_by_test_id("conforms")).to_be_visible()
    expect(page.get_by_test_id("overview")).to_contain_text("全市新增问题")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("bulletin")
