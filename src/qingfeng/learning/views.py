"""The staff pages of learning (/learning/): the study calendar, sessions with attendance,
the scan page, a person's study record, self-examination, pledges and the case library.
Thin: a selector, an action, a render."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingfeng.core import figurelist, registry
from qingfeng.core.calendar import calendar_for
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.core.publicform import qr
from qingfeng.core.publicform.poster import PosterFontError
from qingfeng.learning import actions, export, figures, publicform, selectors, tokens
from qingfeng.learning.forms import (
    CaseForm,
    CaseSearchForm,
    HoldForm,
    LeaveForm,
    MakeupForm,
    PledgeForm,
    RateForm,
    ReportForm,
    SelfExamForm,
    SessionForm,
)
from qingfeng.learning.models import Attendance, Case, Fulfilment, SelfExam
from qingfeng.learning.permissions import can, person_of
from qingfeng.ledger.selectors import problems_visible_to
from qingfeng.lib.qr import make_code, svg_bytes
from qingfeng.orgs.models import Person, Unit
from qingfeng.orgs.selectors import scope_root_units

A = Attendance.Status
DEVICE_COOKIE = "qf_learning_device"
DEVICE_SALT = "qingfeng.learning.device"


def _errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, msgs)
    else:
        form.add_error(None, exc.messages)


def _flash(request: AuthenticatedHttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _me(request: AuthenticatedHttpRequest) -> Person:
    person = person_of(request.user)
    if person is None:
        raise Http404
    return person


# ---- the calendar ---------------------------------------------------------------------


def _home_unit(request: AuthenticatedHttpRequest) -> Unit | None:
    person = person_of(request.user)
    roots = scope_root_units(request.user)
    if roots:
        return roots[0]
    return person.unit if person is not None else None


@guarded(can, "view")
@require_GET
def calendar(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The calendar of the top unit of the user's scope."""
    home = _home_unit(request)
    if home is None:
        raise Http404
    return _calendar(request, home)


