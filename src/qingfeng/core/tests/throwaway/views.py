from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from qingfeng.core.policy import guarded
from qingfeng.core.tests.throwaway.contributions import may_open


def _check(user: object, action: str) -> bool:
    return may_open(user)


@guarded(_check, "open_throwaway")
def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse("抽查记录")
