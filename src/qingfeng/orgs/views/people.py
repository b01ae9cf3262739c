"""The people list: filters, keyset-free paging over a scoped query, phones always masked."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.orgs import selectors
from qingfeng.orgs.forms import PeopleFilterForm
from qingfeng.orgs.permissions import can

PAGE_SIZE = 50


@guarded(can, "view_people")
def people_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = PeopleFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {"active": "1"}
    unit = selectors.get_unit_for_user(user, data["unit"]) if data.get("unit") else None
    people = selectors.filter_people(
        user,
        unit=unit,
        text=data.get("q") or "",
        post_type=data.get("post_type") or "",
        party=data.get("party") or "",
        # Page links carry only the filters that were set: no "active" means the default.
        active=(data.get("active") or "") if "active" in request.GET else "1",
    ).order_by("unit__path", "id")
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "unit": unit, "query": query.urlencode()}
    template = "orgs/partials/people_table.html" if request.htmx else "orgs/people_list.html"
    return render(request, template, context)


@guarded(can, "view_people")
def person_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = selectors.get_person_for_user(user, pk)
    return render(request, "orgs/person_detail.html", {"person": person})
