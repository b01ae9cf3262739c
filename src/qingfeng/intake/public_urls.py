from __future__ import annotations

from django.urls import path

from qingfeng.intake import poster_views, public_views, stats_views
from qingfeng.intake.publicform import HUMAN_CHECK

app_name = "report"
urlpatterns = [
    path("", public_views.index, name="index"),
    path("new/", public_views.new, name="new"),
    path("units/", public_views.unit_search, name="units"),
    *HUMAN_CHECK.urls(),
    path("track/", public_views.track, name="track"),
    path("stats/", stats_views.stats_page, name="stats"),
    path("u/<int:unit_id>/", poster_views.unit_link, name="unit"),
]
