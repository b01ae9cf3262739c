from __future__ import annotations

from django.urls import path

from qingfeng.orgs.signin_check import CHALLENGE
from qingfeng.orgs.views import accounts

app_name = "accounts"
urlpatterns = [
    path("login/", accounts.login_view, name="login"),
    path("logout/", accounts.logout_view, name="logout"),
    path("second-factor/", accounts.second_factor, name="second_factor"),
    path("password/", accounts.password_change, name="password_change"),
    path("profile/", accounts.profile, name="profile"),
    path("profile/totp/", accounts.totp_enable, name="totp_enable"),
    path("profile/tokens/<int:pk>/revoke/", accounts.revoke_token, name="revoke_token"),
    *CHALLENGE.urls(),  # the sign-in challenge's picture and "换一题"
]
