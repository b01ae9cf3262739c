from __future__ import annotations

from django.urls import path

from qingfeng.campaigns import public_views

app_name = "reception"
urlpatterns = [
    path("", public_views.notices, name="index"),
    path("u/<int:unit_id>/", public_views.unit_notices, name="unit"),
    path("<int:pk>/", public_views.notice, name="notice"),
    path("<int:pk>/poster.pdf", public_views.notice_poster, name="poster"),
]
