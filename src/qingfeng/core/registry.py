"""What each app contributes to the platform, registered from its `AppConfig.ready()`.

`core` knows no app (DESIGN.md §3): the menu, the home page, the ledger's problem sources,
the demo data and the job handlers are contributions, the way wagtail's hooks and
django-oscar's dashboard menus work. An app adds itself in `apps.py`:

    class LearningConfig(AppConfig):
        name = "qingfeng.learning"

        def ready(self) -> None:
            registry.add_urls("learning/", "qingfeng.learning.urls")
            registry.add_menu_entry(MenuEntry(
                key="sessions", label=_("学习安排"), url_name="learning:sessions",
                section=Section.LEARN, order=10))

and nothing outside its folder changes. A menu entry has no visibility rule of its own: it
shows when the guard of the view behind its address lets the user in (`qf_allows`, set by
core/policy.py), so the menu and the page can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.urls import get_resolver, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from qingfeng.core.http import AuthenticatedHttpRequest
    from qingfeng.core.jobs import Handler
    from qingfeng.core.progress import LongWork
    from qingfeng.core.retention import RetentionRule
    from qingfeng.core.search import TextIndex
    from qingfeng.core.tally import Tally

    AnyUser = AbstractBaseUser | AnonymousUser

StrOrPromise = str | Promise


class Section(Enum):
    """The menu's sections follow the loop: 学 · 查 · 改 · 评 · 报, then the system."""

    LEARN = ("learn", _("学习教育"), "学")
    CHECK = ("check", _("查摆监督"), "查")
    RECTIFY = ("rectify", _("整改落实"), "改")
    EVALUATE = ("evaluate", _("评议问效"), "评")
    REPORT = ("report", _("调度通报"), "报")
    SYSTEM = ("system", _("系统管理"), "系")

    def __init__(self, key: str, label: StrOrPromise, mark: str) -> None:
        self.key = key
        self.label = label
        self.mark = mark


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: StrOrPromise
    url_name: str
    section: Section
    order: int
    # Only for an address whose view is not ours (the Django admin): everything else shows
    # exactly when its page's guard lets the user in.
    visible: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class HomeCard:
    """A card on the home page: `context(request)` returns the template's context for this
    user, or None when the card has nothing to show them (no scope, no permission)."""

    key: str
    template: str
    order: int
    context: Callable[[AuthenticatedHttpRequest], Mapping[str, Any] | None]


@dataclass(frozen=True)
class SourceRecord:
    """One record a problem came from, as the problem's page lists it: its number and state
    are shown to everyone who sees the problem; `url` only when the viewer may open it."""

    number: str
    state: StrOrPromise
    url: str = ""


class ProblemSource(Protocol):
    """Where problems come from besides direct entry (tickets, inspection and supervision
    findings, remedial rounds, self-checks). The ledger asks its sources; it imports none."""

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> StrOrPromise:
        """The heading of its records on the problem's page, e.g. 来源工单."""
        ...

    def reporters_answered(self, problem: Any) -> bool | None:
        """双反馈: whether everyone who reported this problem through the source was answered;
        None when none of the problem's records come from this source."""
        ...

    def records(self, problem: Any, *, viewer: Any) -> list[SourceRecord]:
        """The source's records behind this problem, for its page."""
        ...


@dataclass(frozen=True)
class FiledComplaint:
    """The ticket a complaint became: its number, its staff page's address, and its receipt
    code in clear — given only when the ticket was just made, to be handed to the person who
    raised it once (the channel keeps only its hash); empty when `ref` found an earlier one."""

    number: str
    url: str
    receipt: str = ""


@dataclass(frozen=True)
class ReceivedTicket:
    """A ticket as another app lists it (a round's workspace): `url` only when the viewer may
    open the ticket itself."""

    number: str
    title: str
    unit: str
    received_at: datetime
    state: StrOrPromise
    url: str = ""


@dataclass(frozen=True)
class ComplaintAnswer:
    """A filed complaint's answer as the person who raised it reads it: the reply (办结) or the
    reason it was not accepted (不予受理), and when it was given."""

    number: str
    answered_at: datetime
    text: str


