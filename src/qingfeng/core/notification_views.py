from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qingfeng.core import actions
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import signed_in


@signed_in
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    page = Paginator(user.notifications.all(), 30).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@require_POST
@signed_in
def notification_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
    actions.do_mark_notifications_read(user, ids=ids or None)
    return redirect("core:notifications")
