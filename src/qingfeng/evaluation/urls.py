from __future__ import annotations

from django.urls import path

from qingfeng.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.rounds, name="rounds"),
    path("new/", views.round_new, name="round_new"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/scheme/", views.round_scheme, name="scheme"),
    path("<int:pk>/open/", views.round_open, name="open"),
    path("<int:pk>/close/", views.round_close, name="close"),
    path("<int:pk>/publish/", views.round_publish, name="publish"),
    path("<int:pk>/export.xlsx", views.round_export, name="export"),
    path("<int:pk>/flags/", views.flags, name="flags"),
    path("<int:pk>/flags/<int:response_id>/", views.review, name="review"),
    path("<int:pk>/comments/", views.comments, name="comments"),
    path(
        "<int:pk>/comments/<int:response_id>/ticket/",
        views.comment_ticket,
        name="comment_ticket",
    ),
    path("<int:pk>/codes/", views.codes, name="codes"),
    path("<int:pk>/u/<int:unit_id>/", views.unit_result, name="unit"),
    path("<int:pk>/u/<int:unit_id>/third-party/", views.third_party, name="third_party"),
    path("<int:pk>/u/<int:unit_id>/discipline/", views.discipline, name="discipline"),
    path("<int:pk>/u/<int:unit_id>/poster.pdf", views.poster, name="poster"),
    path("<int:pk>/u/<int:unit_id>/qr.png", views.qr_png, name="qr"),
    path("<int:pk>/scores/", views.score_imports, name="score_imports"),
    path("<int:pk>/scores/template.xlsx", views.score_template, name="score_template"),
    path("<int:pk>/scores/<int:import_id>/", views.score_import, name="score_import"),
    path(
        "<int:pk>/scores/<int:import_id>/errors.xlsx",
        views.score_import_errors,
        name="score_import_errors",
    ),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    path("remedial/", views.remedials, name="remedials"),
    path("figures/", views.figure_records, name="figures"),
    path("remedial/<int:pk>/", views.remedial, name="remedial"),
]
