"""The unit tree browser: lazy-loaded children (htmx) and search within the user's scope."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.core.scope import in_scope
from qingfeng.orgs import selectors
from qingfeng.orgs.forms import UnitSearchForm
from qingfeng.orgs.models import Unit
from qingfeng.orgs.permissions import can


@guarded(can, "view_units")
def unit_tree(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    roots = selectors.scope_roots(user).annotate(child_count=Count("children", distinct=True))
    return render(request, "orgs/unit_tree.html", {"roots": roots, "form": UnitSearchForm()})


@guarded(can, "view_units")
def unit_children(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    unit = selectors.get_unit_for_user(user, pk)
    children = selectors.children_of(user, unit)
    return render(request, "orgs/partials/unit_children.html", {"unit": unit, "children": children})


@guarded(can, "view_units")
def unit_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = UnitSearchForm(request.GET)
    results: list[Unit] = []
    if form.is_valid() and (form.cleaned_data["q"] or form.cleaned_data["kind"]):
        results = list(
            selectors.search_units(user, form.cleaned_data["q"], kind=form.cleaned_data["kind"])
        )
    template = "orgs/partials/unit_search_results.html" if request.htmx else "orgs/unit_tree.html"
    return render(request, template, {"results": results, "form": form, "searched": True})


@guarded(can, "view_units")
def unit_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    unit = selectors.get_unit_for_user(user, pk)
    people_count, subtree_people = selectors.unit_people_counts(user, unit)
    context = {
        "unit": unit,
        "ancestors": [a for a in selectors.ancestors_of(unit) if in_scope(user, a.path)],
        "children": selectors.children_of(user, unit)[:200],
        "people_count": people_count,
        "subtree_people": subtree_people,
        "liaison_leaders": selectors.liaisons_of(unit) if unit.kind == Unit.Kind.COUNTY else [],
        "can_view_people": can(user, "view_people", unit),
    }
    return render(request, "orgs/unit_detail.html", context)
