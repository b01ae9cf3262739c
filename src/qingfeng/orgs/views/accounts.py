"""Sign-in, second factor, password change and the profile page (with API tokens)."""

from __future__ import annotations

import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from qingfeng.core.policy import public, signed_in
from qingfeng.orgs import account_actions, security
from qingfeng.orgs.forms import ApiTokenForm, LoginForm, PasswordChangeForm, TotpForm
from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED
from qingfeng.orgs.models import User

BAD_LOGIN = _("账号或密码不正确")


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


@public
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    request.sensitive = True  # type: ignore[attr-defined]
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = security.check_credentials(
                request, form.cleaned_data["username"], form.cleaned_data["password"]
            )
        except security.LoginLocked as locked:
            minutes = max(1, int((locked.until - timezone.now()).total_seconds() // 60) + 1)
            error = _("登录失败次数过多，账号已锁定，请 %(n)d 分钟后再试") % {"n": minutes}
        else:
            if user is None:
                error = BAD_LOGIN
            else:
                login(request, user)
                request.session[SESSION_STARTED] = time.time()
                request.session[SESSION_VERIFIED] = False
                account_actions.record_login(user)
                if not user.has_totp and not security.totp_required(user):
                    request.session[SESSION_VERIFIED] = True
                return redirect(
                    _safe_next(request)
                    if request.session[SESSION_VERIFIED]
                    else "accounts:second_factor"
                )
    return render(
        request,
        "orgs/accounts/login.html",
        {"form": form, "error": error, "next": _safe_next(request)},
    )


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGIN_URL)


@never_cache
@signed_in
def second_factor(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.session.get(SESSION_VERIFIED):
        return redirect(settings.LOGIN_REDIRECT_URL)
    setting_up = not user.has_totp
    if setting_up:
        secret = request.session.get("qf_totp_pending") or security.new_totp_secret()
        request.session["qf_totp_pending"] = secret
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if setting_up and security.verify_totp(user, code, secret=secret):
            account_actions.do_enable_totp(user, secret=secret)
            del request.session["qf_totp_pending"]
        elif setting_up or not security.verify_totp(user, code):
            form.add_error("code", _("动态口令不正确或已使用，请等待下一个口令"))
        if not form.errors:
            request.session[SESSION_VERIFIED] = True
            request.session.cycle_key()
            return redirect(settings.LOGIN_REDIRECT_URL)
    context = {"form": form, "setting_up": setting_up}
    if setting_up:
        uri = security.totp_uri(user, secret)
        context.update(secret=secret, qr_svg=segno.make(uri, error="m").svg_data_uri(scale=5))
    return render(request, "orgs/accounts/second_factor.html", context)


@never_cache
@signed_in
def password_change(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_actions.do_change_password(user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("密码已修改"))
        return redirect(settings.LOGIN_REDIRECT_URL)
    forced = security.password_expired(user)
    return render(request, "orgs/accounts/password_change.html", {"form": form, "forced": forced})


@never_cache
@signed_in
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ApiTokenForm(request.POST or None)
    new_token = ""
    if request.method == "POST" and form.is_valid():
        new_token = account_actions.do_create_api_token(user, name=form.cleaned_data["name"])
        form = ApiTokenForm()
    tokens = user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request,
        "orgs/accounts/profile.html",
        {
            "form": form,
            "tokens": tokens,
            "new_token": new_token,
            "roles": user.roles.filter(revoked_at__isnull=True).select_related("unit"),
        },
    )


@require_POST
@signed_in
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    token = user.api_tokens.filter(pk=pk, revoked_at__isnull=True).first()
    if token is not None:
        account_actions.do_revoke_api_token(token, actor=user)
        messages.success(request, _("令牌已撤销"))
    return redirect("accounts:profile")
