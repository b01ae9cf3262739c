"""Staff pages of the public channel: the queue, a ticket with its timeline and forms, the
hotline entry form. (The reporter's pages under /report/ are in public_views.py.)

Each view: scoped selector → form → action → redirect or render. The reporter's identity is
never in a page unless an intake role has just stated a reason for this one look.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingfeng.core.attachments import download
from qingfeng.core.http import AuthenticatedHttpRequest, xlsx_response
from qingfeng.core.listing import KeysetList
from qingfeng.core.policy import guarded, signed_in
from qingfeng.core.transition_views import TransitionViews
from qingfeng.intake import export, routing, selectors, similarity, workflow
from qingfeng.intake.actions import handling
from qingfeng.intake.figures import FIGURES
from qingfeng.intake.forms import search_units
from qingfeng.intake.models import Ticket
from qingfeng.intake.permissions import (
    available_actions,
    can,
    inside_reported_unit,
    intake_covers,
)
from qingfeng.intake.receipts import grouped
from qingfeng.intake.staff_forms import (
    AssignForm,
    HotlineForm,
    MergeForm,
    QueueFilterForm,
    RevealForm,
    TextForm,
    ToProblemForm,
)
from qingfeng.lib.masking import mask_name, mask_phone
from qingfeng.orgs import selectors as org_selectors
from qingfeng.orgs.models import Role, Unit, User

ACTIONS = (
    "accept",
    "decline",
    "assign",
    "start",
    "return",
    "reply",
    "close",
    "merge",
    "note",
    "reveal",
    "to_problem",
)


def _ticket_filter(user: User, data: dict[str, Any]) -> selectors.TicketFilter:
    unit = org_selectors.get_unit_for_user(user, data["unit"]) if data.get("unit") else None
    category = data.get("category")
    return selectors.TicketFilter(
        status=data.get("status") or "",
        light=data.get("light") or "",
        category=category.pk if category else None,
        kind=data.get("kind") or "",
        channel=data.get("channel") or "",
        unit=unit,
        text=data.get("q") or "",
        figure=data.get("figure") or "",
        period_from=data.get("period_from"),
        period_to=data.get("period_to"),
        own=bool(data.get("own")) and unit is not None,
    )


QUEUE = KeysetList(
    form=QueueFilterForm,
    parse=_ticket_filter,
    select=selectors.filter_tickets,
    page=selectors.page_after,
    cursor=selectors.Cursor,
    lights=selectors.counts_by_light,
    kept_lights=selectors.queue_lights,
    # Counting what a free-text search matches would read every ticket in the scope (a
    # substring is in no index); the rows still show their lights.
    search_field="q",
    template="intake/queue.html",
    fragment="intake/partials/ticket_rows.html",
)


@guarded(can, "view_queue")
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    listing = QUEUE.read(request, user)
    return listing.render(
        request,
        unit=listing.filter.unit,
        # The unit filter offers the user's own units and the level below (a county's schools
        # are reached from the county's row on the ledger's overview, or by ?unit=).
        filter_units=org_selectors.units_visible_to(user)
        .filter(is_active=True, depth__lte=1)
        .order_by("path")[:100],
        can_enter=can(user, "hotline"),
        flagged=selectors.flagged_ids(user, listing.rows),
        figure=_figure_banner(user, listing.filter),
    )


def _figure_banner(user: User, flt: selectors.TicketFilter) -> dict[str, Any] | None:
    """When the queue is a dashboard number's records: which number, its period, and how many
    tickets (one count of a narrowed queue, so that the number can be checked against it)."""
    if not flt.figure:
        return None
    label = next((f.label for f in FIGURES if f.key == flt.figure), flt.figure)
    return {
        "label": label,
        "first": flt.period_from,
        "last": flt.period_to,
        "total": selectors.filter_tickets(user, flt).count(),
    }


@guarded(can, "view_queue")
def queue_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The queue as filtered on the page, as an Excel workbook (identity masked, audited)."""
    user = request.user
    _form, flt = QUEUE.filter(request, user)
    tickets = selectors.filter_tickets(user, flt)
    count = tickets.count()
    if count > export.EXPORT_LIMIT:
        messages.error(
            request,
            _("筛选结果有 %(n)d 件，超过单次导出上限 %(max)d 件，请缩小范围")
            % {"n": count, "max": export.EXPORT_LIMIT},
        )
        return redirect(f"{reverse('intake:queue')}?{request.GET.urlencode()}")
    label = (
        flt.unit.name if flt.unit else "、".join(u.name for u in org_selectors.scope_roots(user))
    )
    data = export.export_tickets(tickets, title=_("直通车工单台账"), actor=user, scope_label=label)
    response = xlsx_response(data, f"直通车工单-{timezone.localdate():%Y%m%d}.xlsx")
    response["Cache-Control"] = "no-store"
    return response


