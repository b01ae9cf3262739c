"""The site's addresses: core's own, then every app's URLconf as it registered it
(core/registry.py), so a new app adds its pages without an edit here."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import set_language

from qingfeng.api.urls import api
from qingfeng.core import registry
from qingfeng.core import views as core_views
from qingfeng.core.policy import public

handler400 = "qingfeng.core.views.bad_request"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    *(path(mount.prefix, include(mount.urlconf)) for mount in registry.url_mounts()),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
# A database that cannot be reached answers 503 with Retry-After, not 500 (core/unavailable.py).
handler500 = "qingfeng.core.unavailable.server_error"
