from __future__ import annotations

from django.urls import path

from qingfeng.learning import public_views
from qingfeng.learning.publicform import HUMAN_CHECK

app_name = "pledge_rate"
urlpatterns = [
    path("u/<int:unit_id>/", public_views.rate, name="unit"),
    *HUMAN_CHECK.urls(),
]
