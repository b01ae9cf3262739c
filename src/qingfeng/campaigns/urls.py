from __future__ import annotations

from django.urls import path

from qingfeng.campaigns import file_views, register_views, views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("seed/", views.campaign_seed, name="seed"),
    path("weekly/", views.weekly_home, name="weekly_home"),
    path("burden/", views.burden, name="burden"),
    path("figures/", views.figure_records, name="figures"),
    path("activities/figures/", register_views.activity_figures, name="activity_figures"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/tasks/new/", views.task_new, name="task_new"),
    path("<int:pk>/plan/", views.plan_submit, name="plan_submit"),
    path("<int:pk>/remind/", views.weekly_remind, name="remind"),
    path("<int:pk>/weekly/<int:unit_id>/<str:week>/", views.weekly_fill, name="weekly_fill"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("assignments/<int:pk>/confirm/", views.assignment_confirm, name="confirm"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("meetings/", register_views.meetings, name="meetings"),
    path("meetings/<int:pk>/", register_views.meeting_detail, name="meeting"),
    path("items/<int:pk>/done/", register_views.item_done, name="item_done"),
    path("rules/", register_views.rules, name="rules"),
    path("rules/<int:pk>/problems/", register_views.rule_link, name="rule_link"),
    path("activities/", register_views.activities, name="activities"),
    path("activities/<int:pk>/", register_views.activity_detail, name="activity"),
    path("activities/<int:pk>/hold/", register_views.activity_hold, name="activity_hold"),
    path("activities/<int:pk>/cancel/", register_views.activity_cancel, name="activity_cancel"),
    path("activities/<int:pk>/matters/", register_views.activity_matter, name="activity_matter"),
    path("files/<int:pk>/", file_views.file_download, name="file"),
    path("files/<str:kind>/<int:pk>/", file_views.file_upload, name="file_upload"),
]
