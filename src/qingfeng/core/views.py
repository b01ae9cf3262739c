from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from qingfeng.core.calendar import get_calendar
from qingfeng.core.models import Job, WorkerHeartbeat
from qingfeng.core.policy import public, signed_in
from qingfeng.ledger import selectors as ledger_selectors
from qingfeng.ledger.permissions import can as ledger_can
from qingfeng.orgs import selectors
from qingfeng.orgs.permissions import can, has_scope


@public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with database and worker status; 503 when the database cannot be reached."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beat = (
            WorkerHeartbeat.objects.filter(name="worker").values_list("beat_at", flat=True).first()
        )
        pending = Job.objects.filter(
            status=Job.Status.PENDING, not_before__lte=timezone.now()
        ).count()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    age = (timezone.now() - beat).total_seconds() if beat else None
    worker = "ok" if age is not None and age <= settings.QF_HEARTBEAT_STALE_SECONDS else "stale"
    return JsonResponse(
        {
            "status": "ok",
            "database": connection.vendor,
            "worker": worker,
            "worker_heartbeat_age_seconds": round(age, 1) if age is not None else None,
            "jobs_due": pending,
        }
    )


HOME_UNITS = 15


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, object] = {"calendar_fallback": False}
    if has_scope(user):  # type: ignore[arg-type]
        context["counts"] = selectors.scope_counts(user)  # type: ignore[arg-type]
        context["roots"] = selectors.scope_roots(user)  # type: ignore[arg-type]
        context["liaison_counties"] = selectors.liaison_counties(user)  # type: ignore[arg-type]
    if ledger_can(user, "view_ledger"):  # type: ignore[arg-type]
        problems = ledger_selectors.problems_visible_to(user)  # type: ignore[arg-type]
        context["ledger_lights"] = ledger_selectors.counts_by_light(
            problems.exclude(status__in=["withdrawn", "draft"])
        )
        roots = list(selectors.scope_roots(user))  # type: ignore[arg-type]
        if len(roots) == 1 and roots[0].kind not in {"school", "kindergarten"}:
            rows = ledger_selectors.overview_by_child_unit(user, roots[0])  # type: ignore[arg-type]
            # The units that need attention first; a county has ~150 schools, most with nothing.
            busy = sorted(
                (r for r in rows if r["total"]),
                key=lambda r: (-int(r["red"]), -int(r["yellow"]), -int(r["total"])),  # type: ignore[call-overload]
            )
            context["ledger_units"] = busy[:HOME_UNITS]
            context["ledger_units_more"] = max(0, len(busy) - HOME_UNITS)
    today = timezone.localdate()
    calendar = get_calendar()
    context["calendar_fallback"] = not calendar.is_official(today.year)
    context["next_workday"] = calendar.add_workdays(today, 1)
    context["deadline_example"] = calendar.add_workdays(today, 15)
    context["can_view_audit"] = can(user, "view_audit")  # type: ignore[arg-type]
    context["recent_window"] = today - timedelta(days=7)
    return render(request, "core/home.html", context)