def _assign_form(user: User, ticket: Ticket, data: Any = None) -> AssignForm:
    units = org_selectors.units_visible_to(user).filter(is_active=True).order_by("path")
    # Any active account parses; the action says why a given person cannot handle it.
    handlers = org_selectors.active_accounts()
    return AssignForm(data, units=units, handlers=handlers)


def _routing_panel(user: User, ticket: Ticket, available: set[str]) -> dict[str, Any]:
    """处理建议: units and a category read from the text, for a person to confirm. A unit
    can be chosen into the assign form when it is one the user may assign to."""
    text = similarity.ticket_text(ticket.title, ticket.content)
    units = routing.suggest_units(text)
    choosable: set[int] = set()
    if "assign" in available and units:
        choosable = set(
            org_selectors.units_visible_to(user)
            .filter(is_active=True, pk__in=[s.unit_id for s in units])
            .values_list("pk", flat=True)
        )
    above = routing.report_unit_above(ticket)
    if above is not None:
        # A 举报 is not handled by the unit it reports on: the level above comes first.
        units = [s for s in units if s.unit_id != above.pk]
        reason = _("举报不由被举报单位自行办理，建议由上级单位办理")
        units.insert(0, routing.UnitSuggestion(above.pk, above.name, 0.0, reason))
        if "assign" in available and above.is_active:
            visible = org_selectors.units_visible_to(user).filter(pk=above.pk).exists()
            choosable |= {above.pk} if visible else set()
    categories = routing.suggest_categories(text, limit=1)
    return {
        "units": [(s, s.unit_id in choosable) for s in units],
        "category": categories[0] if categories else None,
    }


def _suspects(user: User, ticket: Ticket, available: set[str]) -> list[dict[str, Any]]:
    """疑似重复 with the merges the user may make: this ticket into the other, or the other
    into this one (the existing merge action decides; these only decide what to offer)."""
    rows = []
    for other, score, reason in selectors.suspected_duplicates(user, ticket):
        rows.append(
            {
                "ticket": other,
                "score": score,
                "reason": reason,
                "merge_into": "merge" in available,
                "merge_here": can(user, "merge", other)
                and "merge" in workflow.allowed_actions(other.status),
            }
        )
    return rows


def _prefill_unit(request: AuthenticatedHttpRequest, ticket: Ticket) -> int | None:
    """The unit chosen from the suggestions (?assign_unit=), else the unit reported on — for a
    举报, the level above it instead (never the reported unit nor one inside it)."""
    chosen = request.GET.get("assign_unit", "")
    if chosen.isdigit():
        return int(chosen)
    if ticket.kind == Ticket.Kind.REPORT:
        above = routing.report_unit_above(ticket)
        return above.pk if above is not None else None
    return ticket.unit_id


