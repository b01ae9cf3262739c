"""The dashboard (驾驶舱) of a scope: every registered figure of a month (core/registry.py
`figure_sources`: learning, the ledger, the channel, oversight, evaluation, the campaign —
the dashboard knows no app) for the scope's own unit and for each unit directly below it,
each row the sum over that unit's subtree; the live lights of the ledger from its kept
counts. A row of a unit with units below drills down to that unit's dashboard; a school's
row links each source's figures to the list of its records (the source's `records`: a URL
name, with a query string of its own, that takes `unit=<id>`).

Who sees it: people who read whole units (the office, the bureau and county administrators,
a unit's administrator, leaders, supervisors), over their scope only; a leader with two
counties (包片) sees them side by side. Computed when asked: one grouped query per source
for every unit in view, whatever the number of records (the sources read their indexes).

A month for which a bulletin covering the whole view has been issued is read from that
bulletin's snapshot (its numbers as of its making, the figures of its issuer and the units
below), so last month's dashboard equals the issued bulletin; later changes to the records
of that month do not move it. Other months, and the current one, are live."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from qingfeng.core import registry
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.scope import has_role, scope_paths
from qingfeng.ledger import selectors as ledger_selectors
from qingfeng.lib import stats
from qingfeng.orgs.models import Role, Unit, User
from qingfeng.reports import monthly
from qingfeng.reports.compose import DEFAULT_RULES
from qingfeng.reports.compose import rate as percent
from qingfeng.reports.models import Bulletin, WarningRules

R = Role


@dataclass(frozen=True)
class RuleField:
    key: str
    label: Any
    default: int
    maximum: int


# The warning rules: a unit below the scope is red when it has more red problems than
# `red_over`, weekly reports missing, or a satisfaction rate under `satisfaction_below` % from
# at least `min_rated` answers (the bulletin's criticism rules by default); yellow, short of
# red, when it has more red problems than `yellow_red_over`, problems overdue, weekly reports
# late, or a rate under `satisfaction_warn` %. At most `listed` units are listed. A unit's
# campaign office sets them for its view and the views below (`WarningRules`).
RULE_FIELDS = (
    RuleField(
        "red_over", gettext_lazy("红色：红灯问题多于（个）"), DEFAULT_RULES["red_over"], 10_000
    ),
    RuleField(
        "satisfaction_below",
        gettext_lazy("红色：满意率低于（%）"),
        DEFAULT_RULES["satisfaction_below"],
        100,
    ),
    RuleField("yellow_red_over", gettext_lazy("黄色：红灯问题多于（个）"), 0, 10_000),
    RuleField("satisfaction_warn", gettext_lazy("黄色：满意率低于（%）"), 90, 100),
    RuleField(
        "min_rated", gettext_lazy("满意率至少要有的评价数"), DEFAULT_RULES["min_rated"], 10_000
    ),
    RuleField("listed", gettext_lazy("最多列出的单位数"), DEFAULT_RULES["listed"], 200),
)
RULES = {f.key: f.default for f in RULE_FIELDS}
VIEWERS = (R.BUREAU_ADMIN, R.CAMPAIGN_OFFICE, R.LEADER, R.UNIT_ADMIN, R.SUPERVISOR)


def can_view(user: User) -> bool:
    return bool(user.is_authenticated) and has_role(user, *VIEWERS)


def home_card(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """The home page's link to the dashboard, for the people who may open it."""
    return {} if can_view(request.user) else None


def viewer_paths(user: User) -> list[str]:
    """The subtrees the user reads whole units of (their roles, read once per request)."""
    return scope_paths(user, roles=list(VIEWERS))


def _scope_units(user: User) -> QuerySet[Unit]:
    paths = viewer_paths(user)
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(path__startswith=path)
    return Unit.objects.filter(query, is_active=True)


@dataclass
class Row:
    unit: Unit
    own: bool  # the scope unit's own records, not its subtree
    drill: bool  # has units below: its name opens their dashboard
    figures: dict[str, int] = field(default_factory=dict)


