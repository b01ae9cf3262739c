"""The working-day calendar: every signed-in user reads it; the system admin edits it."""

from __future__ import annotations

import calendar as pycalendar
from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qingfeng.core import actions
from qingfeng.core.calendar import get_calendar
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.models import CalendarDay, CalendarYear
from qingfeng.core.permissions import can
from qingfeng.core.policy import guarded, signed_in


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("日期"))
    kind = forms.ChoiceField(
        label=gettext_lazy("类型"),
        choices=[("holiday", gettext_lazy("放假")), ("workday", gettext_lazy("调休上班"))],
    )
    name = forms.CharField(label=gettext_lazy("名称"), max_length=50)


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() else timezone.localdate().year
    return min(max(year, 2000), 2100)


def _months(year: int) -> list[dict[str, object]]:
    work = get_calendar()
    names = dict(CalendarDay.objects.filter(date__year=year).values_list("date", "name"))
    months = []
    for month in range(1, 13):
        weeks = []
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells: list[dict[str, object] | None] = []
            for day in week:
                if day.month != month:
                    cells.append(None)
                    continue
                kind = "workday" if work.is_workday(day) else "rest"
                if day in names:
                    kind = "makeup" if work.is_workday(day) else "holiday"
                cells.append({"day": day, "kind": kind, "name": names.get(day, "")})
            weeks.append(cells)
        months.append({"month": month, "first": date(year, month, 1), "weeks": weeks})
    return months


@signed_in
def calendar_year(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    year = _year(request)
    context = {
        "year": year,
        "official": CalendarYear.objects.filter(year=year).first(),
        "months": _months(year),
        "entries": CalendarDay.objects.filter(date__year=year),
        "can_edit": can(user, "manage_settings"),
        "form": CalendarDayForm(initial={"date": date(year, 1, 1)}),
        "weekday_labels": [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
    }
    return render(request, "core/calendar.html", context)


@require_POST
@guarded(can, "manage_settings")
def calendar_set_day(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = CalendarDayForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "；".join(str(e) for errors in form.errors.values() for e in errors)
        )
        return redirect("core:calendar")
    day: date = form.cleaned_data["date"]
    try:
        actions.check_set_calendar_day(
            actor=user,
            day=day,
            is_workday=form.cleaned_data["kind"] == "workday",
            name=form.cleaned_data["name"],
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已登记 %(day)s") % {"day": day.isoformat()})
    return redirect(f"/core/calendar/?year={day.year}")


@require_POST
@guarded(can, "manage_settings")
def calendar_remove_day(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(CalendarDay, pk=pk)
    year = entry.date.year
    actions.do_remove_calendar_day(entry, actor=request.user)
    messages.success(request, _("已删除"))
    return redirect(f"/core/calendar/?year={year}")


@require_POST
@guarded(can, "manage_settings")
def calendar_publish_year(request: AuthenticatedHttpRequest) -> HttpResponse:
    raw = request.POST.get("year", "")
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        messages.error(request, _("年份不正确"))
        return redirect("core:calendar")
    user = request.user
    actions.do_publish_calendar_year(
        actor=user, year=int(raw), source=request.POST.get("source", "")
    )
    messages.success(request, _("已确认 %(year)s 年节假日安排") % {"year": raw})
    return redirect(f"/core/calendar/?year={raw}")