class ComplaintSink(Protocol):
    """The one place complaints go (the intake channel registers itself). Another app whose
    users leave complaints elsewhere — a rating's comment — lets staff send one here; it
    imports no channel. The person who complained stays anonymous."""

    def categories(self) -> list[tuple[int, str]]:
        """The (id, name) of the categories a complaint may be filed under."""
        ...

    def file(
        self,
        *,
        actor: Any,
        unit: Any,
        category_id: int,
        title: str,
        text: str,
        source: str,
        ref: str,
        kind: str = "",
    ) -> FiledComplaint:
        """File the complaint as a ticket entered by `actor` about `unit`, marked as coming
        from `source` (e.g. "evaluation"); the same `ref` again returns the ticket it made.
        `kind` (complaint, report, suggestion) when the person said which, else the
        source's usual kind. Raises ValidationError (in Chinese) when the channel refuses it."""
        ...

    def url(self, number: str) -> str:
        """The staff page of the ticket with this number."""
        ...

    def states(self, numbers: list[str]) -> dict[str, str]:
        """Each ticket's state (已受理, 已办结 …) by number, for the app that filed it to tell
        the person who raised it the outcome."""
        ...

    def answers(self, numbers: list[str]) -> dict[str, ComplaintAnswer]:
        """The answer of each of these tickets that has one, by number (none for a ticket
        still being handled): what the filing app tells the person who raised it."""
        ...

    def received(
        self, *, unit_ids: Sequence[int], start: date, end: date, viewer: Any
    ) -> list[ReceivedTicket]:
        """The tickets about these units received on the days `start` … `end` (an inspection
        round's period: the tickets tagged to the round), newest first."""
        ...


@dataclass(frozen=True)
class CaseMaterial:
    """A closed item of another app offered as a typical case's source (learning imports no
    other domain app): its text already masked for the viewer who asked, the unit it is about
    (for the roster check), the names to remove, and the private link back to it."""

    key: str
    pk: int
    number: str
    title: str
    text: str
    outcome: str
    unit: Any
    closed_on: date | None
    names: tuple[str, ...] = ()
    link: str = ""


class CaseMaterialSource(Protocol):
    """An app whose closed items may become typical cases (intake's tickets)."""

    key: str

    @property
    def label(self) -> StrOrPromise: ...

    def closed(self, viewer: Any, *, exclude: Iterable[int], limit: int) -> list[CaseMaterial]:
        """Closed items the viewer may open, newest first, not those in `exclude`."""
        ...

    def get(self, viewer: Any, pk: int) -> CaseMaterial | None:
        """The item as the viewer may read it; None if closed-and-visible it is not."""
        ...

    def visible(self, viewer: Any, pk: int) -> bool:
        """May the viewer open the item (the case's private link)?"""
        ...

    def url(self, pk: int) -> str:
        """The item's staff page (shown only when `visible`)."""
        ...


@dataclass(frozen=True)
class DemoSeeder:
    """The demo data an app adds for `make run` (through its own actions).

    `ready()` says whether the installation is a demo one this seeder can work in (the demo
    accounts exist); `has_data()` whether the app already holds records, in which case
    `seed_demo_cases --if-empty` loads nothing; `seed()` writes and returns lines to print.
    """

    key: str
    order: int
    seed: Callable[[], Iterable[str]] | None = None
    ready: Callable[[], bool] | None = None
    has_data: Callable[[], bool] | None = None
    logins_help: str = ""


@dataclass(frozen=True)
class Figure:
    """One number an app supplies for the campaign's rhythm (周调度、月通报、季考评).

    Every figure is a count over a unit's own records, so a county's figure is the sum of its
    units' and a ratio is computed from two counts, never averaged. `burden` marks a count of
    forms a person of the unit had to fill (imports, uploads, reports): the burden meter."""

    key: str
    label: StrOrPromise
    burden: bool = False
    # The source's records list shows exactly the records counted, given
    # `?figure=<key>&from=<first day>&to=<last day>` (and `unit=`): the dashboard links the
    # number to it.
    listed: bool = False
    # The count is kept in 1/`scale` of what it measures (a score in hundredths of a point,
    # so that it stays an integer to sum): the dashboard shows count / scale, e.g. 87.35.
    scale: int = 1


@dataclass(frozen=True)
class Ratio:
    """A rate shown beside a source's counts: figure `part` out of figure `whole` of the same
    source, so a county's rate is a ratio of sums, never an average of rates. Under
    `min_base` in the whole, the rate is shown greyed as 样本不足 (a rate from 12 answers
    means little); its 95 % interval is shown beside it."""

    key: str
    label: StrOrPromise
    part: str
    whole: str
    min_base: int = 0
    # A mean, not a rate: part / whole / `scale` with two decimals (the mean of scores kept in
    # hundredths: scale 100), shown without a percent sign or an interval.
    scale: int = 0