@dataclass
class Board:
    scope: Unit | None
    trail: list[Unit]
    rows: list[Row]
    totals: dict[str, int]
    sources: list[registry.FigureSource]
    lights: dict[str, int] | None
    first: date
    last: date
    bulletin: Bulletin | None = None  # the issued bulletin whose snapshot the figures are
    warnings: list[Alert] = field(default_factory=list)
    rules: dict[str, int] = field(default_factory=lambda: dict(RULES))
    rules_unit: Unit | None = None  # whose rules apply (None: the defaults)
    paths: list[str] = field(default_factory=list)  # the subtrees in view
    tops: list[int] = field(default_factory=list)  # the units at the top of the view
    as_of: datetime | None = None  # when the current month's figures were counted
    warm: bool = False  # read from the summary the job keeps warm (monthly.warm)
    trend_by: str = "month"  # the trend month by month, or week by week ("week")


# Read with the rows' units: whether active units lie below one (its name drills down).
_HAS_BELOW = Exists(Unit.objects.filter(parent=OuterRef("pk"), is_active=True))


def checked_scope(user: User, scope_id: int | None) -> Unit | None:
    """The unit `scope_id` if it lies in the user's scope (None for none asked); 404 otherwise,
    as for a missing one. Asked on every request, a kept view's too (dashboard_views.py)."""
    if scope_id is None:
        return None
    scope = _scope_units(user).filter(pk=scope_id).first()
    if scope is None:
        raise Http404
    return scope


def board(
    user: User,
    scope_id: int | None,
    first: date,
    last: date,
    *,
    trend_by: str = "month",
    checked: Unit | None = None,
) -> Board:
    """The dashboard of `scope_id` (a unit of the user's scope; 404 otherwise, as for a
    missing one; `checked`: that unit, already found by `checked_scope`), or of the user's
    whole scope. Each row reads its unit's subtree totals (the scope's own row its own
    figures) from monthly.figures: a summary, not the records."""
    roots = list(Unit.objects.filter(path__in=viewer_paths(user)).annotate(has_below=_HAS_BELOW))
    roots.sort(key=lambda u: u.path)
    scope: Unit | None
    if scope_id is not None:
        scope = checked if checked is not None else checked_scope(user, scope_id)
    else:
        scope = roots[0] if len(roots) == 1 else None
    if scope is not None:
        below = list(
            Unit.objects.filter(parent=scope, is_active=True)
            .annotate(has_below=_HAS_BELOW)
            .order_by("sort_order", "code")
        )
        row_units = [(scope, True), *((u, False) for u in below)]
    else:
        below = roots
        row_units = [(u, False) for u in roots]
    parent_ids = {u.pk for u in below if getattr(u, "has_below", False)}
    found = monthly.figures(first, last, [scope.pk] if scope is not None else [], below)
    rows = []
    totals: dict[str, int] = defaultdict(int)
    for unit, own in row_units:
        row = Row(unit, own, drill=not own and unit.pk in parent_ids)
        _add(row, totals, (found.own if own else found.subtree).get(unit.pk, {}))
        rows.append(row)
    bulletin = _issued_bulletin(first, scope, roots)
    sources = list(registry.figure_sources())
    if scope is not None:
        rules, rules_unit = rules_for(scope)
        warnings = _warnings([r for r in rows if not r.own], rules)
    else:
        # A leader's counties side by side: each judged by its own rules.
        rules, rules_unit = rules_for(roots[0] if roots else None)
        warnings = _warnings_each(rows)
    return Board(
        warnings=warnings,
        rules=rules,
        rules_unit=rules_unit,
        scope=scope,
        trail=_trail(scope, roots),
        rows=rows,
        totals=dict(totals),
        sources=sources,
        lights=lights(user, scope),
        first=first,
        last=last,
        bulletin=bulletin,
        paths=[scope.path] if scope is not None else [r.path for r in roots],
        tops=[scope.pk] if scope is not None else [r.pk for r in roots],
        as_of=found.as_of,
        warm=found.warm,
        trend_by=trend_by,
    )


@dataclass
class Alert:
    row: Row
    level: str  # "red" or "yellow"
    reasons: list[str]

    @property
    def why(self) -> str:
        return "；".join(self.reasons)

    @property
    def item_title(self) -> str:
        """The title a 督办 problem opened from this warning is offered."""
        return _("驾驶舱预警：%(unit)s %(why)s") % {"unit": self.row.unit.name, "why": self.why}


