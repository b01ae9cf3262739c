from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.utils import timezone
from django.views import defaults
from django.views.decorators.cache import never_cache

from qingfeng.core import registry, status
from qingfeng.core.calendar import calendar_for
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.middleware import InputRejected, refused
from qingfeng.core.policy import public, signed_in


@public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with database and worker status; 503 when the database cannot be reached."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        state = status.read()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    age = state.worker_age
    last_backup = state.last_backup_at
    return JsonResponse(
        {
            "status": "ok",
            "database": state.database,
            "worker": "ok" if state.worker_ok else "stale",
            "worker_heartbeat_age_seconds": round(age, 1) if age is not None else None,
            "jobs_due": state.jobs_due,
            "last_backup_at": last_backup.isoformat() if last_backup else None,
        }
    )


@signed_in
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The cards every app contributes (core/registry.py), each scoped to the user; an app
    with nothing for this user returns no card."""
    cards = []
    for card in registry.home_cards():
        context = card.context(request)
        if context is not None:
            # Rendered without the request: the page's context processors run once, not per card.
            cards.append(get_template(card.template).render({**context, "user": request.user}))
    today = timezone.localdate()
    return render(
        request,
        "core/home.html",
        {"cards": cards, "calendar_fallback": not calendar_for(request).is_official(today.year)},
    )


def calendar_card(request: HttpRequest) -> dict[str, object]:
    today = timezone.localdate()
    calendar = calendar_for(request)
    return {
        "next_workday": calendar.add_workdays(today, 1),
        "deadline_example": calendar.add_workdays(today, 15),
    }


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: input the rules refuse says why; any other 400 (a bad host name, a
    damaged body) is Django's page, which shows nothing of the request."""
    if isinstance(exception, InputRejected):
        return refused(request, str(exception))
    return defaults.bad_request(request, exception)
