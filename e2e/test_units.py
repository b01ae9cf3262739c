"""The unit tree: htmx-loaded children, search by short name, the detail page."""

from __future__ import annotations

import pytest

from e2e.conftest import Browser, expect

pytestmark = pytest.mark.e2e


def test_a_county_admin_expands_the_county_and_opens_a_school(ui: Browser) -> None:
    ui.login("county_admin")
    expect(ui.page).to_have_url(ui.server.at("/"))
    ui.goto("/orgs/units/")
    tree = ui.page.get_by_test_id("unit-tree")
    expect(tree).to_contain_text("东城区教育局")
    expect(tree).not_to_contain_text("东城区实验小学")  # children load on demand
    toggle = ui.page.get_by_role("button", name="展开 东城区教育局")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    with ui.page.expect_response(lambda r: "/children/" in r.url):
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    school = tree.get_by_role("link", name="东城区实验小学")
    expect(school).to_be_visible()
    expect(tree.get_by_role("link", name="东城区第二中学")).to_be_visible()
    expect(tree).not_to_contain_text("西山县")  # outside the county admin's scope
    ui.assert_no_horizontal_overflow()
    ui.screenshot("unit-tree")
    # Collapsing hides the loaded children without loading them again.
    toggle.click()
    expect(school).to_be_hidden()
    toggle.click()
    expect(school).to_be_visible()
    school.click()
    expect(ui.page).to_have_url(ui.server.at(f"/orgs/units/{ui.server.units['school']}/"))
    expect(ui.page.locator("h1")).to_have_text("东城区实验小学")


def test_searching_a_school_by_its_short_name(ui: Browser) -> None:
    ui.login("county_admin")
    expect(ui.page).to_have_url(ui.server.at("/"))
    ui.goto("/orgs/units/")
    with ui.page.expect_response(lambda r: "/orgs/units/search/" in r.url):
        ui.page.fill("#id_q", "东城实小")
    results = ui.page.get_by_test_id("unit-search-results")
    expect(results).to_contain_text("东城区实验小学")
    expect(results).to_contain_text("简称 东城实小")
    expect(results.locator("a")).to_have_count(1)
    ui.screenshot("unit-search")
    results.get_by_role("link").first.click()
    expect(ui.page).to_have_url(ui.server.at(f"/orgs/units/{ui.server.units['school']}/"))
    detail = ui.page.locator(".page-body")
    expect(detail).to_contain_text("S0001")
    expect(detail).to_contain_text("小学")
    expect(ui.page.locator(".breadcrumb")).to_contain_text("东城区")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("unit-detail")


def test_a_unit_outside_the_scope_is_not_found(ui: Browser) -> None:
    ui.login("county_admin")
    expect(ui.page).to_have_url(ui.server.at("/"))
    ui.expect_console_error("status of 404")  # Chromium logs the 404 itself
    response = ui.page.goto(ui.server.at(f"/orgs/units/{ui.server.units['other_school']}/"))
    assert response is not None and response.status == 404
    expect(ui.page.locator("h1")).to_have_text("页面不存在")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("not-found")
