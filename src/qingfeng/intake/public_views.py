"""The public side of the supervision channel (/report/): no login, phone first.

The receipt code never appears in a URL: the receipt is the answer to the POST itself, and
the follow-up page carries a short-lived signed token (of the code's hash) in its forms
instead of the code. Nothing here stores or logs the client's address or user agent; rate
limits count under salted hashes in the cache (`intake.publicform`).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Max, Min
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from qingfeng.core.attachments import body_too_large
from qingfeng.core.policy import public
from qingfeng.core.publicform.views import add_errors
from qingfeng.intake import actions, receipts, selectors
from qingfeng.intake.forms import CodeForm, MessageForm, RatingForm, SubmitForm, search_units
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.intake.publicform import (
    HUMAN_CHECK,
    lookup_limit,
    submit_limit,
    work_level,
)
from qingfeng.orgs import selectors as org_selectors
from qingfeng.orgs.models import Unit

TRACK_TOKEN_SALT = "qingfeng.intake.track"  # noqa: S105 - a signing namespace, not a secret
TRACK_TOKEN_AGE = 3600  # seconds a follow-up page's forms stay usable


def refuse_oversize(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """413 before anything reads the body. The CSRF check reads the body too, so it runs
    inside this wrapper (csrf_exempt outside, csrf_protect inside)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit = settings.QF_INTAKE_MAX_REQUEST_BYTES
        if request.method == "POST" and body_too_large(request, max_bytes=limit):
            return _notice(
                request,
                _("提交的内容太大"),
                _("附件总大小超过限制：最多 5 个文件，每个不超过 10 MB。"),
                status=413,
            )
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def _notice(request: HttpRequest, title: str, text: str, *, status: int) -> HttpResponse:
    return render(
        request, "intake/public/notice.html", {"title": title, "text": text}, status=status
    )


@public
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    categories = list(TicketCategory.objects.filter(is_active=True))
    limits = TicketCategory.objects.filter(is_active=True).aggregate(
        accept_min=Min("accept_days"),
        accept_max=Max("accept_days"),
        reply_min=Min("reply_days"),
        reply_max=Max("reply_days"),
    )
    return render(
        request,
        "intake/public/index.html",
        {"categories": categories, "kinds": Ticket.Kind.choices, "limits": limits},
    )


def _new_context(
    request: HttpRequest, form: SubmitForm, *, unit: Unit | None = None
) -> dict[str, Any]:
    return {
        "form": form,
        **HUMAN_CHECK.context(level=work_level(request)),
        "unit": unit,
        "unit_list": [unit] if unit is not None else [],
        "idempotency_key": form.data.get("idempotency_key") or uuid.uuid4().hex,
    }


@public
@never_cache
@refuse_oversize
@csrf_protect
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        unit = _preset_unit(request.GET.get("unit", ""))
        form = SubmitForm(initial={"unit": unit.pk if unit else None, "identity": "anonymous"})
        return render(request, "intake/public/new.html", _new_context(request, form, unit=unit))
    if submit_limit().over_after_hit(request):
        return _notice(
            request, _("提交过于频繁"), _("同一网络提交次数过多，请一小时后再试。"), status=429
        )
    form = SubmitForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            ticket, code = actions.check_submit_ticket(
                **form.action_kwargs(), human_check=lambda: HUMAN_CHECK.require(form.cleaned_data)
            )
        except actions.IdempotencyConflict:
            # Another report under a used key (the back button after a receipt, then an
            # edit; or a key copied from someone else's page): refused as the API refuses
            # it, never with the number of the ticket the key made. A fresh key comes with
            # the form, so sending it again files the new report.
            form.add_error(None, _("这份表单已提交过。如要反映新的问题，请核对内容后再次提交。"))
            unit = form.cleaned_data.get("unit")
            context = {
                **_new_context(request, form, unit=unit),
                "idempotency_key": uuid.uuid4().hex,
            }
            return render(request, "intake/public/new.html", context, status=409)
        except ValidationError as exc:
            _add_errors(form, exc)
            if not {"captcha_answer", "work_solution"} & set(form.errors):
                _add_human_check_error(form)  # a wrong sum too, to fix all in one round
        else:
            return _receipt(request, ticket, code)  # a retried POST: no code ("already filed")
    else:
        _add_rule_errors(form)
    unit = form.cleaned_data.get("unit")
    return render(request, "intake/public/new.html", _new_context(request, form, unit=unit))


def _add_human_check_error(form: SubmitForm) -> None:
    try:
        HUMAN_CHECK.require(form.cleaned_data)
    except ValidationError as exc:
        _add_errors(form, exc)