def _detail_context(
    request: AuthenticatedHttpRequest, user: User, ticket: Ticket
) -> dict[str, Any]:
    selectors.with_staff_details(ticket)
    available = set(available_actions(user, ticket))
    intake = intake_covers(user, ticket)
    return {
        "ticket": ticket,
        "intake": intake,
        # Personal data in the text is masked for everyone; an intake role's reveal shows it.
        # The unit reported on learns nothing of the reporter, not even a masked name.
        "content": handling.masked_content(ticket, viewer=user),
        "reporter_hidden": inside_reported_unit(user, ticket),
        "masked_name": mask_name(ticket.reporter_name) if ticket.reporter_name else "",
        "masked_phone": mask_phone(ticket.reporter_phone) if ticket.reporter_phone else "",
        "events": [
            (e, str(workflow.event_label(e.action, channel=ticket.channel)))
            for e in ticket.events.all()
        ],
        "messages_list": ticket.messages.all(),
        "attachments": ticket.attachments.all(),
        "duplicates": ticket.duplicates.all(),
        "show": {action: action in available for action in ACTIONS},
        "assign_form": _assign_form(user, ticket) if "assign" in available else None,
        "handler_choices": selectors.handler_choices(ticket)[:300] if "assign" in available else [],
        "problem_form": ToProblemForm() if "to_problem" in available else None,
        "merge_candidates": selectors.merge_candidates(user, ticket)[:20]
        if "merge" in available
        else [],
        "revealed": None,
        "routing": _routing_panel(user, ticket, available)
        if intake and ticket.status in workflow.OPEN
        else None,
        "assign_unit_id": _prefill_unit(request, ticket),
        # A 举报 reaches the unit it reports on only with a stated reason: the form asks.
        "reported_unit": ticket.unit if ticket.kind == Ticket.Kind.REPORT else None,
        "suspects": _suspects(user, ticket, available),
    }


@signed_in
def ticket_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = selectors.get_ticket_for_user(user, pk)
    return render(request, "intake/detail.html", _detail_context(request, user, ticket))


@require_POST
@signed_in
def ticket_reveal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The identity for this one look: shown on this response only, never kept in the session
    or a redirect, so every look is one IdentityReveal row."""
    user = request.user
    ticket = selectors.get_ticket_for_user(user, pk)
    if not can(user, "reveal", ticket):
        raise Http404
    form = RevealForm(request.POST)
    try:
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        name, phone = handling.check_reveal_identity(ticket, actor=user, reason=reason)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("intake:detail", pk=ticket.pk)
    context = _detail_context(request, user, ticket)
    context["revealed"] = {"name": name, "phone": phone}
    context["content"] = ticket.content
    response = render(request, "intake/detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _after_move(user: User, ticket: Ticket) -> str:
    """The ticket's page, or the queue when the move took the ticket out of the user's sight
    (a unit's return: no longer the unit's to see)."""
    if not can(user, "view", ticket):
        return reverse("intake:queue")
    return reverse("intake:detail", args=[ticket.pk])


MOVES = TransitionViews(
    name="ticket",
    lookup=selectors.get_ticket_for_user,
    policy=can,
    redirect=_after_move,
)


def _text(request: AuthenticatedHttpRequest) -> str:
    form = TextForm(request.POST)
    return form.cleaned_data["text"] if form.is_valid() else ""


def _accept(request: AuthenticatedHttpRequest, ticket: Ticket, user: User) -> str:
    handling.do_accept(ticket, actor=user)
    return _("已受理，办结期限 %(d)s") % {"d": ticket.reply_due}


def _decline(request: AuthenticatedHttpRequest, ticket: Ticket, user: User) -> str:
    handling.check_decline(ticket, actor=user, reason=_text(request))
    return _("已不予受理")


def _assign(request: AuthenticatedHttpRequest, ticket: Ticket, user: User) -> str:
    form = _assign_form(user, ticket, request.POST)
    if not form.is_valid():
        raise ValidationError([str(e) for errors in form.errors.values() for e in errors])
    unit: Unit = form.cleaned_data["unit"]
    handling.check_assign(
        ticket,
        actor=user,
        unit=unit,
        handler=form.cleaned_data["handler"],
        note=form.cleaned_data["note"],
        reason=form.cleaned_data["reason"],
    )
    return _("已转办至 %(u)s") % {"u": unit.name}


def _start(request: AuthenticatedHttpRequest, ticket: Ticket, user: User) -> str:
    handling.do_start(ticket, actor=user)
    return _("已开始办理")


def _return(request: AuthenticatedHttpRequest, ticket: Ticket, user: User) -> str:
    handling.check_return(ticket, actor=user, reason=_text(request))
    return _("已退回受理部门")


def _reply(request: AuthenticatedHttpRequest, ticket: Ticket, user: User) -> str:
    handling.check_reply(ticket, actor=user, body=_text(request))
    return _("已办结答复，反映人可在查询页看到答复")


def _close(request: AuthenticatedHttpRequest, ticket: Ticket, user: User) -> str:
    handling.check_close(ticket, actor=user, note=_text(request))
    return _("已回访并关闭")


def _merge(request: AuthenticatedHttpRequest, ticket: Ticket, user: User) -> str:
    form = MergeForm(request.POST)
    number = form.cleaned_data["master"].strip() if form.is_valid() else ""
    master = selectors.ticket_by_number(user, number)
    if master is None:
        raise ValidationError(_("找不到编号为 %(n)s 的工单") % {"n": number or "—"})
    handling.check_merge(ticket, actor=user, master=master)
    return _("已合并到工单 %(n)s") % {"n": master.number}


def _note(request: AuthenticatedHttpRequest, ticket: Ticket, user: User) -> str:
    handling.check_add_note(ticket, actor=user, body=_text(request))
    return _("已添加内部备注")


def _to_problem(request: AuthenticatedHttpRequest, ticket: Ticket, user: User) -> str:
    form = ToProblemForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("请选择问题类别和清单"))
    problem = handling.check_create_problem_from_ticket(
        ticket,
        actor=user,
        category=form.cleaned_data["category"],
        list_kind=form.cleaned_data["list_kind"],
    )
    return _("已转为台账问题 %(n)s（草稿）") % {"n": problem.number}


ticket_accept = MOVES.view("accept", _accept)
ticket_decline = MOVES.view("decline", _decline)
ticket_assign = MOVES.view("assign", _assign)
ticket_start = MOVES.view("start", _start)
ticket_return = MOVES.view("return", _return)
ticket_reply = MOVES.view("reply", _reply)
ticket_close = MOVES.view("close", _close)
ticket_merge = MOVES.view("merge", _merge)
ticket_note = MOVES.view("note", _note)
ticket_to_problem = MOVES.view("to_problem", _to_problem)


@signed_in
def attachment_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """Files are served only through the ticket's scope: outside it, a 404."""
    return download(selectors.get_attachment_for_user(request.user, pk))


