from __future__ import annotations

from django.urls import path

from qingfeng.learning import type_views, views

app_name = "learning"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("u/<int:unit_id>/", views.unit, name="unit"),
    path("figures/", views.figure_records, name="figures"),
    path("u/<int:unit_id>/new/", views.session_new, name="session_new"),
    path("u/<int:unit_id>/archive.xlsx", views.unit_export, name="export"),
    path("u/<int:unit_id>/pledge-qr.png", views.pledge_rate_qr, name="pledge_rate_qr"),
    path("u/<int:unit_id>/pledge-poster.pdf", views.pledge_rate_poster, name="pledge_rate_poster"),
    path("types/", type_views.types, name="types"),
    path("types/new/", type_views.type_new, name="type_new"),
    path("types/<int:pk>/", type_views.type_edit, name="type_edit"),
    path("types/<int:pk>/active/", type_views.type_active, name="type_active"),
    path("s/<int:pk>/", views.session, name="session"),
    path("s/<int:pk>/sheet.xlsx", views.session_sheet, name="session_sheet"),
    path("s/<int:pk>/qr/", views.session_qr, name="qr"),
    path("s/<int:pk>/leave/", views.leave, name="leave"),
    path("s/<int:pk>/leave/<int:row_id>/", views.leave_decide, name="leave_decide"),
    path("scan/<str:token>/", views.scan, name="scan"),
    path("me/", views.mine, name="mine"),
    path("makeup/<int:pk>/", views.makeup, name="makeup"),
    path("self-exam/", views.self_exams, name="self_exams"),
    path("self-exam/new/", views.self_exam_new, name="self_exam_new"),
    path("self-exam/<int:pk>/", views.self_exam, name="self_exam"),
    path("pledges/", views.pledges, name="pledges"),
    path("pledges/<int:pk>/", views.pledge, name="pledge"),
    path("pledges/<int:pk>/sign/", views.pledge_sign, name="pledge_sign"),
    path("pledges/<int:pk>/report/", views.pledge_report, name="pledge_report"),
    path("reports/<int:pk>/rate/", views.fulfilment_rate, name="rate"),
    path("cases/", views.cases, name="cases"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/casebook.docx", views.cases_compile, name="compile"),
    path("cases/propose/<int:problem_id>/", views.case_propose, name="propose"),
    path("cases/propose/<str:source>/<int:pk>/", views.case_propose_item, name="propose_item"),
    path("cases/<int:pk>/", views.case, name="case"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:pk>/move/", views.case_move, name="case_move"),
]
