"""A second public form's human check, mounted on its own (test_publicform)."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import include, path

from qingfeng.core.policy import public
from qingfeng.core.publicform.captcha import HumanCheck
from qingfeng.core.publicform.views import HumanCheckViews

SECOND = HumanCheckViews(
    check=HumanCheck(namespace="second", switch="QF_SECOND_CHECK"), url_namespace="second"
)

urlpatterns = [
    path("", public(lambda request: HttpResponse()), name="home"),  # the 404 page links home
    path("rate/", include((SECOND.urls(), "second"))),
]
