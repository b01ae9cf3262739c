"""The three-way evaluation in the browser: the campaign office opens a round for 东城区's
schools; parents scan the school's code on their phones, rate and see the thank-you page; the
office reviews the ratings flagged as too fast, turns a parent's complaint into an intake
ticket, closes the round, sees it on the home card, and finds the school's remedial round and
its problem in the ledger."""

from __future__ import annotations

import re

import pytest

from e2e.conftest import Browser, expect
from e2e.test_intake import as_citizen, pick, sign_in_as, top

pytestmark = pytest.mark.e2e

RATINGS = [
    ("家长", "不满意", "学校要求统一购买教辅，价格偏高，我是孩子妈妈"),
    ("学生", "非常不满意", "课后服务收费没有公示"),
    ("社会人士", "满意", ""),
]


def open_round(ui: Browser, name: str) -> None:
    page = ui.page
    sign_in_as(ui, "intake_office")
    ui.goto("/evaluation/new/")
    page.fill("#id_name", name)
    page.check("input[name=kinds][value=school]")
    page.select_option("#id_area", label="东城区教育局")
    page.fill("#id_min_sample", "3")
    page.get_by_role("button", name="保存为草稿").click()
    expect(page.get_by_test_id("definition")).to_contain_text("Wilson")
    page.get_by_test_id("open-round").click()
    expect(page.get_by_test_id("round-status")).to_have_text("评议中")


def rate(ui: Browser, school: int, respondent: str, overall: str, comment: str) -> None:
    page = ui.page
    as_citizen(ui)  # each rating from another phone
    ui.goto(f"/rate/u/{school}/")
    expect(page.get_by_test_id("rate-unit")).to_have_text("东城区实验小学")
    expect(page.get_by_test_id("non-probability")).to_be_visible()
    form = page.get_by_test_id("rate-form")
    pick(ui, form, respondent)
    pick(ui, form, overall)
    if comment:
        page.fill("#id_comment", comment)
    if respondent == "家长":
        ui.assert_no_horizontal_overflow()
        top(ui)
        ui.screenshot("rate-form")
    page.get_by_test_id("rate-submit").click()
    expect(page.get_by_test_id("thanks")).to_contain_text("感谢您的评价")


def assert_unit_names_on_one_line(ui: Browser) -> None:
    """The round's table at any size: each unit's name on one line (a phone once had them
    one character per line, squeezed between nine columns)."""
    names = ui.page.get_by_test_id("result-row").locator("td:first-child a")
    expect(names.first).to_be_visible()
    lines = names.evaluate_all("links => links.map(a => a.getClientRects().length)")
    assert lines and all(n == 1 for n in lines), lines


def test_scan_rate_close_and_the_remedial_problem(ui: Browser) -> None:
    page = ui.page
    school = ui.server.units["school"]
    name = f"东城区学校满意度评议（{ui.size}）"
    open_round(ui, name)
    for respondent, overall, comment in RATINGS:
        rate(ui, school, respondent, overall, comment)
    top(ui)
    ui.screenshot("rate-thanks")

    # Rated within seconds of opening the page: flagged as too fast, reviewed by the office.
    sign_in_as(ui, "intake_office")
    ui.goto("/evaluation/")
    page.get_by_role("link", name=name).click()
    round_url = page.url
    page.get_by_role("link", name=re.compile("存疑评价")).click()
    rows = page.get_by_test_id("flags").locator("tbody tr")
    expect(rows.first).to_contain_text("作答用时过短")
    # How many were that fast depends on the machine: review each one flagged.
    while rows.first.locator("input[name=reason]").count():
        row = rows.first
        row.locator("input[name=reason]").fill("督导组现场发放，核实为家长本人填写")
        row.get_by_role("button", name="提交").click()
        expect(page.locator(".alert", has_text="已复核")).to_be_visible()
    expect(rows.first).to_contain_text("没有存疑评价")

    # The parent's concrete complaint goes to the intake channel, by the office's decision.
    page.goto(round_url)
    page.get_by_test_id("comments-link").click()
    complaint = page.get_by_test_id("comment-row").filter(has_text="学校要求统一购买教辅")
    complaint.locator("select[name=category]").select_option(index=1)
    complaint.get_by_test_id("to-ticket").click()
    expect(page.locator(".alert", has_text="已转为直通车工单")).to_be_visible()
    expect(complaint.get_by_test_id("ticket-link")).to_be_visible()
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("evaluation-comments")

    page.goto(round_url)
    row = page.get_by_test_id("result-row").filter(has_text="东城区实验小学")
    expect(row.get_by_test_id("verdict")).to_have_text("确认低于85%")  # 1 of 3: 0.06–0.79
    expect(row.get_by_test_id("triggers")).to_be_visible()  # but the point rate is below
    assert_unit_names_on_one_line(ui)
    ui.assert_no_horizontal_overflow()
    page.get_by_test_id("close-round").click()
    expect(page.get_by_test_id("round-status")).to_contain_text("已结束")
    top(ui)
    ui.screenshot("evaluation-round-closed")

    ui.goto("/")
    card = page.get_by_test_id("evaluation-card")
    expect(card).to_contain_text(name)
    expect(card.get_by_test_id("evaluation-remedials")).to_contain_text("东城区实验小学")
    card.scroll_into_view_if_needed()
    ui.screenshot("evaluation-home-card")

    ui.goto("/evaluation/remedial/")
    page.get_by_test_id("remedials").get_by_role("row").filter(has_text=name).get_by_role(
        "link"
    ).first.click()
    expect(page.get_by_test_id("remedial-status")).to_have_text("回炉整改中")
    problems = page.get_by_test_id("remedial-problems")
    expect(problems).to_contain_text("东城区实验小学")
    problems.get_by_role("link").first.click()
    expect(page.locator("body")).to_contain_text("评议回炉")
    expect(page.locator("body")).to_contain_text("学校要求统一购买教辅")
    top(ui)
    ui.screenshot("evaluation-remedial-problem")


