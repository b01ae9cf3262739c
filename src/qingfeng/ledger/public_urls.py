from __future__ import annotations

from django.urls import path

from qingfeng.ledger import public_views

app_name = "progress"
urlpatterns = [
    path("", public_views.progress_index, name="index"),
    path("<int:unit_id>/", public_views.progress_unit, name="unit"),
]
