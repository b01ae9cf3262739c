"""Sign-in, second factor, password change and the profile page (with API tokens)."""

from __future__ import annotations

import time
from datetime import datetime

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import public, signed_in
from qingfeng.core.publicform.views import add_errors
from qingfeng.orgs import actions, permissions, selectors
from qingfeng.orgs.forms import ApiTokenForm, LoginForm, PasswordChangeForm, TotpForm
from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED
from qingfeng.orgs.models import User
from qingfeng.orgs.signin_check import CHALLENGE

BAD_LOGIN = _lazy("账号或密码不正确")
# Where to go once both factors are done; kept in the session across the second-factor page.
SESSION_NEXT = "qf_next"
SESSION_TOTP_PENDING = "qf_totp_pending"


def _safe_next(request: HttpRequest, target: str | None = None) -> str:
    if target is None:
        target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


def _locked_message(until: datetime) -> str:
    minutes = max(1, int((until - timezone.now()).total_seconds() // 60) + 1)
    return _("登录失败次数过多，账号已锁定，请 %(n)d 分钟后再试") % {"n": minutes}


@public
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    request.sensitive = True  # type: ignore[attr-defined]
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and not form.is_valid():
        error = _("请输入账号和密码")
    elif request.method == "POST":
        data = form.cleaned_data
        try:
            user = actions.check_credentials(
                request, data["username"], data["password"], answers=data
            )
        except actions.LoginLocked as locked:
            error = _locked_message(locked.until)
        except ValidationError as refused:  # the challenge, not solved: nothing was tried
            add_errors(form, refused)
            error = _("本网络登录失败次数较多，请完成下方的安全校验后再登录")
        else:
            if user is None:
                error = str(BAD_LOGIN)
            else:
                return _start_session(request, user)
    # Asked after this attempt counted: the failure that crosses the line shows the challenge.
    level = actions.challenge_level(request)
    context = {"form": form, "error": error, "next": _safe_next(request)}
    if level is not None:
        context.update(challenge=True, **CHALLENGE.context(level=level))
    return render(request, "orgs/accounts/login.html", context)


def _start_session(request: HttpRequest, user: User) -> HttpResponse:
    """Password accepted: a new session that counts only after the second factor, if any."""
    next_url = _safe_next(request)
    login(request, user)
    request.session[SESSION_STARTED] = time.time()
    request.session[SESSION_VERIFIED] = not user.has_totp and not permissions.totp_required(user)
    actions.do_record_login(user)
    if request.session[SESSION_VERIFIED]:
        actions.do_reset_login_failures(user.get_username(), request)
        return redirect(next_url)
    request.session[SESSION_NEXT] = next_url
    return redirect("accounts:second_factor")


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGIN_URL)


@never_cache
@signed_in
def second_factor(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The one-time code after the password; set up first when the role requires it.

    Wrong codes count as failed sign-ins: at the lockout the session ends, so a stolen
    password alone cannot be used to try codes. From an address that failed many sign-ins
    the page asks for the sign-in page's challenge too (actions.check_second_factor).
    """
    user = request.user
    if request.session.get(SESSION_VERIFIED):
        return redirect(settings.LOGIN_REDIRECT_URL)
    setting_up = not user.has_totp
    form = TotpForm(request.POST or None)
    if setting_up:
        return _totp_setup(request, user, form, optional=False)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if actions.check_second_factor(request, user, data["code"], answers=data):
                return _finish_second_factor(request)
        except actions.LoginLocked as locked:
            logout(request)
            messages.error(request, _locked_message(locked.until))
            return redirect(settings.LOGIN_URL)
        except ValidationError as refused:  # the challenge, not solved: the code was not tried
            add_errors(form, refused)
            error = _("本网络登录失败次数较多，请完成下方的安全校验后再输入口令")
        else:
            form.add_error("code", _("动态口令不正确或已使用，请等待下一个口令"))
    # Asked after this attempt counted, as on the sign-in page.
    context = {"form": form, "error": error}
    if (level := actions.challenge_level(request)) is not None:
        context.update(challenge=True, **CHALLENGE.context(level=level))
    return render(request, "orgs/accounts/second_factor.html", context)


def _finish_second_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    actions.do_reset_login_failures(user.get_username(), request)
    next_url = _safe_next(request, request.session.pop(SESSION_NEXT, ""))
    request.session[SESSION_VERIFIED] = True
    request.session.cycle_key()
    return redirect(next_url)


def _totp_setup(
    request: HttpRequest, user: User, form: TotpForm, *, optional: bool
) -> HttpResponse:
    """Show a new secret (QR code and text) until the user proves the app has it."""
    secret = request.session.get(SESSION_TOTP_PENDING) or actions.new_totp_secret()
    request.session[SESSION_TOTP_PENDING] = secret
    if request.method == "POST" and form.is_valid():
        if actions.verify_totp(user, form.cleaned_data["code"], secret=secret):
            actions.do_enable_totp(user, secret=secret)
            del request.session[SESSION_TOTP_PENDING]
            if optional:
                messages.success(request, _("动态口令已启用，今后登录时需要输入"))
                return redirect("accounts:profile")
            return _finish_second_factor(request)
        form.add_error("code", _("动态口令不正确，请核对手机时间后重试"))
    uri = actions.totp_uri(user, secret)
    context = {
        "form": form,
        "setting_up": True,
        "optional": optional,
        "secret": secret,
        "qr_svg": segno.make(uri, error="m").svg_data_uri(scale=5),
    }
    return render(request, "orgs/accounts/second_factor.html", context)


@never_cache
@signed_in
def totp_enable(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Optional second factor for roles that do not require one (from the profile page)."""
    user = request.user
    if user.has_totp:
        return redirect("accounts:profile")
    return _totp_setup(request, user, TotpForm(request.POST or None), optional=True)


@never_cache
@signed_in
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_change_password(user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("密码已修改"))
        return redirect(settings.LOGIN_REDIRECT_URL)
    forced = permissions.password_expired(user)
    return render(request, "orgs/accounts/password_change.html", {"form": form, "forced": forced})


@never_cache
@signed_in
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ApiTokenForm(request.POST or None)
    new_token = ""
    if request.method == "POST" and form.is_valid():
        new_token = actions.do_create_api_token(user, name=form.cleaned_data["name"])
        form = ApiTokenForm()
    tokens = selectors.tokens_of(user)
    return render(
        request,
        "orgs/accounts/profile.html",
        {
            "form": form,
            "tokens": tokens,
            "new_token": new_token,
            "roles": selectors.roles_of(user),
        },
    )


@require_POST
@signed_in
def revoke_token(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    token = selectors.tokens_of(user).filter(pk=pk).first()
    if token is not None:
        actions.do_revoke_api_token(token, actor=user)
        messages.success(request, _("令牌已撤销"))
    return redirect("accounts:profile")
