from __future__ import annotations

from django.urls import path

from qingfeng.core import audit_views, calendar_views, job_views, notification_views

app_name = "core"
urlpatterns = [
    path("calendar/", calendar_views.calendar_year, name="calendar"),
    path("calendar/days/", calendar_views.calendar_set_day, name="calendar_set"),
    path(
        "calendar/days/<int:pk>/remove/", calendar_views.calendar_remove_day, name="calendar_remove"
    ),
    path("calendar/publish/", calendar_views.calendar_publish_year, name="calendar_publish"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/read/", notification_views.notification_read, name="notifications_read"),
    path("jobs/<int:pk>/", job_views.job_page, name="job"),
    path("jobs/<int:pk>/status/", job_views.job_status, name="job_status"),
    path("jobs/<int:pk>/file/", job_views.job_file, name="job_file"),
    path("audit/", audit_views.audit_list, name="audit"),
    path("audit/export.csv", audit_views.audit_export, {"fmt": "csv"}, name="audit_export_csv"),
    path("audit/export.xlsx", audit_views.audit_export, {"fmt": "xlsx"}, name="audit_export_xlsx"),
]
