"""The list of the records behind a dashboard number (core/registry.py `Figure.listed`), for
the apps whose figures have no list of their own to narrow (learning, oversight, evaluation,
campaigns; the ledger and the intake queue narrow their own lists).

A source's page reads `?figure=<key>&period_from=<first day>&period_to=<last day>&unit=<id>`
(what reports/dashboard.py `figure_url` writes), and its app says, per figure, which records
the figure counts (`Listing`): the same condition its `compute` counts with, over the units
in view — the user's scope in the app, narrowed to `unit`'s subtree — so the page's count is
the dashboard's number. The page: a banner with the figure, the period and the count, and the
records a page at a time, each column with its label (the phone's card layout) and, where the
record has a page, a link to it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, Model, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import FigureSource

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from qingfeng.core.http import AuthenticatedHttpRequest

PAGE_SIZE = 50
LONGEST = 3 * 366  # days: a dashboard period is a month, a quarter or a year


@dataclass(frozen=True)
class Column:
    """One column of a figure's records: its label, the cell's text, and the record's page."""

    label: StrOrPromise
    text: Callable[[Any], Any]
    link: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class Listing:
    """Exactly the records a figure counts (a query, or rows made from records when the figure
    counts something the records imply, such as weekly reports due), in the order shown."""

    records: QuerySet[Any] | Sequence[Any]
    columns: tuple[Column, ...]


# A source's listing: (figure key, the ids of the units in view, first day, last day).
Lister = Callable[[str, QuerySet[Any], date, date], Listing]

# Per figure: the model counted, the path from it to the unit the figure counts by, and the
# condition a record meets to be counted. One definition for the counts (`count`) and for the
# list of the records behind a count (`narrow`), so the two are equal by construction.
Conditions = Mapping[str, tuple[type[Model], str, Q]]


def count(conditions: Conditions, unit_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per unit, the figures of `conditions`: one grouped query per model counted. Each
    figure counts the unit column it groups by (never null in these rows), not the id: an
    index that leads with the unit and holds the conditions' columns then answers alone
    (PostgreSQL: an index-only scan; the ledger's and the evaluation's figures indexes)."""
    result: dict[int, dict[str, int]] = defaultdict(dict)
    by_model: dict[tuple[type[Model], str], dict[str, Q]] = defaultdict(dict)
    for key, (model, unit, condition) in conditions.items():
        by_model[(model, unit)][key] = condition
    for (model, unit), found in by_model.items():
        counts = {key: Count(unit, filter=c) for key, c in found.items()}
        rows = (
            model._default_manager.filter(reduce(or_, found.values()), **{f"{unit}__in": unit_ids})
            .values(unit)
            .annotate(**counts)
            .order_by()
        )
        for row in rows:
            result[row.pop(unit)].update(row)
    return result


def narrow(conditions: Conditions, key: str, unit_ids: Any) -> QuerySet[Any]:
    """The records counted in figure `key` in the units of `unit_ids` (ids or a subquery)."""
    model, unit, condition = conditions[key]
    return model._default_manager.filter(condition, **{f"{unit}__in": unit_ids})


# A source's counts (`FigureSource.compute`) and the records behind one of them.
Compute = Callable[[Sequence[int], date, date], dict[int, dict[str, int]]]
Records = Callable[[str, Any, date, date], QuerySet[Any]]


def counted(conditions: Callable[[date, date], Conditions]) -> tuple[Compute, Records]:
    """A source's `compute(unit_ids, start, end)` and `records(key, unit_ids, start, end)`
    from its conditions for a period (`conditions(start, end)`): the counts per unit and the
    records counted in one figure (ids or a subquery of units), from one definition."""

    def compute(unit_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, int]]:
        return count(conditions(start, end), unit_ids)

    def records(key: str, unit_ids: Any, start: date, end: date) -> QuerySet[Any]:
        """The records counted in figure `key` for the days `start` … `end` in the units
        of `unit_ids` (the list behind a dashboard number)."""
        return narrow(conditions(start, end), key, unit_ids)

    return compute, records


class FigureForm(forms.Form):
    figure = forms.ChoiceField(label=_("统计数字"))
    period_from = forms.DateField(label=_("统计期间起"))
    period_to = forms.DateField(label=_("统计期间止"))
    unit = forms.IntegerField(required=False, min_value=1)

    def __init__(self, data: Any, *, source: FigureSource) -> None:
        super().__init__(data)
        field = self.fields["figure"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(f.key, f.label) for f in source.figures if f.listed]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("period_from"), data.get("period_to")
        if first and last and first > last:
            self.add_error("period_to", _("统计期间止不能早于统计期间起"))
        elif first and last and (last - first).days > LONGEST:
            self.add_error("period_to", _("统计期间最长三年"))
        return data


def figure_records(
    request: AuthenticatedHttpRequest,
    source: FigureSource,
    units: QuerySet[Any],
    lister: Lister,
    *,
    title: StrOrPromise,
) -> HttpResponse:
    """The records behind one of `source`'s numbers, over the units of `units` (the user's
    scope in the app) under `?unit=` (404 outside it, as for a missing unit); with `own=1`
    beside it, that unit's own records only (the dashboard's own row of a unit with units
    below). Without a figure (the address opened bare, or a number of the source no list
    shows) the page offers the listed figures of this month with their counts; bad
    parameters get the form's Chinese errors and a 400."""
    unit = None
    unit_id = request.GET.get("unit", "")
    if unit_id:
        if not unit_id.isdigit():
            raise Http404
        unit = units.filter(pk=int(unit_id)).first()
        if unit is None:
            raise Http404
    own = unit is not None and request.GET.get("own") == "1"
    if unit is None:
        in_view = units
    else:
        in_view = units.filter(pk=unit.pk) if own else units.filter(path__startswith=unit.path)
    context: dict[str, Any] = {"source": source, "title": title, "unit": unit, "own": own}
    if "figure" not in request.GET:
        last = timezone.localdate()
        first = last.replace(day=1)
        ids = in_view.values("pk")
        context.update(
            period={"first": first, "last": last},
            choices=[
                {
                    "label": f.label,
                    "total": Paginator(lister(f.key, ids, first, last).records, PAGE_SIZE).count,
                    "link": _month_link(f.key, first, last, unit, own),
                }
                for f in source.figures
                if f.listed
            ],
        )
        return render(request, "core/figure_records.html", context)
    form = context["form"] = FigureForm(request.GET, source=source)
    if not form.is_valid():
        return render(request, "core/figure_records.html", context, status=400)
    key, first, last = (form.cleaned_data[k] for k in ("figure", "period_from", "period_to"))
    listing = lister(key, in_view.values("pk"), first, last)
    page = Paginator(listing.records, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    label = next(f.label for f in source.figures if f.key == key)
    context.update(
        # As the ledger's and the queue's banners: which number, its period, how many records.
        figure={
            "key": key,
            "label": label,
            "first": first,
            "last": last,
            "total": page.paginator.count,
        },
        page=page,
        query=query.urlencode(),
        headers=[c.label for c in listing.columns],
        rows=[
            [(c.label, c.text(record), c.link(record) if c.link else "") for c in listing.columns]
            for record in page
        ],
    )
    return render(request, "core/figure_records.html", context)


def _month_link(key: str, first: date, last: date, unit: Any, own: bool) -> str:
    query = f"?figure={key}&period_from={first}&period_to={last}"
    if unit is not None:
        query += f"&unit={unit.pk}" + ("&own=1" if own else "")
    return query
