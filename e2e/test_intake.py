"""The public supervision channel in the browser: a citizen files anonymously from a phone,
keeps the receipt code, follows up, sees the reply and sends it back as dissatisfied; a
hotline operator enters a call and reads the code to the caller."""

from __future__ import annotations

import re
from typing import Any

import pytest

from e2e.conftest import Browser, expect
from e2e.test_ledger import png_bytes

pytestmark = pytest.mark.e2e

CATEGORY = "乱收费乱办班乱订资料"
CALLER_PHONE = "13912340000"
REPLY = "经核查，该校已退还全部资料费，并在全校教师会上通报批评。"


def sign_in_as(ui: Browser, username: str) -> None:
    """Another person at the same screen: a fresh session (cookies cleared), then sign in."""
    ui.page.context.clear_cookies()
    ui.login(username)
    expect(ui.page).to_have_url(ui.server.at("/"))


def as_citizen(ui: Browser) -> None:
    """Nobody signed in: the reporter's own phone."""
    ui.page.context.clear_cookies()


def pick(ui: Browser, scope: Any, label: str) -> None:
    """Tap a choice shown as a button (the radio itself is hidden behind its label)."""
    scope.locator("label.form-selectgroup-item", has_text=re.compile(f"^{label}$")).click()


def search_unit(ui: Browser, text: str, unit: str, *, endpoint: str) -> None:
    """Type part of the name, wait for the answers, tap the one meant."""
    with ui.page.expect_response(lambda r: endpoint in r.url and r.status == 200):
        ui.page.fill("#id_unit_q", text)
    options = ui.page.get_by_test_id("unit-options")
    expect(options).to_contain_text(unit)
    options.locator("label", has_text=unit).click()
    expect(options.get_by_role("radio", name=re.compile(unit))).to_be_checked()


def top(ui: Browser) -> None:
    ui.page.evaluate("window.scrollTo(0, 0)")  # the sticky header would sit mid-screenshot


FIRST_TEXT = "三年级班主任要求每名学生交二百元资料费，没有收据，也没有说明用途。"