@guarded(can, "view")
@require_GET
def unit(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    return _calendar(request, selectors.get_unit_for_user(request.user, unit_id))


def _calendar(request: AuthenticatedHttpRequest, target: Unit) -> HttpResponse:
    today = timezone.localdate()
    since = selectors.default_since(today)
    return render(
        request,
        "learning/calendar.html",
        {
            "unit": target,
            "rows": selectors.unit_calendar(target, today=today, calendar=calendar_for(request)),
            "record": selectors.unit_record(target, since=since),
            "since": since,
            "sessions": selectors.sessions_visible_to(request.user)
            .filter(unit=target)
            .order_by("-starts_at")[:30],
            "children": selectors.units_visible_to(request.user)
            .filter(parent=target)
            .order_by("sort_order", "id")[:200],
            "organise": can(request.user, "organise", target),
            "public_ratings": selectors.public_ratings(target, actions.quarter(today)),
        },
    )


@guarded(can, "view")
@require_GET
def figure_records(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The records behind a learning number of the dashboard (core/figurelist.py)."""
    return figurelist.figure_records(
        request,
        figures.SOURCE,
        selectors.units_visible_to(request.user),
        selectors.figure_listing,
        title=_("学习教育统计明细"),
    )


def _unit_to_organise(request: AuthenticatedHttpRequest, unit_id: int) -> Unit:
    target = selectors.get_unit_for_user(request.user, unit_id)
    if not can(request.user, "organise", target):
        raise Http404
    return target


@guarded(can, "organise")
@require_GET
def pledge_rate_qr(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    """The QR code of the unit's public pledge rating page, to print or show."""
    return publicform.qr_png(request, _unit_to_organise(request, unit_id))


@guarded(can, "organise")
@require_GET
def pledge_rate_poster(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    target = _unit_to_organise(request, unit_id)
    try:
        data = publicform.poster_pdf(request, target, issuer=target.name)
    except PosterFontError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return qr.inline_response(
        data, content_type="application/pdf", filename=f"pledge-rate-{target.pk}.pdf"
    )


@guarded(can, "view")
@require_GET
def unit_export(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    target = selectors.get_unit_for_user(request.user, unit_id)
    return export.study_archive(target, today=timezone.localdate())


# ---- sessions ---------------------------------------------------------------------------


@guarded(can, "organise")
@require_http_methods(["GET", "POST"])
def session_new(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    target = selectors.get_unit_for_user(request.user, unit_id)
    if not can(request.user, "organise", target):
        raise Http404
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = actions.check_plan_session(
                actor=request.user, unit=target, **form.cleaned_data
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("learning:session", args=[session.pk]))
    return render(request, "learning/session_new.html", {"unit": target, "form": form})


@guarded(can, "view")
@require_http_methods(["GET", "POST"])
def session(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_session_for_user(request.user, pk)
    organise = selectors.organises(request.user, item.unit)
    hold_form = HoldForm(request.POST or None, initial={"first_item": item.first_item})
    if request.method == "POST":
        if not organise:
            raise Http404
        try:
            if "hold" in request.POST:
                if not hold_form.is_valid():
                    raise ValidationError(_("请填写内容和主要观点"))
                actions.check_hold_session(item, actor=request.user, **hold_form.cleaned_data)
            elif "cancel" in request.POST:
                actions.check_cancel_session(
                    item, actor=request.user, reason=request.POST.get("reason", "")
                )
            elif "reasons" in request.POST:
                actions.check_note_absence_reasons(
                    item, actor=request.user, reasons=_numbered(request.POST, "reason-")
                )
                messages.success(request, _("缺席原因已保存"))
            else:
                actions.check_mark_attendance(
                    item,
                    actor=request.user,
                    marks=_numbered(request.POST, "p"),
                    reasons=_numbered(request.POST, "reason-"),
                )
                messages.success(request, _("出勤已保存"))
        except ValidationError as exc:
            _flash(request, exc)
        return HttpResponseRedirect(reverse("learning:session", args=[item.pk]))
    rows = list(item.attendance.select_related("person").order_by("person__id"))
    post_labels = dict(Person.PostType.choices)
    person = person_of(request.user)
    mine = next((r for r in rows if person is not None and r.person_id == person.pk), None)
    return render(
        request,
        "learning/session.html",
        {
            "session": item,
            "rows": rows,
            "mine": mine,
            "organise": organise,
            "statuses": Attendance.Status.choices,
            "hold_form": hold_form,
            "leave_form": LeaveForm(),
            "counts": {s: sum(r.status == s for r in rows) for s in Attendance.Status.values},
            "missed": [r for r in rows if r.status in (A.LEAVE, A.ABSENT)],
            "absent": [r for r in rows if r.status == A.ABSENT],
            "post_types": [post_labels[p] for p in item.post_types if p in post_labels],
        },
    )


def _numbered(post: Any, prefix: str) -> dict[int, str]:
    """The form's per-person fields: <prefix><person id> → value."""
    return {
        int(key.removeprefix(prefix)): str(value)
        for key, value in post.items()
        if key.startswith(prefix) and key[len(prefix) :].isdigit()
    }


@guarded(can, "view")
@require_GET
def session_sheet(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The session's minutes and attendance sheet (会议记录及签到表) as a workbook."""
    return export.session_sheet(selectors.get_session_for_user(request.user, pk))


@guarded(can, "study")
@require_POST
def leave(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_session_for_user(request.user, pk)
    form = LeaveForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请填写请假事由"))
        actions.check_ask_leave(
            item, person=_me(request), actor=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("请假已提交，等待组织者审批"))
    except ValidationError as exc:
        _flash(request, exc)
    return HttpResponseRedirect(reverse("learning:session", args=[item.pk]))


@guarded(can, "organise")
@require_POST
def leave_decide(request: AuthenticatedHttpRequest, pk: int, row_id: int) -> HttpResponse:
    item = selectors.get_session_to_organise(request.user, pk)
    row = item.attendance.filter(pk=row_id).first()
    if row is None:
        raise Http404
    try:
        actions.check_decide_leave(row, actor=request.user, approve="approve" in request.POST)
    except ValidationError as exc:
        _flash(request, exc)
    return HttpResponseRedirect(reverse("learning:session", args=[item.pk]))


@guarded(can, "organise")
@require_GET
def session_qr(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The screen shown at the session: the code turns every WINDOW seconds."""
    item = selectors.get_session_to_organise(request.user, pk)
    url = request.build_absolute_uri(reverse("learning:scan", args=[tokens.make(item.pk)]))
    svg = svg_bytes(make_code(url)).decode()
    signed = item.attendance.filter(status__in=selectors.PRESENT).count()
    return render(
        request,
        "learning/session_qr.html",
        {
            "session": item,
            "svg": svg,
            "url": url,
            "window": tokens.WINDOW,
            "signed": signed,
            "expected": item.attendance.count(),
        },
    )


def _device(request: AuthenticatedHttpRequest) -> tuple[str, bool]:
    value = request.get_signed_cookie(DEVICE_COOKIE, default="", salt=DEVICE_SALT)
    if value:
        return str(value), False
    return secrets.token_hex(16), True


@guarded(can, "study")
@require_http_methods(["GET", "POST"])
def scan(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """Scanned on the attendee's own phone: confirm, then sign in."""
    device, new = _device(request)
    context: dict[str, Any] = {"token": token}
    try:
        # Another unit's session reads as an invalid code, whatever the code's age.
        session_id = tokens.read(token, fresh=False)
        context["session"] = (
            selectors.sessions_visible_to(request.user).filter(pk=session_id).first()
        )
        if context["session"] is None:
            raise ValidationError(_("签到码无效，请扫描现场屏幕上的二维码"))
        tokens.read(token)
        if request.method == "POST":
            context["row"] = actions.check_scan(
                token, person=_me(request), actor=request.user, device=device
            )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
    # A code that names no session of the user's answers as a missing page does.
    status = 404 if context.get("session") is None else 200
    response = render(request, "learning/scan.html", context, status=status)
    if new:
        response.set_signed_cookie(
            DEVICE_COOKIE,
            device,
            salt=DEVICE_SALT,
            max_age=3600 * 24 * 400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


# ---- a person's record -------------------------------------------------------------------


@guarded(can, "study")
@require_GET
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    person = _me(request)
    pledges = list(selectors.pledges_for(person)[:10])
    # Each pledge's state for this person: not signed, signed, or signed and due to be
    # signed again (the latest signature's re-sign day has come).
    renew = dict(
        selectors.latest_signatures()
        .filter(person=person, pledge__in=pledges)
        .values_list("pledge_id", "renew_on")
    )
    today = timezone.localdate()
    return render(
        request,
        "learning/mine.html",
        {
            "person": person,
            "record": selectors.person_record(person),
            "rows": selectors.person_sessions(person)[:50],
            "makeups": selectors.open_makeups(person),
            "pledges": [(p, p.pk in renew, _resign_due(renew.get(p.pk), today)) for p in pledges],
            "makeup_form": MakeupForm(),
        },
    )


def _resign_due(renew_on: date | None, today: date) -> date | None:
    """The re-sign day of a signature, once it has come; None before it, or with none."""
    return renew_on if renew_on is not None and renew_on <= today else None


@guarded(can, "study")
@require_POST
def makeup(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_makeup_for_user(request.user, pk)
    form = MakeupForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("补课内容无效"))
        later = form.cleaned_data.get("later_session")
        later_session = (
            selectors.makeup_candidates(item).filter(pk=later).first() if later else None
        )
        if later and later_session is None:
            raise ValidationError(_("所选学习须在缺席的学习之后举行，且本人已出席"))
        actions.check_complete_makeup(
            item,
            actor=request.user,
            note=form.cleaned_data.get("note") or "",
            later_session=later_session,
        )
        messages.success(request, _("补课已完成"))
    except ValidationError as exc:
        _flash(request, exc)
    return HttpResponseRedirect(reverse("learning:mine"))


# ---- self-examination ----------------------------------------------------------------------


@guarded(can, "study")
@require_GET
def self_exams(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "learning/self_exams.html",
        {"exams": selectors.self_exams_visible_to(request.user)[:100]},
    )


def _found(post: Any) -> list[actions.Found]:
    """The problem rows of the form: prob-<i>-dimension/title/description/measures/deadline."""
    out: list[actions.Found] = []
    for i in range(10):
        title = (post.get(f"prob-{i}-title") or "").strip()
        if not title:
            continue
        deadline_text = (post.get(f"prob-{i}-deadline") or "").strip()
        try:
            deadline = date.fromisoformat(deadline_text) if deadline_text else None
        except ValueError as exc:
            raise ValidationError(_("第 %(i)d 个问题的整改时限格式不对") % {"i": i + 1}) from exc
        out.append(
            actions.Found(
                dimension=post.get(f"prob-{i}-dimension") or "",
                title=title,
                description=post.get(f"prob-{i}-description") or "",
                measures=(post.get(f"prob-{i}-measures") or "").splitlines(),
                deadline=deadline,
                long_term=bool(post.get(f"prob-{i}-long_term")),
            )
        )
    return out


@guarded(can, "study")
@require_http_methods(["GET", "POST"])
def self_exam_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    person = _me(request)
    form = SelfExamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            if kind != SelfExam.Kind.PERSON and not can(request.user, "organise", person.unit):
                raise ValidationError({"kind": _("只有单位管理员可以填报班子或科室自查")})
            exam = actions.check_submit_self_exam(
                actor=request.user,
                unit=person.unit,
                kind=kind,
                title=form.cleaned_data["title"],
                answers=form.answers(),
                comparisons=form.cleaned_data["comparisons"],
                person=person if kind == SelfExam.Kind.PERSON else None,
                found=_found(request.POST),
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("learning:self_exam", args=[exam.pk]))
    return render(
        request,
        "learning/self_exam_new.html",
        {
            "form": form,
            "checks": actions.CHECKS,
            "comparisons": actions.COMPARISONS,
            "rows": range(3),
            "post": request.POST,
        },
    )


@guarded(can, "study")
@require_GET
def self_exam(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    exam = selectors.get_self_exam_for_user(request.user, pk)
    return render(
        request,
        "learning/self_exam.html",
        {
            "exam": exam,
            "answers": [(actions.CHECKS[k], exam.answers.get(k, "")) for k in actions.CHECKS],
            "problems": problems_visible_to(request.user).filter(
                source_ref=exam.number, source="self_check"
            ),
        },
    )


# ---- pledges ----------------------------------------------------------------------------------


@guarded(can, "view")
@require_http_methods(["GET", "POST"])
def pledges(request: AuthenticatedHttpRequest) -> HttpResponse:
    issue = can(request.user, "bureau")
    form = PledgeForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST":
        roots = scope_root_units(request.user)
        if not issue or not roots:
            raise Http404
        if form.is_valid():
            try:
                pledge = actions.check_issue_pledge(
                    actor=request.user, issuer=roots[0], **form.cleaned_data
                )
            except ValidationError as exc:
                _errors(form, exc)
            else:
                return HttpResponseRedirect(reverse("learning:pledge", args=[pledge.pk]))
    return render(
        request,
        "learning/pledges.html",
        {
            "pledges": selectors.pledges_visible_to(request.user)[:100],
            "form": form if issue else None,
        },
    )


@guarded(can, "view")
@require_GET
def pledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_pledge_for_user(request.user, pk)
    person = person_of(request.user)
    signature = selectors.signature_of(item, person) if person else None
    applies = person is not None and item in selectors.pledges_for(person)
    unit = person.unit if person else None
    organise = unit is not None and can(request.user, "organise", unit)
    today = timezone.localdate()
    opens = actions.resign_opens_on(signature, calendar_for(request)) if signature else None
    return render(
        request,
        "learning/pledge.html",
        {
            "pledge": item,
            "signature": signature,
            "resign_opens": opens,
            "can_resign": opens is not None and today >= opens,
            "not_resigned": (
                selectors.not_resigned(item, unit, today=today)[:200] if organise and unit else None
            ),
            "applies": applies,
            "reports": signature.reports.order_by("-period") if signature else [],
            "report_form": ReportForm(),
            "my_problems": (
                problems_visible_to(request.user).filter(responsible_person=person)[:20]
                if signature is not None
                else []
            ),
            "period": actions.quarter(),
            "unit": unit,
            "unsigned": selectors.unsigned(item, unit)[:200] if organise and unit else None,
            "to_rate": (
                Fulfilment.objects.filter(
                    signature__pledge=item, signature__person__unit=unit, rating=""
                ).select_related("signature__person")[:100]
                if organise
                else []
            ),
            "rate_form": RateForm(),
        },
    )


@guarded(can, "study")
@require_POST
def pledge_sign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_pledge_for_user(request.user, pk)
    try:
        signed = actions.check_sign_pledge(item, person=_me(request), actor=request.user)
        messages.success(request, _("已签署承诺书") if signed.cycle == 1 else _("已重新签署承诺书"))
    except ValidationError as exc:
        _flash(request, exc)
    return HttpResponseRedirect(reverse("learning:pledge", args=[item.pk]))


@guarded(can, "study")
@require_POST
def pledge_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_pledge_for_user(request.user, pk)
    person = _me(request)
    signature = selectors.signature_of(item, person)
    form = ReportForm(request.POST)
    try:
        if signature is None:
            raise ValidationError(_("请先签署承诺书"))
        if not form.is_valid():
            raise ValidationError(_("请简要填写践诺情况"))
        mine = problems_visible_to(request.user).filter(responsible_person=person)
        linked = mine.filter(pk__in=request.POST.getlist("problems"))
        actions.check_report_fulfilment(
            signature, actor=request.user, text=form.cleaned_data["text"], problems=list(linked)
        )
        messages.success(request, _("践诺情况已填报"))
    except ValidationError as exc:
        _flash(request, exc)
    return HttpResponseRedirect(reverse("learning:pledge", args=[item.pk]))


@guarded(can, "organise")
@require_POST
def fulfilment_rate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = (
        Fulfilment.objects.select_related("signature__person__unit", "signature__pledge")
        .filter(pk=pk)
        .first()
    )
    if report is None or not can(request.user, "organise", report.signature.person.unit):
        raise Http404
    form = RateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请选择评诺等次"))
        actions.check_rate_fulfilment(report, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _flash(request, exc)
    return HttpResponseRedirect(reverse("learning:pledge", args=[report.signature.pledge_id]))


# ---- cases ------------------------------------------------------------------------------------


@guarded(can, "view")
@require_GET
def cases(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CaseSearchForm(request.GET or None)
    query, category = "", ""
    if form.is_valid():
        query, category = form.cleaned_data["q"], form.cleaned_data["category"]
    found = selectors.search_cases(request.user, query, category=category)
    return render(
        request,
        "learning/cases.html",
        {
            "form": form,
            "cases": found[:100],
            "query": query,
            "can_enter": can(request.user, "organise"),
            "to_propose": (
                selectors.closed_problems_to_propose(request.user)[:10]
                if can(request.user, "organise")
                else []
            ),
            "items_to_propose": (
                selectors.closed_items_to_propose(request.user)
                if can(request.user, "organise")
                else []
            ),
        },
    )


@guarded(can, "organise")
@require_http_methods(["GET", "POST"])
def case_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    roots = scope_root_units(request.user)
    if not roots:
        raise Http404
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = actions.check_enter_case(actor=request.user, owner=roots[0], **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("learning:case", args=[case.pk]))
    return render(request, "learning/case_form.html", {"form": form, "case": None})


@guarded(can, "view")
@require_GET
def case(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_case_for_user(request.user, pk)
    return render(
        request,
        "learning/case.html",
        {
            "case": item,
            "source": selectors.source_visible(request.user, item),
            "source_link": selectors.source_link(request.user, item),
            "edit": item.status == Case.Status.DRAFT and can(request.user, "organise", item.owner),
            "decide": item.status == Case.Status.PENDING
            and can(request.user, "bureau", item.owner),
            "names": actions.surviving_names(item) if item.status != Case.Status.PUBLISHED else [],
        },
    )


@guarded(can, "organise")
@require_http_methods(["GET", "POST"])
def case_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_case_for_user(request.user, pk)
    if not can(request.user, "organise", item.owner):
        raise Http404
    initial = {f: getattr(item, f) for f in CaseForm.base_fields}
    form = CaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.check_edit_case(item, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("learning:case", args=[item.pk]))
    return render(request, "learning/case_form.html", {"form": form, "case": item})


@guarded(can, "organise")
@require_POST
def case_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_case_for_user(request.user, pk)
    action = request.POST.get("action", "")
    try:
        if action == "submit":
            if not can(request.user, "organise", item.owner):
                raise Http404
            actions.check_submit_case(item, actor=request.user)
        else:
            if not can(request.user, "bureau", item.owner):
                raise Http404
            actions.check_decide_case(
                item, actor=request.user, action=action, reason=request.POST.get("reason", "")
            )
    except ValidationError as exc:
        _flash(request, exc)
    return HttpResponseRedirect(reverse("learning:case", args=[item.pk]))


@guarded(can, "organise")
@require_POST
def case_propose(request: AuthenticatedHttpRequest, problem_id: int) -> HttpResponse:
    problem = problems_visible_to(request.user).filter(pk=problem_id).first()
    roots = scope_root_units(request.user)
    if problem is None or not roots:
        raise Http404
    try:
        item = actions.check_propose_case(problem, actor=request.user, owner=roots[0])
    except ValidationError as exc:
        _flash(request, exc)
        return HttpResponseRedirect(reverse("learning:cases"))
    messages.success(request, _("已生成案例草稿并初步脱敏，请逐字核对后提交审核"))
    return HttpResponseRedirect(reverse("learning:case", args=[item.pk]))


@guarded(can, "organise")
@require_POST
def case_propose_item(request: AuthenticatedHttpRequest, source: str, pk: int) -> HttpResponse:
    """A closed item of another app (a ticket) proposed as a case: the source reads it as this
    organiser may (404 outside their scope, as for a missing id)."""
    found = registry.case_source(source)
    material = found.get(request.user, pk) if found is not None else None
    roots = scope_root_units(request.user)
    if material is None or not roots:
        raise Http404
    try:
        item = actions.check_propose_case_from(material, actor=request.user, owner=roots[0])
    except ValidationError as exc:
        _flash(request, exc)
        return HttpResponseRedirect(reverse("learning:cases"))
    messages.success(request, _("已生成案例草稿并初步脱敏，请逐字核对后提交审核"))
    return HttpResponseRedirect(reverse("learning:case", args=[item.pk]))


@guarded(can, "view")
@require_GET
def cases_compile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """《警示录》: the published cases of the search, as a .docx."""
    form = CaseSearchForm(request.GET or None)
    query, category = "", ""
    if form.is_valid():
        query, category = form.cleaned_data["q"], form.cleaned_data["category"]
    found = selectors.search_cases(request.user, query, category=category).filter(
        status=Case.Status.PUBLISHED
    )
    return export.casebook(list(found[:200]))
