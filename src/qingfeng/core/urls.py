from __future__ import annotations

from django.urls import path

from qingfeng.core import audit_views

app_name = "core"
urlpatterns = [
    path("audit/", audit_views.audit_list, name="audit"),
    path("audit/export.csv", audit_views.audit_export, {"fmt": "csv"}, name="audit_export_csv"),
    path(
        "audit/export.xlsx", audit_views.audit_export, {"fmt": "xlsx"}, name="audit_export_xlsx"
    ),
]
