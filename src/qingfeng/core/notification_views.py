from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qingfeng.core import actions
from qingfeng.core.policy import signed_in
from qingfeng.orgs.models import User


@signed_in
def notification_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    page = Paginator(user.notifications.all(), 30).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@require_POST
@signed_in
def notification_read(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
    actions.do_mark_notifications_read(user, ids=ids or None)
    return redirect("core:notifications")