# The loop's stages (学、查、改、评 and 报), the dashboard's panels.
STAGES: tuple[tuple[str, StrOrPromise], ...] = (
    ("learn", _("学")),
    ("check", _("查")),
    ("rectify", _("改")),
    ("evaluate", _("评")),
    ("report", _("报")),
)


@dataclass(frozen=True)
class FigureSource:
    """What one app tells the weekly report, the bulletin and the quarterly score.

    `compute(unit_ids, start, end)` returns, for each of those units that has any, its figures
    for the days `start` … `end` (inclusive, local dates) as {figure key: count}; a unit with
    none may be left out. It reads through the app's own models in a few grouped queries,
    whatever the number of units. Oversight and learning add theirs with one
    `add_figures(FigureSource(...))` from their `ready()`."""

    key: str
    label: StrOrPromise
    order: int
    figures: tuple[Figure, ...]
    compute: Callable[[Sequence[int], date, date], Mapping[int, Mapping[str, int]]]
    # The URL name of the list of the records behind the figures, filtered to a unit by
    # `?unit=<id>` (the dashboard's drill-down from a number to its records), if there is one.
    records: str | None = None
    # The list also takes `own=1` beside `unit=<id>`: that unit's own records, not its
    # subtree's (the dashboard links the own row of a unit with units below to it).
    own_records: bool = False
    # The stage of the loop the figures belong to (`STAGES`), the dashboard's panel.
    stage: str = "report"
    ratios: tuple[Ratio, ...] = ()


@dataclass(frozen=True)
class TaskEvidence:
    """Evidence an app holds that a campaign task is done (a study session of a type held, the
    problems of a list closed), so nobody uploads what the system can show (the 2024 rules
    against formalism).

    `options()` lists what the evidence is about ([(value, label)]: the session types, the
    problem lists), [] when nothing is to choose. `progress(option, unit_ids, start, end)`
    returns, per unit that has any, (done, whole) for the days `start` … `end`: `whole` is the
    number to reach (the problems of the list), or None when the task sets it (sessions held);
    a few grouped queries whatever the number of units."""

    key: str
    label: StrOrPromise
    options: Callable[[], list[tuple[str, str]]]
    progress: Callable[[str, Sequence[int], date, date], Mapping[int, tuple[int, int | None]]]
    # The task sets how many (`whole` is None): sessions held, not the problems of a list.
    counted: bool = False


@dataclass(frozen=True)
class ProblemLink:
    """Something of another app a problem is linked to (a rule of the rules register that
    answers it: its 建章立制), as the ledger shows it: a line of text, and an address where
    the viewer may open it ('' otherwise)."""

    text: str
    url: str = ""


@dataclass(frozen=True)
class ProblemLinks:
    """`links(problem_ids, viewer)`: per problem, what the app links to it, for the ledger's
    column `column` (e.g. "rules": 建章立制) on the problem's page and in the export (viewer
    None: the export, which is already scoped). A few grouped queries for many problems."""

    key: str
    column: str
    label: StrOrPromise
    links: Callable[[Sequence[int], Any], Mapping[int, list[ProblemLink]]]


@dataclass(frozen=True)
class DashboardPanel:
    """A panel an app adds to the dashboard beside the figures (what counts cannot say: the
    evaluation's verdicts with their intervals, a ranking). `context(user, paths, first,
    last)` returns the template's context for the subtrees at `paths` (the view, inside the
    user's scope) and the days `first` … `last`, or None when there is nothing to show."""

    key: str
    stage: str  # one of STAGES
    order: int
    template: str
    context: Callable[[Any, Sequence[str], date, date], Mapping[str, Any] | None]


@dataclass(frozen=True)
class PublishedPanel:
    """A panel of what an app has published about the units of an area (the evaluation's
    results once a round is published), for a reader who may see the published only: the
    observer's page (作风建设观察员). `context(path)` returns the template's context for the
    subtree at `path`, or None when nothing is published there."""

    key: str
    order: int
    template: str
    context: Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True)
class UnitNotice:
    """A public notice a unit has announced (a reception day, an open week), as a unit's
    channel poster and the poster page print it: one short line, and the public page that
    says the rest."""

    unit_id: int
    text: str
    path: str


@dataclass(frozen=True)
class UnitNoticeSource:
    """`notices(unit_ids)`: the coming notices of those units, soonest first."""

    key: str
    notices: Callable[[Sequence[int]], list[UnitNotice]]


