"""Signing in: the home page after a good password, the same answer for a wrong password and
an unknown name, and the lockout after five failures."""

from __future__ import annotations

import uuid

import pytest

from e2e.conftest import Browser, expect

pytestmark = pytest.mark.e2e

BAD_LOGIN = "账号或密码不正确"
LOCKED = "登录失败次数过多"


def stat(ui: Browser, label: str) -> str:
    card = ui.page.get_by_test_id("scope-counts").locator(".card", has_text=label)
    return str(card.locator(".h1").inner_text()).strip()


def test_a_school_admin_lands_on_the_home_page_with_scope_counts(ui: Browser) -> None:
    ui.goto("/")
    expect(ui.page).to_have_url(ui.server.at("/accounts/login/?next=/"))
    ui.screenshot("login")
    ui.login("school_admin")
    expect(ui.page).to_have_url(ui.server.at("/"))
    expect(ui.page.locator("h1")).to_contain_text("孙立平")
    expect(ui.page.get_by_test_id("scope-counts")).to_be_visible()
    assert stat(ui, "单位") == "1"
    assert stat(ui, "学校和幼儿园") == "1"
    assert stat(ui, "在岗人员") == "7"
    assert stat(ui, "党员") == "3"
    # The scope card's link (other cards, e.g. the evaluation's, may name the school too).
    roots = ui.page.get_by_test_id("scope-roots")
    expect(roots.get_by_role("link", name="东城区实验小学")).to_be_visible()
    ui.assert_no_horizontal_overflow()
    ui.screenshot("home")


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(ui: Browser) -> None:
    ui.login("wrong_password", "not-the-password")
    error = ui.page.get_by_test_id("login-error")
    expect(error).to_have_text(BAD_LOGIN)
    expect(ui.page.locator("#id_username")).to_have_value("wrong_password")
    ui.login(f"nobody-{uuid.uuid4().hex[:8]}", "not-the-password")
    expect(error).to_have_text(BAD_LOGIN)
    ui.screenshot("login-error")


def test_five_wrong_passwords_lock_the_account(desktop: Browser) -> None:
    ui = desktop
    username = "lock_me"
    for _ in range(4):
        ui.login(username, "wrong-password-1")
        expect(ui.page.get_by_test_id("login-error")).to_have_text(BAD_LOGIN)
    ui.login(username, "wrong-password-1")
    expect(ui.page.get_by_test_id("login-error")).to_contain_text(LOCKED)
    # Locked means locked: the right password is refused too, with the same message.
    ui.login(username)
    expect(ui.page.get_by_test_id("login-error")).to_contain_text(LOCKED)
    expect(ui.page).to_have_url(ui.server.at("/accounts/login/"))
    ui.assert_no_horizontal_overflow()
    ui.screenshot("login-locked")


def test_an_unknown_name_is_locked_the_same_way(desktop: Browser) -> None:
    ui = desktop
    username = f"ghost-{uuid.uuid4().hex[:8]}"
    for _ in range(4):
        ui.login(username, "wrong-password-1")
        expect(ui.page.get_by_test_id("login-error")).to_have_text(BAD_LOGIN)
    ui.login(username, "wrong-password-1")
    expect(ui.page.get_by_test_id("login-error")).to_contain_text(LOCKED)


def test_signing_out_returns_to_the_login_page(ui: Browser) -> None:
    ui.login("school_admin")
    expect(ui.page).to_have_url(ui.server.at("/"))
    ui.open_menu()
    ui.page.get_by_role("button", name="退出").click()
    expect(ui.page).to_have_url(ui.server.at("/accounts/login/"))
    ui.goto("/orgs/people/")
    expect(ui.page).to_have_url(ui.server.at("/accounts/login/?next=/orgs/people/"))
