from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "qingfeng.api"
    verbose_name = "API"