def _add_rule_errors(form: SubmitForm) -> None:
    """A form that could not parse everything still reports the rules' errors for the rest,
    so the reporter fixes everything in one round."""
    found = actions.submission_errors(
        **{k: v for k, v in form.action_kwargs(partial=True).items() if v is not None}
    )
    for name, messages in found.items():
        field = _field_name(form, name)
        if field is not None and field not in form.errors:
            form.add_error(field, messages)


def _preset_unit(value: str) -> Unit | None:
    if not value.isdigit():
        return None
    return org_selectors.active_unit(int(value))


def _field_name(form: Form, name: str) -> str | None:
    name = "attachments" if name == "files" else name  # the actions' name for the uploads
    return name if name in form.fields else None


def _add_errors(form: Form, exc: ValidationError) -> None:
    add_errors(form, exc, field_name=lambda name: _field_name(form, name))


def _receipt(request: HttpRequest, ticket: Ticket, code: str) -> HttpResponse:
    """The only time the code is shown: the answer to the POST, never cached."""
    return render(
        request,
        "intake/public/receipt.html",
        {"ticket": ticket, "code_groups": receipts.grouped(code).split() if code else []},
    )


@public
@require_GET
def unit_search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("unit_q", request.GET.get("q", ""))
    return render(
        request, "intake/public/partials/unit_options.html", {"units": search_units(q), "q": q}
    )


# --- Follow-up -----------------------------------------------------------------------------


def _token_for(ticket: Ticket) -> str:
    return signing.dumps({"r": ticket.receipt_hash}, salt=TRACK_TOKEN_SALT)


def _ticket_for_token(token: str) -> Ticket | None:
    try:
        data = signing.loads(token, salt=TRACK_TOKEN_SALT, max_age=TRACK_TOKEN_AGE)
    except signing.BadSignature:
        return None
    return receipts.find_by_hash(str(data.get("r", "")))


@public
@never_cache
@refuse_oversize
@csrf_protect
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "intake/public/track.html", {"form": CodeForm()})
    op = request.POST.get("op", "lookup")
    if op == "lookup":
        return _lookup(request)
    ticket = _ticket_for_token(request.POST.get("token", ""))
    if ticket is None:
        return _code_page(request, _("页面已过期，请重新输入回执码查询"))
    if op == "message":
        return _post_message(request, ticket)
    if op == "rate":
        return _post_rating(request, ticket)
    return _detail(request, ticket)


def _lookup(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    limit = lookup_limit()
    if limit.is_limited(request):
        message = _("查询失败次数过多，请 %(n)d 分钟后再试") % {
            "n": settings.QF_INTAKE_LOOKUP_WINDOW_MINUTES
        }
        return _code_page(request, message, status=429)
    if not form.is_valid():
        return render(request, "intake/public/track.html", {"form": form})
    ticket = receipts.find_by_code(form.cleaned_data["code"])
    if ticket is None:
        limit.hit(request)
        # One answer for a wrong code and a missing ticket.
        return _code_page(request, _("回执码不正确，或没有对应的反映"))
    return _detail(request, ticket)


def _code_page(request: HttpRequest, error: str, *, status: int = 200) -> HttpResponse:
    """The code form again, empty (the code typed is not echoed back), with one message."""
    context = {"form": CodeForm(), "error": error}
    return render(request, "intake/public/track.html", context, status=status)


def _post_message(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.check_add_reporter_message(
                ticket, body=form.cleaned_data["body"], files=form.cleaned_data["attachments"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _detail(request, ticket, notice=_("留言已提交"))
    return _detail(request, ticket, message_form=form)


def _post_rating(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            actions.check_rate(
                ticket, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _detail(request, ticket, notice=_("感谢您的评价"))
    return _detail(request, ticket, rating_form=form)


def _detail(
    request: HttpRequest,
    ticket: Ticket,
    *,
    notice: str = "",
    message_form: MessageForm | None = None,
    rating_form: RatingForm | None = None,
) -> HttpResponse:
    seen = selectors.public_timeline(ticket)
    ticket = seen.ticket
    context = {
        "ticket": ticket,
        "unit_name": ticket.unit.name if ticket.unit is not None else "",
        "timeline": seen.events,
        # Not "messages": that name is the page's flash messages in base.html.
        "thread": seen.messages,
        "first_files": seen.files,
        "token": _token_for(ticket),
        "notice": notice,
        "can_message": ticket.status not in actions.NO_MORE_MESSAGES,
        "can_rate": ticket.status == Ticket.Status.REPLIED,
        "rating_label": actions.RATING_LABELS.get(ticket.rating or 0, ""),
        "message_form": message_form or MessageForm(),
        "rating_form": rating_form or RatingForm(),
    }
    return render(request, "intake/public/track_detail.html", context)