@dataclass(frozen=True)
class UrlMount:
    """An app's URLconf under a prefix of the site (`public` prefixes are the ones a reverse
    proxy may expose to the internet, DESIGN.md §6)."""

    prefix: str
    urlconf: str
    public: bool = False


@dataclass(frozen=True)
class Leftovers:
    """Rows an app's interrupted work leaves unseen (a large import's staged rows whose worker
    died, or that a restore brought back from a backup taken mid-import: core/leftovers.py).
    `remove(after_restore)` deletes those no running work will finish — after a restore, all
    of them: no worker of the restored instance runs that work — and says how many."""

    key: str
    label: StrOrPromise
    remove: Callable[[bool], int]


@dataclass(frozen=True)
class ImportLog:
    """A model whose rows are the imports people made (a ledger workbook, a roster, a score
    workbook): one row per file a person filled and uploaded, whatever came of it, with who
    (`by`, a foreign key to the user) and when (`at`). The burden meter (campaigns) counts
    them per unit of the person, every app's alike, as forms the system asked them to fill."""

    key: str
    label: StrOrPromise
    model: str  # "app_label.ModelName"
    by: str = "uploaded_by"
    at: str = "created_at"


@dataclass(frozen=True)
class TypicalCase:
    """A typical problem of a period as the monthly bulletin lists it (典型问题): what
    happened, how it was handled, the lesson, the case of the library it links (`case`, its
    number) and what kind of record the case was made from (`origin`: a ledger problem, a
    ticket). Its text is already fit for every reader of the bulletin (redacted); the private
    link to the record stays with the case."""

    title: str
    category: str
    facts: str
    outcome: str
    lessons: str
    case: str = ""
    origin: str = ""
    url: str = ""  # the case's page, for the readers of the library


@dataclass(frozen=True)
class TypicalCaseSource:
    """`cases(unit_ids, start, end)`: the typical cases about those units that entered the
    app's library on the days `start` … `end`, at most `limit`, most telling first."""

    key: str
    order: int
    cases: Callable[[Sequence[int], date, date, int], list[TypicalCase]]


@dataclass
class Registry:
    urls: dict[str, UrlMount] = field(default_factory=dict)
    api_routers: dict[str, Any] = field(default_factory=dict)
    menu: dict[str, MenuEntry] = field(default_factory=dict)
    cards: dict[str, HomeCard] = field(default_factory=dict)
    sources: dict[str, ProblemSource] = field(default_factory=dict)
    seeders: dict[str, DemoSeeder] = field(default_factory=dict)
    complaints: dict[str, ComplaintSink] = field(default_factory=dict)
    figures: dict[str, FigureSource] = field(default_factory=dict)
    panels: dict[str, DashboardPanel] = field(default_factory=dict)
    published: dict[str, PublishedPanel] = field(default_factory=dict)
    text_indexes: dict[str, TextIndex] = field(default_factory=dict)
    case_sources: dict[str, CaseMaterialSource] = field(default_factory=dict)
    retention: dict[str, RetentionRule] = field(default_factory=dict)
    tallies: dict[str, Tally] = field(default_factory=dict)
    unit_notices: dict[str, UnitNoticeSource] = field(default_factory=dict)
    leftovers: dict[str, Leftovers] = field(default_factory=dict)
    import_logs: dict[str, ImportLog] = field(default_factory=dict)
    typical: dict[str, TypicalCaseSource] = field(default_factory=dict)
    evidence: dict[str, TaskEvidence] = field(default_factory=dict)
    problem_links: dict[str, ProblemLinks] = field(default_factory=dict)
    worker_warmups: dict[str, Callable[[], object]] = field(default_factory=dict)

    def _add(self, table: dict[str, Any], key: str, item: Any) -> None:
        # ready() may run twice (tests, autoreload): the same key replaces, never duplicates.
        table[key] = item


_registry = Registry()


def add_urls(prefix: str, urlconf: str, *, public: bool = False) -> None:
    _registry._add(_registry.urls, prefix, UrlMount(prefix, urlconf, public))


def add_api_router(prefix: str, router: Any) -> None:
    """A django-ninja router served under /api/<prefix>."""
    _registry._add(_registry.api_routers, prefix, router)


def add_menu_entry(entry: MenuEntry) -> None:
    _registry._add(_registry.menu, entry.key, entry)


