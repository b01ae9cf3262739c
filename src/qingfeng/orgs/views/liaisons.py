"""领导包片: the bureau admin assigns each leader one or two counties."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.orgs import actions, selectors
from qingfeng.orgs.permissions import can


@guarded(can, "manage_liaisons")
def liaison_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    leaders = selectors.leaders_visible_to(user)
    counties = list(selectors.counties_visible_to(user))
    assigned = selectors.liaison_map(leaders)
    rows = [{"leader": leader, "counties": assigned.get(leader.pk, [])} for leader in leaders]
    return render(request, "orgs/liaisons.html", {"rows": rows, "counties": counties})


@require_POST
@guarded(can, "manage_liaisons")
def liaison_set(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    actor = request.user
    leader = selectors.leaders_visible_to(actor).filter(pk=user_id).first()
    if leader is None:
        raise Http404
    wanted = {int(v) for v in request.POST.getlist("county") if v.isdigit()}
    counties = list(selectors.counties_visible_to(actor).filter(pk__in=wanted))
    if len(counties) != len(wanted):
        raise Http404
    try:
        actions.check_set_liaisons(leader, actor=actor, counties=counties)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已更新 %(name)s 的包片县区") % {"name": leader})
    return redirect("orgs:liaisons")
