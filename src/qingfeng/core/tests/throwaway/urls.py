from __future__ import annotations

from django.urls import path

from qingfeng.core.tests.throwaway import views

app_name = "throwaway"
urlpatterns = [path("", views.index, name="index")]
