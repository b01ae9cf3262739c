"""Masking in the browser: what the school a complaint is about reads of a named call —
no trace of the caller, not even a masked name — at a desktop and a phone width."""

from __future__ import annotations

from e2e.conftest import Browser, expect
from e2e.test_intake import CATEGORY, pick, search_unit, sign_in_as, top

CALLER = "李秀芳"
CALLER_PHONE = "13987659876"
CONTENT = (
    "我是孩子妈妈李秀芳，我家孩子张子涵在高一三班，周小燕老师收了家长赵女士的购物卡。"
    "我的电话１３９ ８７６５ ９８７６，欢迎回访。"
)


def test_the_school_reads_a_named_call_without_any_trace_of_the_caller(ui: Browser) -> None:
    page = ui.page
    title = f"老师收受家长购物卡（{ui.size}）"
    sign_in_as(ui, "hotline")
    ui.goto("/intake/hotline/")
    form = page.get_by_test_id("hotline-form")
    pick(ui, form, "投诉")
    page.select_option("#id_category", label=CATEGORY)
    search_unit(ui, "实验小学", "东城区实验小学", endpoint="/intake/hotline/units/")
    page.fill("#id_title", title)
    page.fill("#id_content", CONTENT)
    page.fill("#id_reporter_name", CALLER)
    page.fill("#id_reporter_phone", CALLER_PHONE)
    page.get_by_test_id("submit-call").click()
    number = page.get_by_test_id("ticket-number").inner_text().strip()

    # The campaign office accepts it and sends it to the school itself.
    sign_in_as(ui, "intake_office")
    ui.goto(f"/intake/?q={number}")
    page.get_by_test_id("ticket-table").get_by_role("link", name=number).click()
    expect(page.get_by_test_id("reporter-card")).to_contain_text("李*芳")  # intake may reveal
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("已受理")
    page.select_option("#aunit", label="东城区实验小学")
    page.get_by_role("button", name="转办", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("已转办至 东城区实验小学")

    # The school's admin: the caller, the child, the class and the number are gone whole;
    # the school's own teacher stays named, so the complaint can be handled.
    sign_in_as(ui, "school_admin")
    ui.goto(f"/intake/?q={number}")
    page.get_by_test_id("ticket-table").get_by_role("link", name=number).click()
    content = page.get_by_test_id("ticket-content")
    expect(content).to_contain_text(
        "我是孩子妈妈某某，我家孩子某某在某班，周小燕老师收了家长某女士"
    )
    expect(page.get_by_test_id("reporter-card")).to_contain_text("反映人信息已隐去")
    html = page.content()
    for trace in (
        CALLER,
        "李*芳",
        "张子涵",
        "赵女士",
        "高一三班",
        "８７６５",
        "8765",
        "9876",
        "９８７６",
    ):
        assert trace not in html, trace
    ui.assert_no_horizontal_overflow()
    top(ui)
    ui.screenshot("masking-school-ticket")