def add_menu_section(section: Section, entries: Iterable[tuple[str, StrOrPromise, str]]) -> None:
    """An app's entries in one section, in the order given: (key, label, URL name)."""
    for order, (key, label, url_name) in enumerate(entries, start=1):
        add_menu_entry(MenuEntry(key, label, url_name, section, order * 10))


def add_home_card(card: HomeCard) -> None:
    _registry._add(_registry.cards, card.key, card)


def add_problem_source(source: ProblemSource) -> None:
    _registry._add(_registry.sources, source.key, source)


def set_complaint_sink(sink: ComplaintSink) -> None:
    """The channel that takes complaints filed from other apps (one; a later call replaces)."""
    _registry._add(_registry.complaints, "sink", sink)


def complaint_sink() -> ComplaintSink | None:
    """Where complaints go, or None when no channel is installed."""
    return _registry.complaints.get("sink")


def add_demo_seeder(seeder: DemoSeeder) -> None:
    _registry._add(_registry.seeders, seeder.key, seeder)


def add_task_evidence(evidence: TaskEvidence) -> None:
    """Evidence of a campaign task's completion that the app's records hold."""
    _registry._add(_registry.evidence, evidence.key, evidence)


def task_evidence() -> list[TaskEvidence]:
    return sorted(_registry.evidence.values(), key=lambda e: e.key)


def task_evidence_for(key: str) -> TaskEvidence | None:
    return _registry.evidence.get(key)


def add_problem_links(links: ProblemLinks) -> None:
    """What an app links to the ledger's problems (shown in a column of the ledger)."""
    _registry._add(_registry.problem_links, links.key, links)


def problem_links(
    column: str, problem_ids: Sequence[int], viewer: Any
) -> dict[int, list[ProblemLink]]:
    """Every app's links of these problems for the ledger's column `column`."""
    found: dict[int, list[ProblemLink]] = {}
    for item in sorted(_registry.problem_links.values(), key=lambda i: i.key):
        if item.column != column:
            continue
        for pk, links in item.links(problem_ids, viewer).items():
            found.setdefault(pk, []).extend(links)
    return found


def add_figures(source: FigureSource) -> None:
    """An app's figures for the campaign's weekly report, bulletin and quarterly score."""
    _registry._add(_registry.figures, source.key, source)


def add_import_log(log: ImportLog) -> None:
    """A model of an app's import rows, counted by the burden meter."""
    _registry._add(_registry.import_logs, log.key, log)


def import_logs() -> list[ImportLog]:
    return sorted(_registry.import_logs.values(), key=lambda log: log.key)


def add_typical_cases(source: TypicalCaseSource) -> None:
    """An app's typical cases of a period, listed by the monthly bulletin (典型问题)."""
    _registry._add(_registry.typical, source.key, source)


def typical_case_sources() -> list[TypicalCaseSource]:
    return sorted(_registry.typical.values(), key=lambda s: (s.order, s.key))


def add_dashboard_panel(panel: DashboardPanel) -> None:
    """An app's own panel on the dashboard (reports/dashboard.py shows it in its stage)."""
    _registry._add(_registry.panels, panel.key, panel)


def dashboard_panels() -> list[DashboardPanel]:
    return sorted(_registry.panels.values(), key=lambda p: (p.order, p.key))


def add_published_panel(panel: PublishedPanel) -> None:
    """An app's panel of what it published about an area (the observer's page shows it)."""
    _registry._add(_registry.published, panel.key, panel)


def published_panels() -> list[PublishedPanel]:
    return sorted(_registry.published.values(), key=lambda p: (p.order, p.key))


def add_retention_rule(rule: RetentionRule) -> None:
    """Personal data an app lets expire (core/retention.py: a daily job, an audit row)."""
    _registry._add(_registry.retention, rule.key, rule)


def add_leftovers(item: Leftovers) -> None:
    """Rows an app's interrupted work leaves behind, removed hourly and after a restore."""
    _registry._add(_registry.leftovers, item.key, item)


def leftovers() -> list[Leftovers]:
    return sorted(_registry.leftovers.values(), key=lambda item: item.key)


def add_job_handler(
    kind: str, handler: Handler, *, atomic: bool = True, long: LongWork | None = None
) -> None:
    """A job kind and its handler (core/jobs.py): registered from `ready()`, so the web
    process and the worker know the same kinds whatever modules they happened to import.
    `long=LongWork(time_limit=, memory_limit=, on_failure=)` for work a person starts and watches
    (core/progress.py: progress, a time and a memory limit, one try, an end that is always told)."""
    from qingfeng.core import jobs  # imports models: only once the apps are loaded

    jobs.register_handler(kind, handler, atomic=atomic, long=long)


