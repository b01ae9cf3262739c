"""Supervision groups, responsible supervisors, and the liaison leader's page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.orgs.models import Unit, User
from qingfeng.orgs.selectors import scope_root_units
from qingfeng.oversight import actions, selectors
from qingfeng.oversight.actions.groups import SUPERVISOR_ROLES
from qingfeng.oversight.forms import GroupForm, LiaisonForm, PostingForm
from qingfeng.oversight.permissions import can
from qingfeng.oversight.views.common import form_errors, refused


def supervisors_under(owner: Unit) -> QuerySet[User]:
    """The roster's people with the supervisor or inspector role, in or above the owner."""
    return (
        User.objects.filter(
            roles__role__in=SUPERVISOR_ROLES,
            roles__revoked_at__isnull=True,
            roles__unit__path__startswith=owner.path[: owner.path.find("/") + 1],
            is_active=True,
        )
        .distinct()
        .select_related("person")
        .order_by("pk")
    )


@guarded(can, "view_groups")
@require_GET
def groups(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "oversight/groups.html",
        {
            "groups": selectors.groups_visible_to(request.user).prefetch_related("regions"),
            "can_create": can(request.user, "manage"),
        },
    )


@guarded(can, "manage")
@require_http_methods(["GET", "POST"])
def group_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    roots = scope_root_units(request.user)
    if not roots:
        raise Http404
    owner = roots[0]
    regions = Unit.objects.within(owner).filter(kind=Unit.Kind.COUNTY, is_active=True)
    form = GroupForm(request.POST or None, people=supervisors_under(owner), regions=regions)
    if request.method == "POST" and form.is_valid():
        try:
            group = actions.check_create_group(actor=request.user, owner=owner, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("oversight:group", args=[group.pk]))
    return render(request, "oversight/form.html", {"form": form, "title": _("新建督导组")})


@guarded(can, "view_groups")
@require_GET
def group(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_group_for_user(request.user, pk)
    manage = can(request.user, "manage", found)
    form = None
    if manage:
        form = PostingForm(
            people=found.members.all() | User.objects.filter(pk=found.leader_id),
            schools=Unit.objects.filter(
                kind__in=[Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN],
                is_active=True,
                parent__in=found.regions.all(),
            ),
        )
    return render(
        request,
        "oversight/group.html",
        {
            "group": found,
            "members": found.members.select_related("person").order_by("pk"),
            "postings": selectors.postings_of(found),
            "manage": manage,
            "form": form,
            "visits": selectors.visits_visible_to(request.user).filter(group=found)[:20],
        },
    )


@guarded(can, "manage")
@require_POST
def group_attach(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_group_for_user(request.user, pk)
    if not can(request.user, "manage", found):
        raise Http404
    form = PostingForm(
        request.POST,
        people=User.objects.filter(is_active=True),
        schools=Unit.objects.filter(is_active=True),
    )
    if form.is_valid():
        try:
            actions.check_attach_school(found, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            refused(request, exc)
        else:
            messages.success(request, _("已挂牌"))
    else:
        messages.error(request, _("请选择责任督学和学校"))
    return HttpResponseRedirect(reverse("oversight:group", args=[found.pk]))


@guarded(can, "manage")
@require_POST
def posting_end(request: AuthenticatedHttpRequest, pk: int, posting_id: int) -> HttpResponse:
    found = selectors.get_group_for_user(request.user, pk)
    if not can(request.user, "manage", found):
        raise Http404
    posting = get_object_or_404(selectors.postings_of(found), pk=posting_id)
    actions.do_end_posting(posting, actor=request.user)
    messages.success(request, _("已解除挂牌"))
    return HttpResponseRedirect(reverse("oversight:group", args=[found.pk]))


@guarded(can, "liaison")
@require_http_methods(["GET", "POST"])
def liaison(request: AuthenticatedHttpRequest) -> HttpResponse:
    counties = selectors.liaison_counties(request.user)
    query = Unit.objects.none()
    for county in counties:
        query = query | Unit.objects.within(county).filter(is_active=True)
    form = LiaisonForm(request.POST or None, units=query.order_by("path"))
    if request.method == "POST" and form.is_valid():
        try:
            actions.check_log_liaison(leader=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已记录"))
            return HttpResponseRedirect(reverse("oversight:liaison"))
    return render(
        request,
        "oversight/liaison.html",
        {
            "glance": selectors.county_glance(counties),
            "logs": selectors.liaison_logs(request.user)[:50],
            "form": form,
        },
    )