def rules_for(unit: Unit | None) -> tuple[dict[str, int], Unit | None]:
    """The warning rules of the nearest unit at or above `unit` that set its own."""
    if unit is None:
        return dict(RULES), None
    ids = unit.ancestor_ids(include_self=True)
    found = WarningRules.objects.filter(unit_id__in=ids).select_related("unit")
    nearest = max(found, key=lambda r: len(r.unit.path), default=None)
    if nearest is None:
        return dict(RULES), None
    return {**RULES, **{k: int(v) for k, v in nearest.rules.items() if k in RULES}}, nearest.unit


def _warnings_each(rows: list[Row]) -> list[Alert]:
    """The warnings of rows that are each the top of a view (a leader's counties): each row
    judged by the rules of its own unit (`rules_for`), each listing up to its own limit."""
    found: list[Alert] = []
    for row in rows:
        found += _warnings([row], rules_for(row.unit)[0])
    found.sort(key=lambda w: (w.level != "red", -len(w.reasons), w.row.unit.path))
    return found


def _warnings(rows: list[Row], rules: Mapping[str, int]) -> list[Alert]:
    """The units that need attention, red first, those with more reasons first."""
    found = []
    for row in rows:
        f = row.figures
        red: list[str] = []
        yellow: list[str] = []
        reds = f.get("problems_red", 0)
        if reds > rules["red_over"]:
            red.append(_("红灯问题 %(n)d 个") % {"n": reds})
        elif reds > rules["yellow_red_over"]:
            yellow.append(_("红灯问题 %(n)d 个") % {"n": reds})
        if f.get("problems_overdue", 0) and reds <= rules["red_over"]:
            yellow.append(_("逾期未改 %(n)d 个") % {"n": f["problems_overdue"]})
        missing = f.get("weekly_due", 0) - f.get("weekly_on_time", 0) - f.get("weekly_late", 0)
        if missing > 0:
            red.append(_("周报未报送 %(n)d 次") % {"n": missing})
        if f.get("weekly_late"):
            yellow.append(_("周报逾期报送 %(n)d 次") % {"n": f["weekly_late"]})
        for rated, satisfied, what in (
            ("tickets_rated", "tickets_satisfied", _("工单满意率")),
            ("ratings_base", "ratings_satisfied", _("群众评议满意率")),
        ):
            base = f.get(rated, 0)
            if base < rules["min_rated"]:
                continue
            share = 100 * f.get(satisfied, 0)
            text = f"{what} {percent(f.get(satisfied, 0), base)}"
            if share < rules["satisfaction_below"] * base:
                red.append(text)
            elif share < rules["satisfaction_warn"] * base:
                yellow.append(text)
        if red or yellow:
            found.append(Alert(row, "red" if red else "yellow", red + yellow))
    found.sort(key=lambda w: (w.level != "red", -len(w.reasons), w.row.unit.path))
    return found[: rules["listed"]]