def file_a_report(ui: Browser, title: str, content: str = FIRST_TEXT) -> tuple[str, str]:
    """Anonymous, from the landing page; returns the ticket number and the receipt code."""
    page = ui.page
    as_citizen(ui)
    ui.goto("/report/")
    expect(page.get_by_test_id("categories")).to_contain_text(CATEGORY)
    ui.assert_no_horizontal_overflow()
    ui.screenshot("report-index")
    page.get_by_test_id("start-report").click()
    expect(page).to_have_url(ui.server.at("/report/new/"))
    form = page.get_by_test_id("report-form")
    pick(ui, form, "投诉")
    page.select_option("#id_category", label=CATEGORY)
    search_unit(ui, "实验小学", "东城区实验小学", endpoint="/report/units/")
    page.fill("#id_title", title)
    page.fill("#id_content", content)
    page.fill("#id_occurred", "本学期开学")
    # The picker's button is in Chinese whatever the browser's language; it lists the file.
    expect(form.locator("label[for=id_attachments]")).to_have_text("添加照片、PDF 或录音")
    page.set_input_files(
        "#id_attachments",
        files=[{"name": "收费通知.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    expect(page.locator("#id_attachments-chosen")).to_have_text("已选择：收费通知.png")
    # Anonymous by default: name and phone are not asked for.
    expect(form.get_by_role("radio", name="匿名反映")).to_be_checked()
    expect(page.locator("#id_reporter_phone")).to_be_hidden()
    pick(ui, form, "实名反映")
    expect(page.locator("#id_reporter_phone")).to_be_visible()
    pick(ui, form, "匿名反映")
    expect(page.locator("#id_reporter_phone")).to_be_hidden()
    ui.assert_no_horizontal_overflow()
    # The proof of work ran in a Web Worker while the form was filled in.
    # Harder for an address that sent several this hour: give a busy machine time.
    expect(page.locator("[data-qf-work=done]")).to_contain_text("安全校验已完成", timeout=60_000)
    top(ui)
    ui.screenshot("report-new")
    page.get_by_test_id("submit-report").click()

    expect(page.get_by_role("heading", name="已收到您的反映")).to_be_visible()
    number = page.get_by_test_id("ticket-number").inner_text().strip()
    shown = page.get_by_test_id("receipt-code").inner_text()
    code = re.sub(r"\D", "", shown)
    assert re.fullmatch(r"ZT\d{8}-\d{5}", number), number
    assert len(code) == 20, shown
    expect(page.get_by_test_id("code-warning")).to_contain_text("回执码只显示这一次")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("report-receipt")
    return number, shown


def open_ticket(ui: Browser, number: str) -> None:
    """From the staff queue, by its number."""
    ui.goto(f"/intake/?q={number}")
    ui.page.get_by_test_id("ticket-table").get_by_role("link", name=number).click()
    expect(ui.page.get_by_role("heading", level=1)).to_be_visible()


def ticket_status(ui: Browser) -> Any:
    return ui.page.get_by_test_id("ticket-status")


def handle_and_reply(ui: Browser, number: str) -> None:
    """The campaign office accepts and assigns it to the county; the county answers."""
    page = ui.page
    sign_in_as(ui, "intake_office")
    open_ticket(ui, number)
    expect(ticket_status(ui)).to_have_text("已提交")
    expect(page.get_by_test_id("reporter-card")).to_contain_text("匿名反映")
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("已受理")
    expect(ticket_status(ui)).to_have_text("已受理")
    page.select_option("#aunit", label="东城区教育局")
    page.fill("#anote", "请核实收费情况，五个工作日内报送结果。")
    page.get_by_role("button", name="转办", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("已转办至 东城区教育局")
    expect(ticket_status(ui)).to_have_text("已转办")

    sign_in_as(ui, "county_admin")
    open_ticket(ui, number)
    page.get_by_role("button", name="开始办理").click()
    expect(ticket_status(ui)).to_have_text("办理中")
    page.fill("#rtext", REPLY)
    top(ui)
    ui.screenshot("intake-staff-reply")
    page.get_by_role("button", name="办结", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("已办结答复")
    expect(ticket_status(ui)).to_have_text("已办结")
    expect(page.get_by_test_id("messages")).to_contain_text(REPLY)
    ui.assert_no_horizontal_overflow()


def follow_up(ui: Browser, code: str) -> None:
    as_citizen(ui)
    ui.goto("/report/")
    ui.page.get_by_role("link", name="凭回执码查询办理进度").click()
    ui.page.fill("#id_code", code)
    ui.assert_no_horizontal_overflow()
    ui.screenshot("report-track")
    ui.page.get_by_role("button", name="查询").click()


def test_a_citizen_files_follows_up_and_sends_an_unsatisfying_reply_back(ui: Browser) -> None:
    page = ui.page
    title = f"班主任收取资料费（{ui.size}）"
    number, code = file_a_report(ui, title)

    # Before anyone acts, the follow-up shows it received.
    follow_up(ui, code)
    expect(page.get_by_test_id("ticket-number")).to_have_text(number)
    expect(ticket_status(ui)).to_have_text("已提交")
    expect(page.get_by_test_id("messages")).to_contain_text("收费通知.png")

    handle_and_reply(ui, number)

    # The citizen sees the reply and the way it went, rates it dissatisfied.
    follow_up(ui, code)
    expect(ticket_status(ui)).to_have_text("已办结")
    timeline = page.get_by_test_id("timeline")
    for step in ("提交反映", "受理", "转办", "开始办理", "办结答复"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("东城区教育局")
    expect(timeline).not_to_contain_text("请核实收费情况")  # the assignment note is internal
    expect(page.get_by_test_id("messages")).to_contain_text(REPLY)
    expect(page.get_by_role("alert")).to_have_count(0)  # nothing but the ticket on the page
    ui.assert_no_horizontal_overflow()
    ui.screenshot("report-track-replied")
    rating = page.get_by_test_id("rating-form")
    pick(ui, rating, "不满意")
    page.fill("#id_comment", "资料费只退了一半，班主任没有道歉。")
    top(ui)
    ui.screenshot("report-rate")
    rating.get_by_role("button", name="提交评价").click()

    expect(page.get_by_test_id("notice")).to_have_text("感谢您的评价")
    expect(ticket_status(ui)).to_have_text("办理中")
    expect(page.get_by_test_id("redo-notice")).to_contain_text("已发回承办单位重新办理")
    expect(timeline).to_contain_text("发回重办")
    expect(timeline).to_contain_text("不满意（2）：资料费只退了一半")
    expect(page.get_by_test_id("rating-form")).to_have_count(0)
    ui.assert_no_horizontal_overflow()
    ui.screenshot("report-sent-back")

    # It is back in the county's queue, to be answered again.
    sign_in_as(ui, "county_admin")
    ui.goto("/intake/")
    row = page.get_by_test_id("ticket-table").locator("tr", has_text=number)
    expect(row).to_contain_text("办理中")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("intake-queue-redo")
    row.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("timeline")).to_contain_text("发回重办")
    expect(page.get_by_role("button", name="办结", exact=True)).to_be_visible()


def test_a_wrong_code_gets_the_same_answer_as_no_ticket(ui: Browser) -> None:
    follow_up(ui, "1234 5678 9012 3456 7890")
    error = ui.page.get_by_test_id("track-error")
    expect(error).to_have_text("回执码不正确，或没有对应的反映")
    expect(ui.page.locator("#id_code")).to_have_value("")  # the code typed is not echoed
    ui.assert_no_horizontal_overflow()
    ui.screenshot("report-track-wrong")


def test_a_hotline_operator_enters_a_call_and_reads_the_code(ui: Browser) -> None:
    page = ui.page
    title = f"学校强制订购校服（{ui.size}）"
    sign_in_as(ui, "hotline")
    ui.goto("/intake/")
    page.get_by_role("link", name="热线录入").last.click()
    expect(page).to_have_url(ui.server.at("/intake/hotline/"))
    form = page.get_by_test_id("hotline-form")
    expect(form.get_by_role("radio", name="24小时热线")).to_be_checked()
    pick(ui, form, "举报")
    page.select_option("#id_category", label=CATEGORY)
    search_unit(ui, "二中", "东城区第二中学", endpoint="/intake/hotline/units/")
    page.fill("#id_title", title)
    page.fill("#id_content", "来电人反映学校要求学生统一订购校服，每套四百元，不订不让上学。")
    page.fill("#id_reporter_name", "王女士")
    page.fill("#id_reporter_phone", CALLER_PHONE)
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("hotline-form")
    page.get_by_test_id("submit-call").click()

    shown = page.get_by_test_id("receipt-code").inner_text()
    assert len(re.sub(r"\D", "", shown)) == 20, shown
    number = page.get_by_test_id("ticket-number").inner_text().strip()
    expect(page.get_by_test_id("read-aloud")).to_contain_text("请向来电人宣读工单编号和回执码")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("hotline-done")

    # In the queue: the hotline's channel, and the caller's number nowhere in full.
    ui.goto("/intake/?channel=phone")
    row = page.get_by_test_id("ticket-table").locator("tr", has_text=number)
    expect(row).to_contain_text("24小时热线")
    expect(row).to_contain_text("东城区第二中学")
    assert CALLER_PHONE not in page.content()
    ui.assert_no_horizontal_overflow()
    ui.screenshot("hotline-queue")
    row.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("reporter-card")).to_contain_text("139****0000")
    html = page.content()
    assert CALLER_PHONE not in html and shown not in html
    ui.screenshot("hotline-ticket")


def test_the_hotline_form_refuses_a_complaint_without_a_unit(desktop: Browser) -> None:
    page = desktop.page
    sign_in_as(desktop, "hotline")
    desktop.goto("/intake/hotline/")
    pick(desktop, page.get_by_test_id("hotline-form"), "投诉")
    page.select_option("#id_category", label=CATEGORY)
    page.fill("#id_unit_q", "并不存在的学校")
    page.fill("#id_title", "学校乱收费")
    page.fill("#id_content", "短")
    # An anonymous call keeps no name or number: the fields go away while it is ticked.
    page.get_by_label("匿名（不记录来电人姓名和号码）").check()
    expect(page.locator("#id_reporter_phone")).to_be_hidden()
    page.get_by_label("匿名（不记录来电人姓名和号码）").uncheck()
    expect(page.locator("#id_reporter_phone")).to_be_visible()
    page.get_by_test_id("submit-call").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    form = page.get_by_test_id("hotline-form")
    expect(form).to_contain_text("未找到“并不存在的学校”，请从搜索结果中选择单位")
    expect(form).to_contain_text("请具体写明反映的问题")
    expect(form).to_contain_text("实名反映请填写姓名")
    expect(page.locator("#id_title")).to_have_value("学校乱收费")  # what was typed stays
    desktop.screenshot("hotline-errors")


def test_staff_see_suggestions_and_a_near_duplicate_and_merge_it(ui: Browser) -> None:
    """Two parents write about one matter at one school in their own words; the task worker
    flags the second as a near-duplicate of the first; the campaign office merges it."""
    page = ui.page
    first, _code = file_a_report(
        ui,
        f"东城区实验小学收资料费（{ui.size}）",
        "东城区实验小学三年级班主任要求每名学生交二百元资料费，没有收据，也没有说明用途。",
    )
    second, _code = file_a_report(
        ui,
        f"资料费没有收据（{ui.size}）",
        "我家孩子在东城区实验小学读三年级，班主任让每个学生交两百元资料费，不给收据，"
        "用途也不说明。",
    )
    sign_in_as(ui, "intake_office")
    open_ticket(ui, second)
    page.get_by_role("button", name="受理", exact=True).click()
    expect(ticket_status(ui)).to_have_text("已受理")
    routing = page.get_by_test_id("routing")
    expect(routing).to_contain_text("东城区实验小学")
    expect(routing).to_contain_text("乱收费乱办班乱订资料")
    # The check runs in the worker after the ticket is stored: give it a moment.
    suspect = page.get_by_test_id(f"suspect-{first}")
    for _ in range(20):
        if suspect.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(suspect).to_contain_text("%")
    # What the two have in common, in words: the amount read from 二百元 and 两百元.
    expect(suspect.get_by_test_id("suspect-reason")).to_contain_text("金额 200 元")
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("intake-suspects")
    suspect.get_by_role("button", name="本件并入该件").click()
    expect(ticket_status(ui)).to_have_text("已合并")
    expect(page.get_by_test_id("suspects")).to_have_count(0)


def test_a_unit_poster_and_the_public_statistics(ui: Browser) -> None:
    page = ui.page
    sign_in_as(ui, "intake_office")
    ui.goto("/intake/posters/?q=实验小学")
    row = page.get_by_test_id("poster-units").locator("tr", has_text="东城区实验小学")
    expect(row).to_be_visible()
    ui.assert_no_horizontal_overflow()
    ui.screenshot("intake-posters")
    for name, kind in (("海报 PDF", "application/pdf"), ("PNG", "image/png")):
        href = row.get_by_role("link", name=name).get_attribute("href")
        assert href, name
        response = page.request.get(ui.server.at(href))
        assert response.status == 200, (name, response.status)
        assert response.headers["content-type"].startswith(kind), response.headers
        magic = b"%PDF-" if kind == "application/pdf" else b"\x89PNG"
        assert response.body().startswith(magic), name

    # The statistics count what was filed: file one here, so the test stands on its own.
    file_a_report(ui, "食堂饭菜分量不足")
    ui.goto("/report/")
    page.get_by_role("link", name="办理情况统计").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("办理情况统计")
    expect(page.get_by_test_id("stats-months")).to_be_visible()
    expect(page.get_by_test_id("stats-total")).not_to_have_text("0")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("report-stats")
