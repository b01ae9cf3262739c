"""The filtered list page that pages after a cursor: the ledger, the ticket queue, and every
later list of things with a deadline light.

    LEDGER = KeysetList(
        form=LedgerFilterForm,                 # read from the query string
        parse=_ledger_filter,                  # its cleaned data → the app's filter
        select=selectors.filter_problems,      # the scoped selector
        page=selectors.page_after,             # rows after a cursor, in the cursor's order
        cursor=UrgencyCursor,
        lights=selectors.counts_by_light,
        template="ledger/list.html",
        fragment="ledger/partials/problem_rows.html",
    )

    listing = LEDGER.read(request, user)
    return listing.render(request, unit=listing.filter.unit, can_register=can(user, "register"))

The full page includes the fragment (the rows and the "加载更多" row); an htmx request for the
next page gets the fragment alone. The page's chips and its "more" row are the partials
core/partials/light_counts.html and core/partials/more_row.html.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from django import forms
from django.db import connection
from django.db.models import BooleanField, Count, Field, Func, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

if TYPE_CHECKING:
    from qingfeng.orgs.models import User

M = TypeVar("M", bound=Model)
F = TypeVar("F")
C = TypeVar("C", bound="Cursor")

Key = int | date
# A cursor comes back from the address bar: a number outside a 64-bit column is a tampered
# one (SQLite would refuse to bind it), and the list starts again from the top.
_INT_LIMIT = 2**63

LIGHTS = ("red", "yellow", "green")


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's values of the order's keys, written `2.2026-03-31.17`.

    A subclass names the order: its keys (whole numbers or dates, as in the URL), the last
    unique (the id), so that rows equal in the others still have one place each."""

    values: tuple[Key, ...]
    keys: ClassVar[tuple[tuple[str, type[int] | type[date]], ...]] = ()

    def encode(self) -> str:
        return ".".join(v.isoformat() if isinstance(v, date) else str(v) for v in self.values)

    @classmethod
    def decode(cls, text: str) -> Self | None:
        """The cursor written in `text`, or None when it is not one of this order's."""
        parts = text.split(".")
        if len(parts) != len(cls.keys):
            return None
        values: list[Key] = []
        for part, (_name, kind) in zip(parts, cls.keys, strict=True):
            try:
                value: Key = date.fromisoformat(part) if kind is date else int(part)
            except ValueError:
                return None
            if isinstance(value, int) and not -_INT_LIMIT <= value < _INT_LIMIT:
                return None
            values.append(value)
        return cls(tuple(values))

    @classmethod
    def of(cls, row: Model) -> Self:
        return cls(tuple(getattr(row, name) for name, _kind in cls.keys))

    @classmethod
    def order(cls) -> tuple[str, ...]:
        return tuple(name for name, _kind in cls.keys)

    def after(self, model: type[Model]) -> RawSQL:
        """The rows after this cursor as one row-value comparison, `(a, b, id) > (…)`, which
        both databases turn into the start of an index range: page 1,000 then costs what page
        1 costs. Spelled out as ORs (Django's fallback on SQLite) it made them scan every row
        before the cursor."""
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        fields = [_column(model, name) for name in self.order()]
        columns = ", ".join(f"{table}.{quote(f.column)}" for f in fields)
        params = tuple(
            f.get_db_prep_value(value, connection, prepared=False)
            for f, value in zip(fields, self.values, strict=True)
        )
        marks = ", ".join("%s" for _value in params)
        return RawSQL(  # noqa: S611 - the names are the model's, quoted; values are parameters
            f"({columns}) > ({marks})", params, output_field=BooleanField()
        )


