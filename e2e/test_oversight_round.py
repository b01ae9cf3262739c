"""An inspection round's workspace (巡察) in the browser, at both sizes: the team leader asks
the school for documents; the school answers with a file and never sees the round's tickets;
an observer's suggestion about the school, the same form sent three times, is one ticket and shows
among the tickets received during the round; the office opens the answer's file and downloads
the rectification report (.docx)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from e2e.conftest import Browser, expect
from e2e.setup_data import INSPECTOR_TOTP_SECRETS, round_name
from e2e.test_intake import sign_in_as, top
from e2e.test_oversight import sign_in_with_code
from qingfeng.oversight.tests.test_request_files import PDF

pytestmark = pytest.mark.e2e


def open_round(ui: Browser) -> None:
    ui.goto("/oversight/rounds/")
    ui.page.locator("tr", has_text=round_name(ui.size)).get_by_role("link").first.click()
    expect(ui.page.locator("h1")).to_have_text(round_name(ui.size))


def test_requests_files_tickets_and_the_report_of_a_round(ui: Browser, tmp_path: Path) -> None:
    page = ui.page
    what = f"2025年以来公务接待台账及报销票据（{ui.size}）"
    suggestion = f"食堂伙食费收支未公示（{ui.size}）"

    # The team leader, on the round's sixth day, asks the school for documents.
    sign_in_with_code(ui, f"inspector_{ui.size}", INSPECTOR_TOTP_SECRETS[ui.size])
    open_round(ui)
    expect(page.get_by_test_id("round-clock")).to_contain_text("共 40 天")
    expect(page.get_by_test_id("round-clock")).to_contain_text("第 6 天，剩余 34 天")
    expect(page.get_by_test_id("round-team")).to_contain_text("已签署回避声明")
    ask = page.locator("form[action$='/request/']")
    ask.get_by_label("单位").select_option(label="东城区实验小学")
    ask.get_by_label("调阅内容").fill(what)
    due = timezone.localdate() + timedelta(days=3)
    ask.get_by_label("提供期限").fill(due.isoformat())
    ask.get_by_role("button", name="发出调阅通知").click()
    expect(page.get_by_test_id("requests")).to_contain_text(what)
    ui.assert_no_horizontal_overflow()
    ui.screenshot("round-team")

    # The school answers with the file; the round's tickets are not shown to it.
    sign_in_as(ui, "school_admin")
    open_round(ui)
    row = page.get_by_test_id("requests").locator("tr", has_text=what)
    row.locator("input[name=response]").fill("已提供 2025 年 1 月以来的公务接待台账及报销票据")
    ledger = tmp_path / "公务接待台账.pdf"
    ledger.write_bytes(PDF)
    row.locator("input[name=documents]").set_input_files(str(ledger))
    row.get_by_role("button", name="提交").click()
    expect(row.get_by_test_id("response-file")).to_have_text("公务接待台账.pdf")
    expect(page.get_by_test_id("round-tickets")).to_have_count(0)
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("round-school")

    # An observer's suggestion about the school, the form sent again and again: one ticket.
    sign_in_as(ui, f"observer_{ui.size}")
    ui.goto("/oversight/observer/")
    page.select_option("#id_unit", label="东城区实验小学")
    page.fill("#id_title", suggestion)
    page.fill("#id_text", "学校食堂伙食费每月收支情况没有向家长公示，建议按月公示。")
    # Chromium itself drops a second click while the first submission is under way; other
    # browsers (and a resend after a lost answer) do not: the same form is sent twice first.
    sent = page.evaluate(
        """async () => {
            const form = document.querySelector("form[action$='/suggest/']");
            const statuses = [];
            for (const _ of [1, 2]) {
                const r = await fetch(form.action, {method: "POST", body: new FormData(form)});
                statuses.push(r.status);
            }
            return statuses;
        }"""
    )
    assert sent == [200, 200], sent  # each followed to the desk
    page.get_by_role("button", name="提交").click()  # and a third time, by hand
    expect(page.locator(".alert", has_text="已提交，工单编号")).to_be_visible()
    mine = page.get_by_test_id("participations").locator("tr", has_text=suggestion)
    expect(mine).to_have_count(1)
    number = mine.locator("td").nth(1).locator("div").first.inner_text().strip()
    ui.screenshot("round-observer-suggestion")

    # The office: the ticket among those received during the round, the file, the report.
    sign_in_as(ui, "intake_office")
    open_round(ui)
    tickets = page.get_by_test_id("round-tickets")
    expect(tickets.locator("tr", has_text=suggestion)).to_have_count(1)
    expect(tickets.locator("tr", has_text=suggestion)).to_contain_text(number)
    answered = page.get_by_test_id("requests").locator("tr", has_text=what)
    expect(answered).to_contain_text("已提供 2025 年 1 月以来的公务接待台账及报销票据")
    with page.expect_download() as got:
        answered.get_by_test_id("response-file").click()
    assert Path(got.value.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as got:
        page.get_by_test_id("round-report").click()
    assert got.value.suggested_filename.endswith("-all.docx"), got.value.suggested_filename
    import docx

    report = docx.Document(io.BytesIO(Path(got.value.path()).read_bytes()))
    text = "\n".join(p.text for p in report.paragraphs)
    assert "整改" in text, text[:200]
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("round-office")