def _add(row: Row, totals: dict[str, int], values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        row.figures[key] = row.figures.get(key, 0) + int(value)
        totals[key] += int(value)


def _issued_bulletin(first: date, scope: Unit | None, roots: list[Unit]) -> Bulletin | None:
    """The nearest issued bulletin of the month whose issuer holds the whole view."""
    tops = [scope] if scope is not None else roots
    if not tops:
        return None
    candidates = Bulletin.objects.filter(status=Bulletin.Status.ISSUED, month=first).select_related(
        "issuer"
    )
    held = [b for b in candidates if all(top.path.startswith(b.issuer.path) for top in tops)]
    return max(held, key=lambda b: (len(b.issuer.path), b.pk), default=None)


def _trail(scope: Unit | None, roots: list[Unit]) -> list[Unit]:
    """The breadcrumbs: from the user's root above the scope down to the scope."""
    if scope is None:
        return []
    top = next((r for r in roots if scope.path.startswith(r.path)), scope)
    if top.path == scope.path:  # the view of the user's own top unit: no units between
        return [scope]
    ends = range(len(top.path), len(scope.path) + 1)
    paths = [scope.path[:end] for end in ends if scope.path[:end].endswith("/")]
    return list(Unit.objects.filter(path__in=paths).order_by("path"))


def lights(user: User, scope: Unit | None) -> dict[str, int] | None:
    """The ledger's open problems by light in view, from its kept counts summed per subtree
    (None when the user's view of the ledger is not whole units): the rows of the scope's
    unit (or of the user's roots), not those of every unit below it."""
    kept = ledger_selectors.kept_sums(user, [scope])
    if kept is None:
        return None
    return ledger_selectors.kept_lights(kept[0], exclude=ledger_selectors.NOT_COUNTED)


def figure_url(
    source: registry.FigureSource,
    figure: registry.Figure,
    unit: Unit | None,
    first: date,
    last: date,
    *,
    leaf: bool,
) -> str:
    """Where a number leads: for a figure the source's list can show exactly
    (`Figure.listed`), that list narrowed to the figure, the period and the unit's subtree
    (so its count is the number); otherwise a school's row leads to its records unfiltered."""
    if not source.records:
        return ""
    if not figure.listed:
        return records_url(source.records, unit) if leaf and unit is not None else ""
    name, _sep, query = source.records.partition("?")
    params = [p for p in query.split("&") if p and not p.startswith("status=")]
    params += [f"figure={figure.key}", f"period_from={first}", f"period_to={last}"]
    if unit is not None:
        params.append(f"unit={unit.pk}")
    return f"{reverse(name)}?{'&'.join(params)}"


def records_url(records: str | None, unit: Unit) -> str:
    """The list behind a source's figures for one unit ("" when the source names none)."""
    if not records:
        return ""
    name, _sep, query = records.partition("?")
    return f"{reverse(name)}?{query + '&' if query else ''}unit={unit.pk}"


@dataclass
class Rate:
    """A ratio of two counts, with its 95 % interval; `too_few` under the ratio's minimum."""

    part: int
    whole: int
    min_base: int
    scale: int = 0  # a mean of values kept in 1/scale (registry.Ratio.scale), not a rate

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None

    @property
    def too_few(self) -> bool:
        return self.whole < max(self.min_base, 1)

    @property
    def interval(self) -> stats.Interval | None:
        return stats.wilson(self.part, self.whole) if self.min_base and not self.scale else None

    @property
    def interval_text(self) -> str:
        """The 95 % interval as "72.1–88.0%" ("" for a ratio without a minimum sample)."""
        interval = self.interval
        return f"{100 * interval.low:.1f}–{100 * interval.high:.1f}%" if interval else ""

    def __str__(self) -> str:
        if self.value is None:
            return "—"
        if self.scale:
            return f"{self.value / self.scale:.2f}"
        return f"{100 * self.value:.1f}%"


def rate(ratio: registry.Ratio, figures: Mapping[str, int]) -> Rate:
    return Rate(
        figures.get(ratio.part, 0), figures.get(ratio.whole, 0), ratio.min_base, ratio.scale
    )


def shown(value: int, scale: int) -> int | float:
    """A figure's count as what it measures: a score kept in hundredths as points (87.35)."""
    return value if scale == 1 else round(value / scale, 2)


def shown_text(value: int, scale: int) -> str:
    return str(value) if scale == 1 else f"{value / scale:.2f}"


def panels(board: Board, user: User) -> list[dict[str, Any]]:
    """The sources grouped by the loop's stage (学、查、改、评、报), each a table: a row per
    unit with its counts and rates (each cell with its column's label, for the phone's
    card layout, and the list it links to), the totals, and the source's trend. Everything a
    cell shows is worked out here once, so the template only prints it (a county's page has
    thousands of cells)."""
    lines = {line["key"]: line for line in trend(board)}
    by_stage: dict[str, list[dict[str, Any]]] = defaultdict(list)
    texts = _RateTexts()
    for source in board.sources:
        # A number links to a list only for someone who may open it (a leader reads the
        # ledger, not the channel's queue).
        opens = bool(source.records) and registry.allows(
            (source.records or "").partition("?")[0], user
        )
        panel = _Panel(board, source, opens, texts)
        rows = []
        for row in board.rows:
            values = panel.cells(row.figures, row.unit, leaf=not row.drill, own=row.own)
            rates = panel.rates(row.figures)
            rows.append(
                {"row": row, "values": values, "rates": rates, "html": texts.html(values, rates)}
            )
        totals = panel.cells(board.totals, board.scope, leaf=False, own=False)
        total_rates = panel.rates(board.totals)
        by_stage[source.stage].append(
            {
                "key": source.key,
                "label": source.label,
                "figures": panel.figures,
                "ratios": source.ratios,
                # The totals: the scope's whole subtree, or the user's whole scope (a leader's
                # counties side by side).
                "totals": totals,
                "total_rates": total_rates,
                "totals_html": texts.html(totals, total_rates),
                "rows": rows,
                "trend": lines.get(source.key),
            }
        )
    extras = app_panels(board, user)
    return [
        {"key": key, "label": label, "sources": by_stage[key], "extras": extras.get(key, [])}
        for key, label in registry.STAGES
        if by_stage.get(key) or extras.get(key)
    ]


def app_panels(board: Board, user: User) -> dict[str, list[str]]:
    """The apps' own panels (core/registry.py `DashboardPanel`), rendered, by stage; a panel
    with nothing for this view is left out. Kept `monthly.LIVE_SECONDS` per person, view and
    language, as the figures are (a panel may read as much as a source: the evaluation's
    verdicts for a city)."""
    key = monthly.cache_key(
        "panels",
        user.pk,
        sorted(board.paths),
        board.first,
        board.last,
        get_language(),
        monthly.views_generation()[0],  # an issued bulletin shows at once (panels.py)
    )
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    rendered: dict[str, list[str]] = defaultdict(list)
    for panel in registry.dashboard_panels():
        context = panel.context(user, board.paths, board.first, board.last)
        if context is not None:
            rendered[panel.stage].append(get_template(panel.template).render(dict(context)))
    cache.set(key, dict(rendered), monthly.LIVE_SECONDS)
    return dict(rendered)


class _RateTexts:
    """The words of a rate cell, translated once per page rather than once per cell."""

    def __init__(self) -> None:
        self.title = _("只有 %(n)s 个样本（少于 %(min)s 个），比率参考意义有限")
        self.too_few = escape(_("样本不足"))
        self.interval = escape(_("95% 置信区间"))
        self.labels: dict[str, str] = {}

    def _label(self, label: str) -> str:
        found = self.labels.get(label)
        if found is None:
            found = self.labels[label] = escape(label)
        return found

    def html(self, values: list[dict[str, Any]], rates: list[dict[str, Any]]) -> SafeString:
        """A row's number and rate cells as HTML, built here in one pass: the same markup a
        template loop would print (labels for the phone's card layout, links, rate notes),
        without the template engine's cost per cell (a county's page has thousands)."""
        parts = []
        for cell in values:
            text = cell["text"]
            if cell["link"]:
                text = f'<a href="{escape(cell["link"])}">{text}</a>'
            parts.append(
                f'<td class="text-end" data-label="{self._label(cell["label"])}">{text}</td>'
            )
        for cell in rates:
            css = "text-end qf-too-few" if cell["few"] else "text-end"
            title = f' title="{escape(cell["title"])}"' if cell["title"] else ""
            note = ""
            if cell["few"]:
                note = f' <span class="small">{self.too_few}</span>'
            elif cell["interval"]:
                note = (
                    f' <span class="small text-secondary" title="{self.interval}">'
                    f"[{escape(cell['interval'])}]</span>"
                )
            parts.append(
                f'<td class="{css}" data-label="{self._label(cell["label"])}"{title}>'
                f"{escape(cell['text'])}{note}</td>"
            )
        return mark_safe("".join(parts))  # noqa: S308 - every piece escaped above

    def cell(self, label: str, value: Rate) -> dict[str, Any]:
        few = value.too_few and bool(value.whole)
        return {
            "label": label,
            "rate": value,
            "text": str(value),
            "few": few,
            "title": self.title % {"n": value.whole, "min": value.min_base} if few else "",
            "interval": "" if few else value.interval_text,
        }


class _Panel:
    """One source's cells: each figure's label and link prefix worked out once."""

    def __init__(
        self, board: Board, source: registry.FigureSource, opens: bool, texts: _RateTexts
    ) -> None:
        self.board, self.source, self.opens, self.texts = board, source, opens, texts
        self.figures = [f for f in source.figures if not f.burden]
        self.labels = [str(f.label) for f in self.figures]
        self.ratio_labels = [str(r.label) for r in source.ratios]
        first, last = board.first, board.last
        # The link of each figure without its unit: (prefix, for any unit or only a leaf's).
        self.links: list[tuple[str, bool]] = []
        for f in self.figures:
            if not (opens and source.records):
                self.links.append(("", False))
            elif f.listed:
                self.links.append((figure_url(source, f, None, first, last, leaf=False), False))
            else:
                self.links.append((_records_prefix(source.records), True))

    def cells(
        self, values: Mapping[str, int], unit: Unit | None, *, leaf: bool, own: bool
    ) -> list[dict[str, Any]]:
        """The row's cells. The own row of a unit with units below counts its own records
        only: it links to the source's list narrowed to that unit alone (`own=1`) when the
        list can show that (`FigureSource.own_records`), else nowhere."""
        tail = "" if unit is None else f"unit={unit.pk}"
        if own and len(self.board.rows) > 1:
            if not self.source.own_records:
                return [
                    _cell(label, values.get(f.key, 0), "", f.scale)
                    for f, label in zip(self.figures, self.labels, strict=True)
                ]
            tail, leaf = f"{tail}&own=1", True
        cells = []
        for f, label, (prefix, leaf_only) in zip(
            self.figures, self.labels, self.links, strict=True
        ):
            if not prefix or (leaf_only and not (leaf and unit is not None)):
                link = ""
            elif unit is None:
                link = prefix
            else:
                link = f"{prefix}{'&' if '?' in prefix else '?'}{tail}"
            cells.append(_cell(label, values.get(f.key, 0), link, f.scale))
        return cells

    def rates(self, values: Mapping[str, int]) -> list[dict[str, Any]]:
        return [
            self.texts.cell(label, rate(r, values))
            for r, label in zip(self.source.ratios, self.ratio_labels, strict=True)
        ]


def _cell(label: str, value: int, link: str, scale: int) -> dict[str, Any]:
    # `text`: the number as the page prints it (no thousands separator), so the template
    # does not localise thousands of numbers one by one; `number`: what the export writes.
    return {
        "label": label,
        "value": value,
        "number": shown(value, scale),
        "text": shown_text(value, scale),
        "link": link,
    }


def _records_prefix(records: str) -> str:
    name, _sep, query = records.partition("?")
    return f"{reverse(name)}{'?' + query if query else ''}"


def trend(board: Board) -> list[dict[str, Any]]:
    """The view's totals month by month up to the board's month (monthly.trend), with the
    change on the month before (环比) and on the same month a year before (同比) for each
    figure of each source; or week by week (`board.trend_by == "week"`: the weeks over up to
    the board's last day, monthly.week_trend), with the change on the week before."""
    if board.trend_by == "week":
        points = monthly.week_trend(board.tops, board.last)
        labels = [f"{p['start']:%m-%d}" for p in points]
    else:
        points = monthly.trend(board.tops, board.first, board.totals)
        labels = [f"{p['start']:%Y-%m}" for p in points]
    yearly = board.trend_by != "week" and len(points) > 12
    result = []
    for source in board.sources:
        figures = [f for f in source.figures if not f.burden]
        series: list[dict[str, Any]] = []
        columns: list[list[int | float | None]] = []
        for figure in figures:
            values: list[int | float | None] = [
                None
                if p["figures"] is None
                else shown(p["figures"].get(figure.key, 0), figure.scale)
                for p in points
            ]
            series.append(
                {
                    "key": figure.key,
                    "label": str(figure.label),
                    "values": values,
                    "month_on_month": _change(values[-1], values[-2] if len(values) > 1 else None),
                    "year_on_year": _change(values[-1], values[0] if yearly else None),
                }
            )
            columns.append(values)
        result.append(
            {
                "key": source.key,
                "label": str(source.label),
                "months": labels,
                "series": series,
                # The chart's data as a table, a period a row (what offices copy).
                "table": [
                    [label, *("—" if c[i] is None else c[i] for c in columns)]
                    for i, label in enumerate(labels)
                ],
            }
        )
    return result


def _change(now: int | float | None, before: int | float | None) -> dict[str, Any] | None:
    if before is None or now is None:
        return None
    delta = now - before
    return {
        "before": before,
        "delta": delta,
        # The change's size as printed beside its arrow (a score's with its two decimals).
        "size": abs(delta) if isinstance(delta, int) else f"{abs(delta):.2f}",
        "percent": None if not before else round(100 * delta / before, 1),
    }
