"""The dashboard (驾驶舱) in a real browser, at desktop and phone sizes: a county
administrator sees their county and its schools, and a school's number opens its records."""

from __future__ import annotations

import re

from e2e.conftest import Browser, expect
from e2e.test_ledger import sign_in_as


def test_a_county_reads_its_dashboard_and_opens_a_schools_records(ui: Browser) -> None:
    page = ui.page
    sign_in_as(ui, "county_admin")
    ui.goto("/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("驾驶舱")
    ledger = page.get_by_test_id("dashboard-ledger")
    expect(ledger).to_be_visible()
    expect(ledger).to_contain_text("合计")
    expect(page.get_by_test_id("dashboard-intake")).to_be_visible()
    ui.assert_no_horizontal_overflow()
    ui.screenshot("dashboard-county")
    # A school's row: its first number is a link to the school's ledger list, narrowed to it.
    school_link = page.get_by_test_id("dashboard-units-ledger").locator("tbody tr").nth(1)
    school_link = school_link.locator("td a").first
    school_link.click()
    expect(page).to_have_url(
        re.compile(r"/ledger/\?figure=\w+&period_from=[\d-]+&period_to=[\d-]+&unit=\d+$")
    )
    # The list says which number it is behind and counts the same.
    expect(page.get_by_test_id("figure-banner")).to_contain_text("背后的记录")


def test_the_dashboards_charts_have_their_tables_and_save_as_png(ui: Browser) -> None:
    page = ui.page
    sign_in_as(ui, "bureau_admin")
    ui.goto("/dashboard/")
    ledger = page.get_by_test_id("dashboard-ledger")
    # The chart is drawn (a canvas) beside the table of its numbers.
    expect(ledger.locator("[data-chart] canvas").first).to_be_visible()
    expect(page.get_by_test_id("dashboard-changes-ledger")).to_contain_text("环比")
    expect(page.get_by_test_id("dashboard-stage-rectify")).to_be_visible()
    ui.assert_no_horizontal_overflow()
    ui.screenshot("dashboard-bureau")
    # The same trend week by week: the last 13 weeks, week on week.
    page.get_by_test_id("dashboard-by-week").first.click()
    expect(page).to_have_url(re.compile(r"trend=week"))
    expect(page.get_by_test_id("dashboard-changes-ledger")).to_contain_text("最近一周")
    expect(ledger.locator("[data-chart] canvas").first).to_be_visible()
    ui.assert_no_horizontal_overflow()
    ui.screenshot("dashboard-bureau-weeks")
    ui.goto("/dashboard/")
    if ui.is_phone:
        return
    with page.expect_download() as png:
        ledger.locator("[data-chart-png]").click()
    assert png.value.suggested_filename.endswith(".png")
    with page.expect_download() as workbook:
        page.get_by_test_id("dashboard-export-ledger").click()
    assert workbook.value.suggested_filename.endswith(".xlsx")


def test_the_large_screen_fills_a_meeting_room_display(desktop: Browser) -> None:
    page = desktop.page
    sign_in_as(desktop, "bureau_admin")
    page.set_viewport_size({"width": 1920, "height": 1080})
    desktop.goto("/dashboard/screen/")
    expect(page.get_by_test_id("dashboard-screen")).to_be_visible()
    expect(page.get_by_test_id("screen-ledger")).to_contain_text("新增问题")
    expect(page.get_by_test_id("screen-ledger").locator("canvas").first).to_be_visible()
    desktop.assert_no_horizontal_overflow()
    path = desktop.screenshot("dashboard-screen-1920")
    assert path.exists()


def test_a_figures_page_without_parameters_offers_this_months_numbers(ui: Browser) -> None:
    """/learning/figures/ opened bare (a bookmark, a link copied without its query): the
    month's numbers to choose from, no errors about missing parameters."""
    page = ui.page
    sign_in_as(ui, "county_admin")
    ui.goto("/learning/figures/")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("figures-bare")
    expect(page.get_by_test_id("figure-choices")).to_be_visible()
    expect(page.get_by_test_id("figure-errors")).to_have_count(0)
