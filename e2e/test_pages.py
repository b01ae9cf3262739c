"""Things every page must get right: the CSP holds, the phone navigation opens, nothing is
wider than the screen, Chinese text renders in a CJK font."""

from __future__ import annotations

import re

import pytest

from e2e.conftest import ROOT, Browser, expect

pytestmark = pytest.mark.e2e

# Every page a county admin reaches from the menu, plus the profile.
PAGES = [
    "/",
    "/orgs/units/",
    "/orgs/people/",
    "/orgs/roster/",
    "/core/calendar/",
    "/core/notifications/",
    "/accounts/profile/",
]


def test_the_page_watcher_reports_a_csp_violation(ui: Browser) -> None:
    ui.expect_console_error("Content Security Policy")
    ui.goto("/accounts/login/")
    ui.page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.qfInline = 1"; document.body.append(s); }"""
    )
    assert ui.page.evaluate("() => window.qfInline") is None  # the inline script was blocked
    # The violation event is dispatched asynchronously; poll for its report.
    for _ in range(50):
        if ui.problems.csp:
            break
        ui.page.wait_for_timeout(100)
    assert any("script-src" in v for v in ui.problems.csp), ui.problems.csp
    ui.problems.csp.clear()


def test_pages_hold_the_csp_and_fit_the_screen(ui: Browser) -> None:
    response = ui.page.goto(ui.server.at("/accounts/login/"))
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    ui.login("county_admin")
    expect(ui.page).to_have_url(ui.server.at("/"))
    for path in PAGES:
        ui.goto(path)
        ui.assert_no_horizontal_overflow()
        ui.screenshot("page" + path.replace("/", "-").rstrip("-"))


def test_the_navigation_collapses_on_a_phone(ui: Browser) -> None:
    ui.login("county_admin")
    expect(ui.page).to_have_url(ui.server.at("/"))
    nav_link = ui.page.locator("#qf-nav").get_by_role("link", name="人员名册")
    section = ui.page.locator("#qf-nav").get_by_role("button", name="系统管理")
    toggler = ui.page.locator(".navbar-toggler")
    if not ui.is_phone:
        # A wide screen: the loop's sections are menus; 人员名册 sits under 系统管理.
        expect(toggler).to_be_hidden()
        expect(nav_link).to_be_hidden()
        section.click()
        expect(nav_link).to_be_visible()
        ui.screenshot("nav-section-open")
        nav_link.click()
        expect(ui.page).to_have_url(ui.server.at("/orgs/people/"))
        current = ui.page.locator('#qf-nav li[data-section="system"]')
        expect(current).to_have_class(re.compile(r"\bactive\b"))
        return
    # A phone: every section open under its heading once the menu is.
    expect(nav_link).to_be_hidden()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(nav_link).to_be_visible()
    expect(ui.page.locator("#qf-nav").get_by_role("link", name="整改台账")).to_be_visible()
    ui.screenshot("nav-open")
    nav_link.click()
    expect(ui.page).to_have_url(ui.server.at("/orgs/people/"))
    expect(ui.page.locator("#qf-nav").get_by_role("link", name="首页")).to_be_hidden()


def test_chinese_text_is_set_in_a_cjk_font(ui: Browser) -> None:
    ui.goto("/accounts/login/")
    title = ui.page.locator(".qf-login-title")
    expect(title).to_be_visible()
    # The name of the font Chromium actually used for the title's glyphs.
    client = ui.page.context.new_cdp_session(ui.page)
    client.send("DOM.enable")
    client.send("CSS.enable")
    document = client.send("DOM.getDocument")
    node = client.send(
        "DOM.querySelector", {"nodeId": document["root"]["nodeId"], "selector": ".qf-login-title"}
    )
    fonts = client.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    families = [f["familyName"] for f in fonts]
    assert any("CJK" in f or "Han" in f for f in families), families


def test_switching_to_english_and_back(ui: Browser) -> None:
    catalogue = ROOT / "src/qingfeng/locale/en/LC_MESSAGES/django"
    mo, po = catalogue.with_suffix(".mo"), catalogue.with_suffix(".po")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        pytest.skip("the English catalogue is not compiled: run `make assets`")
    ui.login("county_admin")
    expect(ui.page).to_have_url(ui.server.at("/"))
    ui.goto("/orgs/people/")
    ui.open_menu()
    ui.page.get_by_role("button", name="English").locator("visible=true").click()
    expect(ui.page).to_have_url(ui.server.at("/orgs/people/"))  # back where the user was
    expect(ui.page.locator("html")).to_have_attribute("lang", "en")
    expect(
        ui.page.locator("#qf-nav").get_by_role("link", name="Home", include_hidden=True)
    ).to_be_attached()
    ui.goto("/")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("home-en")
    ui.open_menu()
    ui.page.get_by_role("button", name="中文").locator("visible=true").click()
    expect(ui.page.locator("html")).to_have_attribute("lang", "zh-hans")
