from __future__ import annotations

from django.urls import path

from qingfeng.oversight import public_views

app_name = "notice"
urlpatterns = [
    path("", public_views.notices, name="index"),
    path("draws/<str:number>/", public_views.draw_notice, name="draw"),
    path("draws/<str:number>/certificate.json", public_views.draw_certificate, name="certificate"),
    path("rounds/<str:number>/", public_views.round_notice, name="round"),
    path("verify_draw.py", public_views.verifier, name="verifier"),
]