def _column(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{name} is not a column of {model.__name__}")
    return field


class UrgencyCursor(Cursor):
    """The urgency order of anything with a deadline light: red, yellow, green, none (the
    light as a number), then the nearest due, then the id."""

    keys = (("urgency", int), ("due_key", date), ("id", int))


def page_after(
    rows: QuerySet[M], cursor: C | None, size: int, *, order: type[C]
) -> tuple[list[M], C | None]:
    """Keyset pagination: the next `size` rows after the cursor in the order's key order, and
    the cursor after them (None on the last page)."""
    if cursor is not None:
        rows = rows.filter(cursor.after(rows.model))
    found = list(rows.order_by(*order.order())[: size + 1])
    if len(found) <= size:
        return found, None
    found = found[:size]
    return found, order.of(found[-1])


def count_lights(
    rows: QuerySet[Any],
    *,
    column: str = "light",
    codes: Mapping[str, Any] | None = None,
    amount: Any = None,
) -> dict[str, int]:
    """How many of the rows are red, yellow and green, in one grouped query on `column`: the
    light, or a number standing for it (`codes`, light → value), so that the count reads an
    index that has that column. Rows of no light are not counted. `amount` sums a column of
    kept counts instead (`Sum("n")` over tally rows, core/tally.py)."""
    names = {code: light for light, code in (codes or {x: x for x in LIGHTS}).items()}
    result = dict.fromkeys(LIGHTS, 0)
    for row in rows.values(column).annotate(n=amount or Count("id")).order_by():
        light = names.get(row[column])
        if light in result:
            result[light] += row["n"]
    return result


class Unindexed(Func):
    """A column as it is, except on SQLite, where a unary + stops the planner from answering
    the condition through that column's own index (sqlite.org/optoverview.html, "disqualifying
    WHERE clause terms using unary +"). A list's filters are then checked inside its order's
    index while it is walked; SQLite, left to itself, would fetch every row of a status or a
    deadline window through another index and sort them."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


@dataclass(frozen=True)
class Listing(Generic[M, F]):
    """One read of a list: the page's rows and what its templates need."""

    form: forms.Form
    filter: F
    rows: list[M]
    next_cursor: Cursor | None
    query: str  # the filters as a query string, without the cursor
    lights: dict[str, int] | None  # on the first page only
    template: str  # the full page, or the rows alone for htmx's "more"

    @property
    def context(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "rows": self.rows,
            "next_cursor": self.next_cursor.encode() if self.next_cursor else "",
            "query": self.query,
            "lights": self.lights,
        }

    def render(self, request: HttpRequest, **extra: Any) -> HttpResponse:
        """The page (or the fragment) with the view's own context added."""
        return render(request, self.template, {**self.context, **extra})


@dataclass(frozen=True)
class KeysetList(Generic[M, F, C]):
    """A list page: its filter form, scoped selector, order and light counts (see above)."""

    form: type[forms.Form]
    parse: Callable[[User, dict[str, Any]], F]
    select: Callable[[User, F], QuerySet[M]]
    page: Callable[[QuerySet[M], C | None, int], tuple[list[M], C | None]]
    cursor: type[C]
    template: str
    fragment: str
    lights: Callable[[QuerySet[M]], dict[str, int]] | None = None
    # The light counts from kept counts (core/tally.py) when the filter allows, else None and
    # `lights` counts the rows: O(units in view) instead of O(rows in view).
    kept_lights: Callable[[User, F], dict[str, int] | None] | None = None
    # The form field of a free-text search over which the lights are not counted: a substring
    # is in no index, so counting what it matches would read every row in the scope.
    search_field: str = ""
    page_size: int = 30

    def filter(self, request: HttpRequest, user: User) -> tuple[forms.Form, F]:
        """The filter as the query string sets it; what does not parse filters nothing (the
        form shows why)."""
        return self.filter_data(request.GET, user)

    def filter_data(self, query: QueryDict, user: User) -> tuple[forms.Form, F]:
        """The same from a stored query string (long work run later as a job)."""
        form = self.form(query or None)
        data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
        return form, self.parse(user, data)

    def read(self, request: HttpRequest, user: User) -> Listing[M, F]:
        """The page after `?after=` (the first page for none, or for one that is not a cursor
        of this order), the light counts on the first page, and the template: the fragment
        for htmx's "more", else the full page."""
        form, flt = self.filter(request, user)
        selected = self.select(user, flt)
        cursor = self.cursor.decode(request.GET.get("after", ""))
        rows, next_cursor = self.page(selected, cursor, self.page_size)
        query = request.GET.copy()
        query.pop("after", None)
        lights = None
        if self.lights is not None and cursor is None and not self._searched(form):
            kept = self.kept_lights(user, flt) if self.kept_lights is not None else None
            lights = kept if kept is not None else self.lights(selected)
        more = bool(getattr(request, "htmx", False)) and cursor is not None
        return Listing(
            form=form,
            filter=flt,
            rows=rows,
            next_cursor=next_cursor,
            query=query.urlencode(),
            lights=lights,
            template=self.fragment if more else self.template,
        )

    def _searched(self, form: forms.Form) -> bool:
        return bool(self.search_field and form.is_valid() and form.cleaned_data[self.search_field])