def add_case_source(source: CaseMaterialSource) -> None:
    """An app's closed items that may be proposed as typical cases."""
    _registry._add(_registry.case_sources, source.key, source)


def case_sources() -> list[CaseMaterialSource]:
    return list(_registry.case_sources.values())


def case_source(key: str) -> CaseMaterialSource | None:
    return _registry.case_sources.get(key)


def add_text_index(index: TextIndex) -> None:
    """A `core.search.TextIndex` whose NULL tokens the periodic refresh fills."""
    _registry._add(_registry.text_indexes, index.table, index)


def text_indexes() -> list[TextIndex]:
    return list(_registry.text_indexes.values())


def add_tally(tally: Tally) -> None:
    """A `core.tally.Tally` whose triggers every `migrate` puts back if a table rebuild
    dropped them (and the system check reports missing)."""
    _registry._add(_registry.tallies, tally.table, tally)


def tallies() -> list[Tally]:
    return list(_registry.tallies.values())


def add_unit_notices(source: UnitNoticeSource) -> None:
    """An app's public notices of units, for the units' posters (the channel's)."""
    _registry._add(_registry.unit_notices, source.key, source)


def add_worker_warmup(key: str, warm: Callable[[], object]) -> None:
    """What an app's jobs load once per process and would otherwise load inside the first job
    after a start (a dictionary, a matcher built from the org tree): the task worker runs it
    before it takes jobs (core/warmup.py `warm_worker`)."""
    _registry._add(_registry.worker_warmups, key, warm)


def worker_warmups() -> list[tuple[str, Callable[[], object]]]:
    return sorted(_registry.worker_warmups.items())


def unit_notices(unit_ids: Sequence[int]) -> dict[int, list[UnitNotice]]:
    """Every app's coming public notices of those units, by unit (one query per source)."""
    found: dict[int, list[UnitNotice]] = {}
    for source in _registry.unit_notices.values():
        for notice in source.notices(unit_ids):
            found.setdefault(notice.unit_id, []).append(notice)
    return found


def url_mounts() -> list[UrlMount]:
    return list(_registry.urls.values())


def api_routers() -> list[tuple[str, Any]]:
    return list(_registry.api_routers.items())


def menu_entries() -> list[MenuEntry]:
    return sorted(_registry.menu.values(), key=lambda e: (list(Section).index(e.section), e.order))


def home_cards() -> list[HomeCard]:
    return sorted(_registry.cards.values(), key=lambda c: (c.order, c.key))


def problem_sources() -> list[ProblemSource]:
    return list(_registry.sources.values())


def figure_sources() -> list[FigureSource]:
    return sorted(_registry.figures.values(), key=lambda s: (s.order, s.key))


def retention_rules() -> list[RetentionRule]:
    return sorted(_registry.retention.values(), key=lambda r: r.key)


def demo_seeders() -> list[DemoSeeder]:
    return sorted(_registry.seeders.values(), key=lambda s: (s.order, s.key))


_views: dict[str, tuple[object, Callable[..., Any]]] = {}


def _view(url_name: str) -> Callable[..., Any]:
    """The view at `url_name`, looked up once per URLconf (a menu asks on every page)."""
    resolver = get_resolver()
    cached = _views.get(url_name)
    if cached is None or cached[0] is not resolver:
        cached = (resolver, resolve(reverse(url_name)).func)
        _views[url_name] = cached
    return cached[1]


def allows(url_name: str, user: AnyUser) -> bool:
    """Whether the guard of the view at `url_name` lets this user in."""
    allowed: Callable[[Any], bool] | None = getattr(_view(url_name), "qf_allows", None)
    if allowed is None:  # the URL-policy test makes every view declare its policy
        raise ImproperlyConfigured(f"{url_name} has no access policy (core/policy.py)")
    return allowed(user)


def visible_menu(user: AnyUser) -> list[tuple[Section, list[MenuEntry]]]:
    """The sections with the entries this user may open, in the loop's order."""
    sections: dict[Section, list[MenuEntry]] = {}
    for entry in menu_entries():
        shown = entry.visible(user) if entry.visible else allows(entry.url_name, user)
        if shown:
            sections.setdefault(entry.section, []).append(entry)
    return [(section, sections[section]) for section in Section if section in sections]
