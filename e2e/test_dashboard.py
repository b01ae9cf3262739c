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
    # A school's row: its first number is a link to the school's ledger list.
    school_link = ledger.locator("tbody tr").nth(1).locator("td a").first
    school_link.click()
    expect(page).to_have_url(re.compile(r"/ledger/\?unit=\d+$"))
