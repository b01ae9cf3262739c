"""A sealed unannounced visit (四不两直) in the browser: the campaign office plans it (the
target sealed on submission); the group's leader opens it at its time on a phone, reveals the
target, records the checklist and a finding with a photo, and finishes; the school finds the
problem in its ledger."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from e2e.conftest import Browser, expect
from e2e.setup_data import SUPERVISOR_TOTP_SECRETS
from e2e.test_intake import sign_in_as, top
from qingfeng.oversight.tests.test_visits import JPEG

pytestmark = pytest.mark.e2e


def sign_in_with_code(ui: Browser, username: str, secret: str) -> None:
    import pyotp

    ui.page.context.clear_cookies()
    ui.login(username)
    expect(ui.page).to_have_url(ui.server.at("/accounts/second-factor/"))
    ui.page.fill("#id_code", pyotp.TOTP(secret).now())
    ui.page.get_by_role("button", name="验证").click()
    expect(ui.page).to_have_url(ui.server.at("/"))


def test_a_sealed_visit_from_plan_to_the_schools_ledger(ui: Browser, tmp_path: Path) -> None:
    page = ui.page
    finding = f"收费公示栏未更新本学期代收费项目（{ui.size}）"

    # The office plans the visit for twenty minutes from now: sealed on submission.
    sign_in_as(ui, "intake_office")
    ui.goto("/oversight/groups/")
    page.get_by_role("link", name=f"第一督导组（{ui.size}）").click()
    page.get_by_test_id("plan-visit").click()
    page.select_option("#id_unit", label="东城区实验小学")
    start = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(minutes=20)
    page.fill("#id_planned_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.locator("input[name=team]").first.check()
    page.check("input[name=checklist_items][value=fees]")
    page.check("input[name=checklist_items][value=discipline]")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("visit-unit")).to_contain_text("密封")
    visit_url = page.url

    # The leader, on site: the reveal window (30 minutes before) is open.
    sign_in_with_code(ui, f"supervisor_{ui.size}", SUPERVISOR_TOTP_SECRETS[ui.size])
    page.goto(visit_url)
    expect(page.get_by_test_id("visit-unit")).not_to_contain_text("东城区实验小学")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("visit-sealed")
    page.get_by_test_id("reveal").click()
    expect(page.get_by_test_id("revealed-unit")).to_have_text("东城区实验小学")
    ui.screenshot("visit-revealed")
    page.goto(visit_url)
    page.get_by_test_id("start").click()
    expect(page.get_by_test_id("visit-unit")).to_have_text("东城区实验小学")
    record = page.get_by_test_id("record-form")
    record.locator("input[name=check_fees][value=problem]").check()
    record.locator("input[name=check_discipline][value=ok]").check()
    page.fill("#id_met", "校长、总务主任")
    record.get_by_role("button", name="保存记录").click()
    expect(page.locator(".alert", has_text="已保存")).to_be_visible()
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(JPEG)
    form = page.get_by_test_id("finding-form")
    form.locator("select[name=item]").select_option("fees")
    form.locator("textarea[name=text]").fill(finding)
    form.locator("input[name=photos]").set_input_files(str(photo))
    page.get_by_test_id("add-finding").click()
    expect(page.get_by_test_id("findings")).to_contain_text(finding)
    expect(page.get_by_test_id("findings")).to_contain_text("照片 1")
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("visit-record")
    page.get_by_test_id("finish").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("已完成")
    expect(page.get_by_test_id("finding-problem")).to_be_visible()

    # The school sees the problem in its ledger.
    sign_in_as(ui, "school_admin")
    ui.goto("/ledger/")
    expect(page.locator("body")).to_contain_text(finding[:12])
    top(ui)
    ui.screenshot("visit-school-ledger")


def test_an_observer_sees_the_area_and_raises_a_suggestion(ui: Browser) -> None:
    page = ui.page
    title = f"校门口接送秩序（{ui.size}）"
    sign_in_as(ui, f"observer_{ui.size}")
    # Not the staff's menu: the desk and the published evaluation, never the ledger's records
    # or the roster.
    menu = page.locator("#qf-nav")
    expect(menu.locator('a[href="/oversight/observer/"]')).to_have_count(1)
    for staff_page in ("/ledger/", "/orgs/people/", "/campaigns/", "/reports/"):
        expect(menu.locator(f'a[href="{staff_page}"]')).to_have_count(0)
    ui.goto("/oversight/observer/")
    expect(page.get_by_test_id("progress")).to_contain_text("已销号")
    expect(page.get_by_test_id("figures")).to_be_visible()
    # The area's published evaluation, unit by unit, as the evaluation published it.
    published = page.get_by_test_id("published-results")
    expect(published).to_contain_text("东城区第二中学")
    expect(published.locator("tr", has_text="东城区第二中学")).to_contain_text("达标")
    expect(published.locator("tr", has_text="东城区实验小学")).to_contain_text("样本不足")
    expect(published).not_to_contain_text("西山县")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("observer-desk")
    page.select_option("#id_unit", label="东城区实验小学")
    page.fill("#id_title", title)
    page.fill("#id_text", "放学时段家长车辆拥堵，建议错峰放学并安排护学岗。")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("participations")).to_contain_text("提出建议")
    expect(page.get_by_test_id("participations")).to_contain_text(title)
    ui.screenshot("observer-suggestion")

    # The school's admin reads that a suggestion was raised about the school, never what it says.
    sign_in_as(ui, "school_admin")
    day = page.evaluate("new Date().toLocaleDateString('sv-SE', {timeZone: 'Asia/Shanghai'})")
    ui.goto(f"/oversight/figures/?figure=observer_suggestions&period_from={day}&period_to={day}")
    records = page.get_by_test_id("figure-records")
    expect(records).to_contain_text("提出建议")
    expect(records).not_to_contain_text(title)
    ui.assert_no_horizontal_overflow()
    ui.screenshot("observer-suggestions-school")

    sign_in_as(ui, "intake_office")
    ui.goto("/oversight/observers/")
    expect(page.get_by_test_id("observers")).to_contain_text(f"观察员{ui.size}")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("observers-office")
