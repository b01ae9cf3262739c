"""The problem ledger in the browser: from registration to closure and public progress, the
list as cards on a phone, and a teacher's own items."""

from __future__ import annotations

import struct
import time
import zlib
from typing import Any

import pytest

from e2e.conftest import Browser, expect
from e2e.setup_data import BUREAU_TOTP_SECRET

pytestmark = pytest.mark.e2e

PARENT_PHONE = "13987654321"  # in the problem's description; never on the public page


def png_bytes(width: int = 48, height: int = 32) -> bytes:
    """A real (small, green) PNG, so that the upload passes the content check as a photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x20\xa0\x40" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


_last_step = 0


def totp_code() -> str:
    """The bureau admin's dynamic code. The server refuses a code as old as one it accepted
    (±1 step of 30 s), so each sign-in in this process takes the next unused step."""
    import pyotp

    global _last_step
    totp = pyotp.TOTP(BUREAU_TOTP_SECRET)
    step = max(int(time.time()) // totp.interval, _last_step + 1)
    while step > int(time.time()) // totp.interval + 1:  # no step left in the window yet
        time.sleep(1)
    _last_step = step
    return str(totp.generate_otp(step))


def sign_in_as(ui: Browser, username: str) -> None:
    """Another person at the same screen: a fresh session (cookies cleared), then sign in."""
    ui.page.context.clear_cookies()
    ui.login(username)
    if username == "bureau_admin":
        expect(ui.page).to_have_url(ui.server.at("/accounts/second-factor/"))
        ui.page.fill("#id_code", totp_code())
        ui.page.get_by_role("button", name="验证").click()
    expect(ui.page).to_have_url(ui.server.at("/"))


def status(ui: Browser) -> Any:
    return ui.page.get_by_test_id("problem-status")


def test_a_problem_from_registration_to_closure_and_public_progress(ui: Browser) -> None:
    page = ui.page
    title = f"推荐学生购买指定教辅（{ui.size}）"

    # The county admin registers the problem through the form and assigns it.
    sign_in_as(ui, "county_admin")
    ui.goto("/ledger/new/")
    page.select_option("#id_list_kind", "personal")
    page.select_option("#id_source", "supervision")
    page.select_option("#id_category", label="教辅材料违规征订")
    page.select_option("#id_dimension", "integrity")
    page.fill("#id_title", title)
    page.fill(
        "#id_description",
        f"督导发现周小燕老师推荐学生购买指定教辅，李明主任知情，家长赵女士（电话 {PARENT_PHONE}）证实。",
    )
    page.fill("#id_cause", "对教辅征订规定学习不够。")
    page.fill("#id_measures", "退回已收费用\n在教研组会上作书面检查")
    with page.expect_response(lambda r: "/ledger/new/people/" in r.url):
        page.select_option("#id_unit", str(ui.server.units["school"]))
    page.select_option("#id_responsible_person", label="周小燕（东城实小）")
    page.select_option("#id_rectification_type", "time_limited")
    page.fill("#id_deadline_workdays", "10")
    ui.assert_no_horizontal_overflow()
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header would sit mid-screenshot
    ui.screenshot("ledger-new")
    page.get_by_role("button", name="保存为草稿").click()
    expect(page.locator(".alert-success")).to_contain_text("已登记问题")
    expect(status(ui)).to_have_text("草稿")
    detail = page.url.removeprefix(ui.server.url)
    page.get_by_role("button", name="交办", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("已交办，整改时限")
    expect(status(ui)).to_have_text("已交办")
    expect(page.get_by_test_id("timeline")).to_contain_text("整改要求告知")

    # The school admin accepts it, reports progress with a photo, asks for closure.
    sign_in_as(ui, "school_admin")
    ui.goto(detail)
    if ui.is_phone:  # the forms come after the problem's details: a link jumps to them
        page.get_by_role("link", name="操作 ↓").click()
        expect(page.get_by_role("button", name="签收")).to_be_in_viewport()
    page.get_by_role("button", name="签收").click()
    expect(status(ui)).to_have_text("已签收")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("孙立平 · 已签收")  # states by name, not by code
    expect(timeline).not_to_contain_text("accepted")
    page.fill("#progress", "80")
    page.fill("#rtext", "已退回全部费用，教研组会上作了检查。")
    page.set_input_files(
        "#files", files=[{"name": "退费凭证.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    ui.assert_no_horizontal_overflow()
    page.evaluate("window.scrollTo(0, 0)")
    ui.screenshot("ledger-report")
    page.get_by_label("退回已收费用").check()
    page.get_by_role("button", name="报送").click()
    expect(page.locator(".alert-success")).to_contain_text("已报送进展")
    expect(status(ui)).to_have_text("整改中")
    expect(page.get_by_role("link", name="整改后 · 退费凭证.png")).to_be_visible()
    # One measure is still open: the request is refused, saying how many and what to do.
    page.fill("#ctext", "费用已全部退回，检查材料已上传。")
    page.get_by_role("button", name="申请销号").click()
    expect(page.locator(".alert-danger")).to_contain_text("尚有 1 项整改措施未完成")
    expect(page.get_by_label("退回已收费用")).to_be_checked()
    page.fill("#rtext", "已在教研组会上作书面检查。")
    page.get_by_label("在教研组会上作书面检查").check()
    page.get_by_role("button", name="报送").click()
    expect(page.locator(".alert-success")).to_contain_text("已报送进展")
    page.fill("#ctext", "费用已全部退回，检查材料已上传。")
    page.get_by_role("button", name="申请销号").click()
    expect(page.locator(".alert-success")).to_contain_text("已申请销号")
    expect(status(ui)).to_have_text("申请销号")
    expect(page.get_by_role("button", name="申请销号")).to_have_count(0)
    ui.screenshot("ledger-closure-requested")

    # The county returns it with a reason; the school asks again; the county closes it.
    sign_in_as(ui, "county_admin")
    ui.goto(detail)
    page.get_by_label("退回重改").check()
    page.fill("#vcomment", "退费凭证不清晰，请补充家长签字的退费确认。")
    page.evaluate("window.scrollTo(0, 0)")
    ui.screenshot("ledger-verify")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".alert-success")).to_contain_text("审核完成：退回重改")
    expect(status(ui)).to_have_text("整改中")
    expect(page.get_by_test_id("timeline")).to_contain_text("请补充家长签字的退费确认")

    sign_in_as(ui, "school_admin")
    ui.goto(detail)
    expect(page.get_by_test_id("timeline")).to_contain_text("请补充家长签字的退费确认")
    # The returned photo again is refused; a new one (the signed confirmation) goes through.
    page.fill("#progress", "100")
    page.fill("#rtext", "同一张退费凭证。")
    page.set_input_files(
        "#files", files=[{"name": "退费凭证.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.get_by_role("button", name="报送").click()
    expect(page.locator(".alert-danger")).to_contain_text("与退回重改前提交的佐证相同")
    page.fill("#progress", "100")
    page.fill("#rtext", "补充家长签字的退费确认。")
    page.set_input_files(
        "#files",
        files=[{"name": "退费确认.png", "mimeType": "image/png", "buffer": png_bytes(64, 40)}],
    )
    page.get_by_role("button", name="报送").click()
    expect(page.locator(".alert-success")).to_contain_text("已报送进展")
    page.fill("#ctext", "已补充家长签字的退费确认。")
    page.get_by_role("button", name="申请销号").click()
    expect(status(ui)).to_have_text("申请销号")

    sign_in_as(ui, "county_admin")
    ui.goto(detail)
    page.get_by_label("同意销号").check()
    page.fill("#vcomment", "材料齐全，同意销号。")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".alert-success")).to_contain_text("审核完成：同意销号")
    expect(status(ui)).to_have_text("已销号")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("ledger-closed")

    # The bureau admin publishes the suggested text, already redacted, on /progress/.
    sign_in_as(ui, "bureau_admin")
    ui.goto(detail)
    public_text = page.locator("textarea[name=public_text]")
    # Every person is hidden whole; the publisher may tick a name to keep (not the
    # responsible teacher, who is never offered).
    expect(public_text).to_contain_text(
        "督导发现某某老师推荐学生购买指定教辅，某某主任知情，家长某女士"
    )
    expect(public_text).not_to_contain_text(PARENT_PHONE)
    keep = page.get_by_test_id("keep-names")
    expect(keep).to_contain_text("李明")
    expect(keep).not_to_contain_text("周小燕")
    page.get_by_label("在“整改进度公开”页面公开").check()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("已公开")
    expect(page.get_by_test_id("public-preview")).to_contain_text("某女士（电话 ***********）")
    ui.screenshot("ledger-disclosure-preview")

    # Anyone, signed in or not, sees it on the school's public page, redacted.
    page.context.clear_cookies()
    ui.goto("/progress/")
    page.get_by_test_id("public-units").get_by_role("link", name="东城区实验小学").click()
    expect(page).to_have_url(ui.server.at(f"/progress/{ui.server.units['school']}/"))
    card = page.get_by_test_id("public-cards").locator(".card", has_text=f"（{ui.size}）")
    expect(card).to_contain_text("某某老师")
    expect(card).to_contain_text("家长某女士（电话 ***********）")
    expect(card).to_contain_text("已销号")
    expect(card).to_contain_text("100%")
    html = page.content()
    for trace in (PARENT_PHONE, "4321", "周小燕", "李明", "赵女士"):
        assert trace not in html, trace
    ui.assert_no_horizontal_overflow()
    ui.screenshot("progress-unit")


def test_the_ledger_list_fits_the_screen_as_cards_on_a_phone(ui: Browser) -> None:
    sign_in_as(ui, "county_admin")
    ui.goto("/ledger/")
    table = ui.page.get_by_test_id("ledger-table")
    first = table.locator("tbody tr").first
    expect(first).to_contain_text("会议过多挤占教学时间")  # overdue the longest: first
    expect(ui.page.get_by_test_id("light-counts")).to_contain_text("红灯")
    if ui.is_phone:
        expect(table.locator("thead")).to_be_hidden()
        expect(first.locator(".qf-cell-idle")).to_be_hidden()  # no checkbox but for drafts
        width = first.evaluate("row => row.getBoundingClientRect().width")
        assert width <= 390, f"a card is {width}px wide"
    else:
        expect(table.locator("thead")).to_be_visible()
    ui.assert_no_horizontal_overflow()
    ui.screenshot("ledger-list")

    filters = ui.page.locator("#ledger-filters")
    if ui.is_phone:  # the filters fold away on a phone until asked for
        expect(filters).to_be_hidden()
        ui.page.locator("[data-bs-target='#ledger-filters']").click()
    expect(filters).to_be_visible()
    ui.page.select_option("select[name=light]", "red")
    filters.locator("button[type=submit]").click()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(filters).to_be_visible()  # still open: a filter is in use
    ui.assert_no_horizontal_overflow()
    ui.screenshot("ledger-list-filtered")


def test_a_teacher_sees_their_own_items(ui: Browser) -> None:
    sign_in_as(ui, "teacher")
    ui.goto("/ledger/mine/")
    items = ui.page.get_by_test_id("my-items")
    for title in ("课后服务收费未公示", "教师节收受家长购物卡", "作业布置量超标"):
        expect(items).to_contain_text(title)
    expect(items).not_to_contain_text("会议过多挤占教学时间")  # the school's, not hers
    ui.assert_no_horizontal_overflow()
    ui.screenshot("ledger-mine")
    items.get_by_role("link", name="课后服务收费未公示").click()
    expect(ui.page.get_by_test_id("problem-status")).to_have_text("已交办")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("ledger-teacher-detail")
