"""The campaign's rhythm in the browser: the campaign office sets up the seed campaign; the
school sees its own task list and files its weekly report on a phone (pre-filled figures,
one corrected with its reason); the county sees the roll-up and returns the report; the
office generates the month's bulletin in the official format; the registers, and a reception
day held (a matter filed as a ticket) and announced (its public notice)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from e2e.conftest import SCREENSHOTS, Browser, expect
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
    # 典型问题: no case entered the library in November in this city.
    expect(page.get_by_test_id("typical")).to_contain_text("本月无新入库的典型问题案例")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("bulletin")

    # The registers: the county holds a dispatch meeting with an item for the school, which
    # reports it done; the school records its principal's reception day.
    sign_in_as(ui, "county_admin")
    ui.goto("/campaigns/meetings/")
    page.fill("#id_title", "东城区周调度会")
    page.fill("#id_held_on", "2026-11-03")
    page.fill("#id_attendees", "区教育局班子成员、各校校长")
    page.fill("#id_items-0-text", "公示课后服务收费标准")
    page.select_option("#id_items-0-unit", label="东城区实验小学")
    page.fill("#id_items-0-due_on", "2026-11-20")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("items")).to_contain_text("公示课后服务收费标准")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("meeting")
    sign_in_as(ui, "school_admin")
    ui.goto("/campaigns/meetings/")
    page.get_by_test_id("meetings").get_by_role("link", name="东城区周调度会").first.click()
    page.get_by_test_id("items").locator("input[name=note]").first.fill("已在校门口公示")
    page.get_by_role("button", name="报告落实").first.click()
    expect(page.get_by_test_id("items")).to_contain_text("已在校门口公示")
    # The school records a reception day it held, files what a parent raised there as a
    # ticket (its receipt code shown once), and announces the next one: a public notice.
    ui.goto("/campaigns/activities/")
    today = datetime.now(tz=ZoneInfo("Asia/Shanghai")).date()  # the server's day
    held_on = (today - timedelta(days=2)).isoformat()
    page.select_option("#id_record-kind", label="校长接待日")
    page.fill("#id_record-held_on", held_on)
    page.fill("#id_record-place", "学校会议室")
    page.fill("#id_record-cadre", "校长")
    page.fill("#id_record-found", "家长反映课后服务收费不透明")
    page.get_by_test_id("record-activity").get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("activity-status")).to_have_text("已举行")
    form = page.get_by_test_id("matter-form")
    form.get_by_label("类型").select_option(label="意见建议")
    form.get_by_label("事项").fill("课后服务收费不透明")
    form.get_by_label("具体内容").fill("三年级家长反映课后服务收费标准没有公示，希望公开明细。")
    form.get_by_role("button", name="登记为工单").click()
    expect(page.get_by_test_id("receipt")).to_contain_text("回执码")
    expect(page.get_by_test_id("matters")).to_contain_text("课后服务收费不透明")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("activity-matter")
    ui.goto("/campaigns/activities/")
    page.select_option("#id_plan-kind", label="校长接待日")
    page.fill("#id_plan-held_on", (today + timedelta(days=7)).isoformat())
    page.fill("#id_plan-starts_at", "14:30")
    page.fill("#id_plan-ends_at", "17:00")
    page.fill("#id_plan-place", "行政楼一楼接待室")
    page.fill("#id_plan-cadre", "校长 孙立平")
    page.fill("#id_plan-how_to_come", "无需预约，到校门口登记后由值班老师引导")
    page.fill("#id_plan-contact", "0571-8888 0000")
    page.get_by_role("button", name="发布公告").click()
    expect(page.get_by_test_id("activity-status")).to_have_text("已公告")
    notice = page.get_by_role("link", name="公开公告").get_attribute("href")
    assert notice is not None
    ui.goto(notice)
    expect(page.get_by_test_id("notice")).to_contain_text("行政楼一楼接待室")
    expect(page.get_by_test_id("notice")).to_contain_text("14:30–17:00")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("reception-notice")
    page.get_by_role("link", name="本单位的其他接待日").click()
    expect(page.get_by_test_id("notices")).to_contain_text("校长 孙立平")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("reception-unit")

    # The school's own channel poster (the supervision channel's QR print page) carries the
    # announced day too: listed beside the school, printed under its code.
    ui.goto("/intake/posters/")
    row = page.get_by_test_id("poster-units").locator("tr", has_text="实验小学")
    expect(row).to_contain_text("行政楼一楼接待室")  # its own column, or under the name on a phone
    ui.assert_no_horizontal_overflow()
    ui.screenshot("intake-posters-reception")
    href = row.get_by_role("link", name="海报 PDF").get_attribute("href")
    assert href is not None
    response = page.request.get(ui.server.at(href))
    assert response.status == 200, response.status
    text = "".join(
        "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages).split()
    )
    assert "近期接待安排" in text and "行政楼一楼接待室" in text, text
    (SCREENSHOTS / f"poster-reception-{ui.size}.pdf").write_bytes(response.body())


def test_assessment_manual_indicator_with_evidence(ui: Browser) -> None:
    """The campaign office scores a manual indicator of the quarterly assessment with a
    document as evidence and a note; the score page shows the note and the evidence."""
    page = ui.page
    sign_in_as(ui, "intake_office")
    today = datetime.now(tz=ZoneInfo("Asia/Shanghai")).date()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    ui.goto("/reports/")
    listed = page.get_by_test_id("assessments").get_by_role("link", name=quarter)
    if listed.count() == 0:  # the other screen size's run made it already
        page.fill("input[name=quarter]", quarter)
        page.get_by_test_id("new-assessment").click()
    else:
        listed.click()
    expect(page.get_by_test_id("assessment-status")).to_have_text("草稿")
    page.locator("details summary", has_text="调整").first.click()
    form = page.get_by_test_id("manual-form").first
    form.locator("select[name=indicator]").select_option(label="上级肯定推广")
    form.locator("input[name=value]").fill("80")
    form.locator("input[name=note]").fill("市教育局通报表扬其家校共治做法")
    form.locator("input[name=file]").set_input_files(
        {"name": "表扬通报.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%e2e\n"}
    )
    form.get_by_role("button", name="手工评分").click()
    expect(page.get_by_test_id("manual-note").first).to_contain_text(
        "上级肯定推广：市教育局通报表扬其家校共治做法"
    )
    expect(page.get_by_test_id("manual-evidence").first).to_be_visible()
    ui.screenshot("assessment-manual")


def _docx(text: str) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_campaign_plan_task_evidence_and_rules_register(ui: Browser) -> None:
    """The office gives the campaign's plan document (a photo refused in Chinese); a school's
    task list shows each task's evidence and progress from the system's records; the school
    links a rule of its register to a ledger problem, whose 建章立制 then links back."""
    page = ui.page
    sign_in_as(ui, "intake_office")
    ui.goto("/campaigns/")
    if page.locator("[data-testid=campaigns] a").count() == 0:
        page.get_by_test_id("seed").click()
    else:
        page.locator("[data-testid=campaigns] a").first.click()
    plan = page.get_by_test_id("campaign-plan")
    plan.locator("input[type=file]").set_input_files(
        {
            "name": "方案照片.png",
            "mimeType": "image/png",
            "buffer": b"\x89PNG\r\n\x1a\n" + b"0" * 40,
        }
    )
    plan.get_by_role("button", name="上传").click()
    expect(page.locator(".alert")).to_contain_text("实施方案须为 Word（.docx）或 PDF 文件")
    page.get_by_test_id("campaign-plan").locator("input[type=file]").set_input_files(
        {"name": "学习教育实施方案.docx", "mimeType": "application/octet-stream",
         "buffer": _docx("一、总体要求")}
    )  # fmt: skip
    page.get_by_test_id("campaign-plan").get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("campaign-plan")).to_contain_text("学习教育实施方案.docx")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("campaign-plan")

    sign_in_as(ui, "school_admin")
    ui.goto("/campaigns/")
    page.locator("[data-testid=campaigns] a").first.click()
    expect(page.get_by_test_id("campaign-plan")).to_contain_text("学习教育实施方案.docx")
    tasks = page.get_by_test_id("my-tasks")
    warning = tasks.locator("tr", has_text="开展警示教育").first
    expect(warning).to_contain_text("举行学习：警示教育（至少 1 次）")
    expect(warning).to_contain_text("0 / 1")
    leadership = tasks.locator("tr", has_text="领导班子问题清单整改销号").first
    expect(leadership).to_contain_text("0 / 1")  # 会议过多挤占教学时间, still open
    ui.assert_no_horizontal_overflow()
    page.get_by_test_id("my-tasks").scroll_into_view_if_needed()
    ui.screenshot("campaign-my-tasks")

    ui.goto("/ledger/")
    page.get_by_test_id("ledger-table").get_by_role(
        "link", name="会议过多挤占教学时间"
    ).first.click()
    page.wait_for_url("**/ledger/*/")
    number = page.locator(".breadcrumb-item.active").inner_text().strip()
    assert number, "the problem's number"
    detail = page.url
    ui.goto("/campaigns/rules/")
    title = f"会议计划审批制度（{ui.size}）"
    page.fill("#id_title", title)
    page.select_option("#id_kind", label="新制定")
    page.fill("#id_adopted_on", datetime.now(tz=ZoneInfo("Asia/Shanghai")).date().isoformat())
    page.get_by_role("button", name="登记").click()
    row = page.get_by_test_id("rules").locator("tr", has_text=title)
    row.get_by_test_id("rule-link").locator("input[name=problems]").fill(number.lower())
    row.get_by_test_id("rule-link").get_by_role("button", name="关联").click()
    row = page.get_by_test_id("rules").locator("tr", has_text=title)
    expect(row.get_by_test_id("rule-problems")).to_contain_text(number)
    ui.assert_no_horizontal_overflow()
    ui.screenshot("rules-linked")
    page.goto(detail)
    links = page.get_by_test_id("rule-links")
    expect(links).to_contain_text(f"《{title}》")
    ui.assert_no_horizontal_overflow()
    links.scroll_into_view_if_needed()
    ui.screenshot("ledger-rule-links")
