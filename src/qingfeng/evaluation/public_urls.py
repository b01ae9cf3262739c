from __future__ import annotations

from django.urls import path

from qingfeng.evaluation import public_views
from qingfeng.evaluation.publicform import HUMAN_CHECK

app_name = "rate"
urlpatterns = [
    path("u/<int:unit_id>/", public_views.rate, name="unit"),
    path("ranking/<int:round_id>/", public_views.ranking, name="ranking"),
    *HUMAN_CHECK.urls(),
]