def test_an_assessor_sees_their_rounds_and_no_staff_page(ui: Browser) -> None:
    """The third-party assessor's menu holds the evaluation (and the calendar, their own
    learning); the staff's pages are not in it and answer 403; their home card leads to the
    open round's school still to score; the open round shows no rate, the published one
    does, 东城区's schools only."""
    page = ui.page
    sign_in_as(ui, "assessor")
    menu = page.locator("#qf-nav")
    expect(menu.locator('a[href="/evaluation/"]')).to_have_count(1)
    for staff_page in ("/ledger/", "/ledger/mine/", "/orgs/people/", "/campaigns/", "/reports/"):
        expect(menu.locator(f'a[href="{staff_page}"]')).to_have_count(0)
    expect(page.get_by_test_id("scope-roots")).to_contain_text("东城区教育局")
    expect(page.get_by_test_id("scope-counts")).to_have_count(0)
    ui.assert_no_horizontal_overflow()
    ui.screenshot("assessor-home")
    # Their work on the home card: the open round, its one school still to score.
    card = page.get_by_test_id("assessor-card")
    second = card.get_by_test_id("assessor-round").filter(has_text="东城区初中群众满意度评议")
    expect(second.get_by_test_id("assessor-unscored")).to_contain_text("尚未评分 1 个单位")
    card.scroll_into_view_if_needed()
    ui.screenshot("assessor-home-card")
    second.get_by_test_id("assessor-next").click()
    expect(page.locator("h1")).to_have_text("东城区第二中学")
    expect(page.get_by_test_id("rates-withheld")).to_contain_text("公布后可见")
    expect(page.get_by_test_id("third-party-form")).to_be_visible()
    ui.goto("/evaluation/")
    page.get_by_role("link", name="东城区初中群众满意度评议（第二轮）").click()
    # Before publication: no rate, the unit to score marked.
    expect(page.get_by_test_id("rates-withheld")).to_be_visible()
    row = page.get_by_test_id("result-row").filter(has_text="东城区第二中学")
    expect(row.get_by_test_id("unscored")).to_be_visible()
    expect(page.get_by_test_id("results")).not_to_contain_text("%")
    assert_unit_names_on_one_line(ui)
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("assessor-round-open")
    # Published: the rates as staff see them.
    ui.goto("/evaluation/")
    page.get_by_role("link", name="东城区学校群众满意度评议（第一轮）").click()
    results = page.get_by_test_id("results")
    expect(results).to_contain_text("东城区第二中学")
    expect(results).not_to_contain_text("西山县")
    expect(page.get_by_test_id("rates-withheld")).to_have_count(0)
    expect(results.get_by_test_id("result-row").filter(has_text="东城区第二中学")).to_contain_text(
        "100.0%"
    )
    assert_unit_names_on_one_line(ui)
    ui.assert_no_horizontal_overflow()
    ui.screenshot("assessor-round")
    for staff_page in ("/ledger/", "/orgs/people/", "/campaigns/"):
        assert page.request.get(ui.server.at(staff_page)).status == 403, staff_page
