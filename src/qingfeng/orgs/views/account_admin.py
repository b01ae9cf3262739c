"""Account management for the system admin (三权分立: accounts and roles, no case content)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.orgs import actions, selectors
from qingfeng.orgs.forms import AccountCreateForm, AccountFilterForm, ReasonForm, RoleGrantForm
from qingfeng.orgs.models import User
from qingfeng.orgs.permissions import can

ONE_TIME_PASSWORD = "qf_one_time_password"  # noqa: S105 - a session key name


def _actor(request: AuthenticatedHttpRequest) -> User:
    return request.user


@guarded(can, "manage_accounts")
def account_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    accounts = selectors.filter_accounts(
        _actor(request),
        text=data.get("q") or "",
        role=data.get("role") or "",
        status=data.get("status") or "",
    )
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "orgs/accounts_admin/list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@guarded(can, "manage_accounts")
def person_picker(request: AuthenticatedHttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    people = selectors.people_without_account(_actor(request), text) if text.strip() else []
    return render(
        request, "orgs/accounts_admin/partials/person_picker.html", {"people": people, "q": text}
    )


@never_cache
@guarded(can, "manage_accounts")
def account_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = AccountCreateForm(request.POST or None, initial={"person": request.GET.get("person")})
    person = None
    person_id = request.POST.get("person") or request.GET.get("person")
    if person_id and str(person_id).isdigit():
        person = selectors.get_person_for_user(actor, int(person_id))
    if request.method == "POST" and form.is_valid():
        if person is None or person.user_id is not None:
            form.add_error(None, _("请选择一位尚未开通账号的人员"))
        else:
            password = actions.temporary_password()
            user = actions.check_create_account(
                person, actor=actor, username=form.cleaned_data["username"], password=password
            )
            request.session[ONE_TIME_PASSWORD] = password
            messages.success(request, _("账号已开通"))
            return redirect("orgs:account", pk=user.pk)
    return render(request, "orgs/accounts_admin/create.html", {"form": form, "person": person})


@never_cache
@guarded(can, "manage_accounts")
def account_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    account = selectors.get_account_for_user(actor, pk)
    context = {
        "account": account,
        "roles": selectors.roles_of(account),
        "grant_form": RoleGrantForm(),
        "reason_form": ReasonForm(),
        "one_time_password": request.session.pop(ONE_TIME_PASSWORD, ""),
        "locked": selectors.login_lock(account),
        "is_self": account.pk == actor.pk,
    }
    return render(request, "orgs/accounts_admin/detail.html", context)


def _account_for_change(request: AuthenticatedHttpRequest, pk: int) -> User:
    actor = _actor(request)
    account = selectors.get_account_for_user(actor, pk)
    if account.pk == actor.pk:
        # Separation of duties: nobody changes their own roles or credentials from here.
        raise Http404
    return account


@require_POST
@guarded(can, "manage_accounts")
def account_grant(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    account = _account_for_change(request, pk)
    form = RoleGrantForm(request.POST)
    if form.is_valid():
        unit = (
            selectors.units_visible_to(actor)
            .filter(code=form.cleaned_data["unit_code"].strip())
            .first()
        )
        if unit is None:
            messages.error(request, _("单位编码不存在或不在您的管辖范围内"))
        else:
            actions.do_grant_role(account, actor=actor, role=form.cleaned_data["role"], unit=unit)
            messages.success(request, _("已授予角色"))
    else:
        messages.error(request, _("请选择角色并填写单位编码"))
    return redirect("orgs:account", pk=account.pk)


@require_POST
@guarded(can, "manage_accounts")
def account_revoke(request: AuthenticatedHttpRequest, pk: int, role_pk: int) -> HttpResponse:
    account = _account_for_change(request, pk)
    assignment = selectors.roles_of(account).filter(pk=role_pk).first()
    if assignment is None:
        raise Http404
    actions.do_revoke_role(assignment, actor=_actor(request))
    messages.success(request, _("已撤销角色"))
    return redirect("orgs:account", pk=account.pk)


@require_POST
@guarded(can, "manage_accounts")
def account_security(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Reset password, reset the second factor, unlock, disable or enable."""
    actor = _actor(request)
    account = _account_for_change(request, pk)
    operation = request.POST.get("operation", "")
    try:
        if operation == "reset_password":
            request.session[ONE_TIME_PASSWORD] = actions.do_reset_password(account, actor=actor)
            messages.success(request, _("密码已重置，请把临时密码告知本人，首次登录须修改"))
        elif operation == "reset_totp":
            actions.do_reset_totp(account, actor=actor)
            messages.success(request, _("动态口令已重置，本人下次登录时重新绑定"))
        elif operation == "unlock":
            actions.do_unlock(account, actor=actor)
            messages.success(request, _("已解除锁定"))
        elif operation in {"disable", "enable"}:
            actions.do_set_account_active(
                account,
                actor=actor,
                active=operation == "enable",
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("账号已启用") if operation == "enable" else _("账号已停用"))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("orgs:account", pk=account.pk)
