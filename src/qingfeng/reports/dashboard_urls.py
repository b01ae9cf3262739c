from __future__ import annotations

from django.urls import path

from qingfeng.reports import dashboard_views

app_name = "dashboard"

urlpatterns = [
    path("", dashboard_views.index, name="index"),
    path("screen/", dashboard_views.screen, name="screen"),
    path("export/", dashboard_views.export, name="export"),
    path("rules/", dashboard_views.rules, name="rules"),
]
