"""The people list: masked phones only, nowhere a full number, in the page or its fragments."""

from __future__ import annotations

import pytest

from e2e.conftest import Browser, expect

pytestmark = pytest.mark.e2e


def assert_no_full_phone(ui: Browser, html: str) -> None:
    shown = [phone for phone in ui.server.phones if phone in html]
    assert not shown, f"full phone numbers in the page: {shown}"


def test_the_people_list_shows_masked_phones_only(ui: Browser) -> None:
    ui.login("school_admin")
    expect(ui.page).to_have_url(ui.server.at("/"))
    ui.goto("/orgs/people/")
    table = ui.page.get_by_test_id("people-table")
    expect(ui.page.get_by_test_id("people-count")).to_have_text("共 7 人")
    row = table.locator("tr", has_text="周小燕")
    expect(row).to_contain_text("139****5678")
    expect(table.locator("tr", has_text="欧阳娜娜")).to_contain_text("137****5678")
    assert_no_full_phone(ui, ui.page.content())
    ui.assert_no_horizontal_overflow()
    ui.screenshot("people")

    # Filtering goes through htmx; the fragment is masked as well.
    with ui.page.expect_response(lambda r: "/orgs/people/" in r.url) as fragment:
        ui.page.select_option("select[name=party]", "1")
    assert_no_full_phone(ui, fragment.value.text())
    expect(ui.page.get_by_test_id("people-count")).to_have_text("共 3 人")
    expect(table).not_to_contain_text("欧阳娜娜")

    table.get_by_role("link", name="周小燕").click()
    expect(ui.page.locator("h1")).to_contain_text("周小燕")
    expect(ui.page.locator(".page-body")).to_contain_text("139****5678")
    assert_no_full_phone(ui, ui.page.content())
    ui.screenshot("person")


def test_searching_by_a_full_phone_number_finds_the_person_without_showing_it(
    ui: Browser,
) -> None:
    ui.login("school_admin")
    expect(ui.page).to_have_url(ui.server.at("/"))
    ui.goto("/orgs/people/?q=13912345678")
    table = ui.page.get_by_test_id("people-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("周小燕")
    # The number the user typed is echoed in the search box and in the page's own address
    # (the language switch returns to it); the table shows it masked.
    expect(table).to_contain_text("139****5678")
    html = ui.page.content().replace('value="13912345678"', "").replace("q=13912345678", "")
    assert_no_full_phone(ui, html)


def test_a_county_admin_sees_the_whole_county(ui: Browser) -> None:
    ui.login("county_admin")
    expect(ui.page).to_have_url(ui.server.at("/"))
    ui.goto("/orgs/people/")
    # 9 of the county's own, and the two observers (one per screen size) the e2e data
    # appoints over the county, who are on its roster as the observer app requires.
    expect(ui.page.get_by_test_id("people-count")).to_have_text("共 11 人")
    expect(ui.page.get_by_test_id("people-table")).not_to_contain_text("郑志强")  # 西山县
    assert_no_full_phone(ui, ui.page.content())