# The roles that enter calls (the "hotline" policy); their scope is where they may file one.
ENTRY_ROLES = (Role.HOTLINE_OPERATOR.value, Role.BUREAU_ADMIN.value)


def _entry_units(user: User) -> QuerySet[Unit]:
    return org_selectors.units_visible_to(user, roles=ENTRY_ROLES).filter(is_active=True)


@guarded(can, "hotline")
def hotline(request: AuthenticatedHttpRequest) -> HttpResponse:
    """热线录入. On success the receipt code is shown on this response only (never stored in
    clear, never in a redirect), for the operator to read to the caller."""
    user = request.user
    form = HotlineForm(request.POST or None, units=_entry_units(user))
    if request.method == "POST" and form.is_valid():
        try:
            ticket, code = handling.check_enter_call(actor=user, **form.action_kwargs())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            response = render(
                request, "intake/hotline_done.html", {"ticket": ticket, "code": grouped(code)}
            )
            response["Cache-Control"] = "no-store"
            return response
    if form.is_bound and form.errors:
        form.add_rule_errors()
    unit = form.cleaned_data.get("unit") if form.is_bound else None
    context = {"form": form, "unit": unit, "unit_list": [unit] if unit else []}
    return render(request, "intake/hotline.html", context)


@guarded(can, "hotline")
def hotline_units(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The public form's unit search (same markup), over the operator's units only."""
    q = request.GET.get("unit_q", "")
    units = search_units(q, within=_entry_units(request.user))
    return render(request, "intake/public/partials/unit_options.html", {"units": units, "q": q})


def _add_errors(form: HotlineForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
