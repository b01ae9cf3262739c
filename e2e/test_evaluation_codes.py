"""A sampling-frame round in the browser: the campaign office draws classes from the roster
with a recorded seed and prints the code slips (票码条: the school's address and QR code, one
code each); a parent opens the address on a phone-size page, types the code from the slip as
people do (lower case, no dash), rates and gets the thank-you page; the same code a second
time is refused with the same words as a code that never existed."""

from __future__ import annotations

import re

import pytest

from e2e.conftest import Browser, expect
from e2e.test_intake import as_citizen, pick, sign_in_as, top

pytestmark = pytest.mark.e2e

FRAME = "三年级（1）班\n三年级（2）班\n四年级（1）班\n五年级（3）班"
SCHEME = "师德师风｜师德师风建设｜３０｜30分\n办学行为｜规范收费｜25｜10\n办学行为｜规范办学行为｜25｜20\n整改成效｜整改落实成效｜20｜40"
REFUSED = "票码无效或已使用，请核对后重新输入"


def frame_round(ui: Browser, name: str) -> None:
    page = ui.page
    sign_in_as(ui, "intake_office")
    ui.goto("/evaluation/new/")
    page.fill("#id_name", name)
    page.select_option("#id_mode", label="抽样评议（票码）")
    page.check("input[name=kinds][value=school]")
    page.select_option("#id_area", label="东城区教育局")
    page.fill("#id_min_sample", "3")
    page.get_by_role("button", name="保存为草稿").click()
    # The third-party indicator scheme, pasted as the office keeps it in a spreadsheet.
    page.get_by_test_id("scheme-link").click()
    page.fill("#id_indicators", SCHEME)
    page.get_by_role("button", name="保存指标体系").click()
    expect(page.get_by_test_id("scheme-row")).to_have_count(4)
    page.get_by_test_id("open-round").click()
    expect(page.get_by_test_id("round-status")).to_have_text("评议中")
    scheme = page.get_by_test_id("scheme")
    expect(scheme).to_contain_text("第三方评估指标体系（第 1 版）")
    ui.assert_no_horizontal_overflow()
    scheme.scroll_into_view_if_needed()
    ui.screenshot("evaluation-scheme")


def print_slips(ui: Browser) -> tuple[list[str], str]:
    """The office draws two classes, three codes each; returns the codes and the address."""
    page = ui.page
    page.get_by_role("link", name="生成票码").click()
    page.select_option("#id_unit", label="东城区实验小学")
    page.fill("#id_frame", FRAME)
    page.fill("#id_draw", "2")
    page.fill("#id_per_entry", "3")
    page.fill("#id_seed", "20261206")
    page.get_by_role("button", name="抽取并生成票码").click()
    slips = page.get_by_test_id("slip")
    expect(slips).to_have_count(6)
    expect(slips.first).to_contain_text("东城区实验小学")
    codes = [c.strip() for c in page.get_by_test_id("code").all_inner_texts()]
    assert all(re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]+", c) for c in codes), codes
    url = page.get_by_test_id("slip-url").first.inner_text().strip()
    assert url.endswith(f"/rate/u/{ui.server.units['school']}/"), url
    # The QR code on the slip is drawn (an image that loaded, not a broken one). decode()
    # waits for the image to load and fails if it cannot, so a slow load is not a failure.
    width = slips.first.locator("img").evaluate("img => img.decode().then(() => img.naturalWidth)")
    assert width > 0
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("evaluation-code-slips")
    return codes, url


def rate_with(ui: Browser, url: str, typed: str) -> None:
    page = ui.page
    as_citizen(ui)
    page.goto(url)  # what the QR code on the slip opens
    expect(page.get_by_test_id("rate-unit")).to_have_text("东城区实验小学")
    expect(page.get_by_test_id("non-probability")).to_have_count(0)  # a sample, not open
    page.fill("#id_code", typed)
    form = page.get_by_test_id("rate-form")
    pick(ui, form, "家长")
    pick(ui, form, "满意")
    page.get_by_test_id("rate-submit").click()


def test_a_parent_rates_with_the_code_from_a_printed_slip(ui: Browser) -> None:
    page = ui.page
    frame_round(ui, f"东城区学校抽样评议（{ui.size}）")
    codes, url = print_slips(ui)

    # Typed as a parent types it on a phone: lower case, the dash left out.
    typed = codes[0].replace("-", "").lower()
    rate_with(ui, url, typed)
    expect(page.get_by_test_id("thanks")).to_contain_text("感谢您的评价")
    top(ui)
    ui.screenshot("rate-code-thanks")

    # The same slip again, and a code nobody printed: the same answer, nothing stored.
    ui.expect_console_error("status of 400")  # Chromium logs the refused form's answer
    for again in (codes[0], "ZZZZ-ZZZZ"):
        rate_with(ui, url, again)
        expect(page.locator(".invalid-feedback")).to_have_text(REFUSED)
    expect(page.locator("#id_code")).to_have_value("ZZZZ-ZZZZ")
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("rate-code-refused")

    # Before submitting, as the parent sees it: the code typed, the choices made.
    as_citizen(ui)
    page.goto(url)
    page.fill("#id_code", codes[1])
    form = page.get_by_test_id("rate-form")
    pick(ui, form, "家长")
    pick(ui, form, "基本满意")
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("rate-code-form")
    page.get_by_test_id("rate-submit").click()
    expect(page.get_by_test_id("thanks")).to_be_visible()
