from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from qingfeng.api.urls import api
from qingfeng.core import views as core_views
from qingfeng.core.policy import public

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("qingfeng.orgs.urls_accounts")),
    path("orgs/", include("qingfeng.orgs.urls")),
    path("core/", include("qingfeng.core.urls")),
    path("ledger/", include("qingfeng.ledger.urls")),
    path("intake/", include("qingfeng.intake.urls")),
    path("progress/", include("qingfeng.ledger.public_urls")),
    path("report/", include("qingfeng.intake.public_urls")),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
