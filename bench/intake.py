"""Time the public supervision channel at city size: 200,000 tickets over the seeded city.

    .venv/bin/python bench/intake.py [--db sqlite|postgres|both] [--tickets 200000]
                                     [--repeat 30] [--rate 20] [--seconds 30] [--reuse]
                                     [--no-write]

For each database: a fresh SQLite file (bench/out/intake.sqlite3) or PostgreSQL database
(qingfeng_bench_intake), `migrate` and `seed_demo --size city`, then in child processes with
bench/run.py's production-like environment:

- build: `--tickets` tickets over the last twelve months written with bulk_create (statuses by
  age, a third named with encrypted name and phone, decision events, replies and ratings), then
  `manage.py intake_signatures` computes the near-duplicate signatures as for any old ticket;
- measure (Django's test client, as the other benchmarks): the staff queue with filters at
  page 1 and ~50 pages deep for the bureau's intake office, a county and the hotline; the
  duplicate check of a freshly stored ticket; the public statistics page;
- load: the real server (gunicorn with three workers, as `manage.py serve` runs it, plus the
  task worker) answering the public form's POST at a fixed arrival rate (`--rate` per second
  for `--seconds`), open loop: a request is sent on schedule whether or not the earlier ones
  have been answered, so a slow server shows as latency, not as a lower rate.

Targets (issue 5): intake POST p95 <= 150 ms at 20 requests/s with zero errors; the duplicate
check adds <= 30 ms p95; the staff queue with filters p95 <= 300 ms. Results go to the terminal,
bench/out/intake-<db>.json and the "Intake" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import pagecost  # noqa: E402
from ledger import _fresh_postgres, _setup_django, replicate  # noqa: E402
from measure import WARMUP, percentile, summarise  # noqa: E402
from run import (  # noqa: E402
    OUT,
    PY,
    REPO,
    bench_env,
    fmt_ms,
    machine,
    manage,
    pg_connect,
    postgres_version,
)

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/qingfeng_bench_intake"
SQLITE_PATH = OUT / "intake.sqlite3"
BATCH = 5000
PORT = 8765
TARGETS = (
    ("intake POST", "p95", 150),
    ("duplicate check", "p95", 30),
    ("staff queue", "p95", 300),
)
START, END = "<!-- intake:start -->", "<!-- intake:end -->"

# What parents write in, at one school or another (the slots vary the wording, so that two
# tickets about one matter look alike without being the same text).
TEMPLATES = [
    "{unit}要求学生统一购买{item}，每人收费{amount}元，没有公示收费依据，家长意见很大。",
    "{unit}有老师在校外开办辅导班，动员班上学生参加，每月收费{amount}元。",
    "{unit}食堂饭菜质量差，{meal}经常有变质情况，家长多次反映没有回应。",
    "{unit}违规组织{grade}学生周末补课，收取资料费{amount}元，孩子休息不好。",
    "到{unit}办理{service}，工作人员推诿扯皮，来回跑了{n}次仍未办成。",
    "{unit}在评优评先中暗箱操作，推荐名单没有公示，程序不公开。",
    "{unit}教师节期间有老师收受家长购物卡，金额约{amount}元。",
    "{unit}午休时间部分工作人员在办公室打牌，上班时间玩手机。",
    "{unit}课后服务收费{amount}元，没有征求家长意见，也没有退费办法。",
    "{unit}校车超载，{grade}学生站着乘车，存在安全隐患，请尽快处理。",
]
ITEMS = ["教辅资料", "校服", "练习册", "平板电脑", "课外读物"]
MEALS = ["午餐", "早餐", "晚餐"]
GRADES = ["初三", "高三", "六年级", "初二", "高一"]
SERVICES = ["学籍转出手续", "入学登记", "资助申请", "毕业证明", "教师资格认定"]
KINDS = {"complaint": 60, "report": 25, "suggestion": 15}
CHANNELS = {"web": 70, "phone": 22, "letter": 5, "visit": 3}
RATINGS = {5: 50, 4: 25, 3: 12, 2: 8, 1: 5}


def _pick(rng: random.Random, shares: dict[Any, int], k: int) -> list[Any]:
    return rng.choices(list(shares), weights=list(shares.values()), k=k)


def complaint(rng: random.Random, unit_name: str) -> tuple[str, str]:
    text = rng.choice(TEMPLATES).format(
        unit=unit_name,
        item=rng.choice(ITEMS),
        amount=rng.choice([50, 80, 120, 200, 300, 500]),
        meal=rng.choice(MEALS),
        grade=rng.choice(GRADES),
        service=rng.choice(SERVICES),
        n=rng.randint(2, 6),
    )
    return text[:30].rstrip("，。"), text


# --- Child: building the tickets ------------------------------------------------------------
def status_for(rng: random.Random, age_days: int) -> str:
    """What a ticket of that age has become: recent ones are open, old ones mostly done."""
    if age_days <= 2:
        return rng.choices(["received", "accepted", "assigned"], [50, 30, 20])[0]
    if age_days <= 30:
        shares = {"accepted": 5, "assigned": 20, "handling": 35, "replied": 25, "closed": 10}
    else:
        shares = {"handling": 2, "replied": 10, "closed": 80, "declined": 5, "assigned": 3}
    status = _pick(rng, shares, 1)[0]
    return "merged" if rng.random() < 0.03 else status


def build(count: int, seed: int, copies: int = 1) -> dict[str, Any]:
    """`count` tickets in batches of BATCH with the columns the queue reads and sorts by set
    as the actions set them (deadlines on the working-day calendar, light and sort key
    through deadlines.set_light), and their decision events."""
    _setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from qingfeng.core.calendar import get_calendar
    from qingfeng.core.fields import blind_index
    from qingfeng.intake import deadlines, receipts
    from qingfeng.intake.models import Ticket, TicketCategory, TicketEvent, TicketMessage
    from qingfeng.orgs.models import Unit

    rng = random.Random(seed)
    started = time.perf_counter()
    today = timezone.localdate()
    now = timezone.now()
    calendar = get_calendar()
    units = list(Unit.objects.filter(is_active=True).values_list("id", "kind", "name", "path"))
    by_path = {path: uid for uid, _k, _n, path in units}
    schools = [u for u in units if u[1] in {"school", "kindergarten"}]
    offices = [u for u in units if u[1] in {"county", "department", "bureau"}]
    categories = list(TicketCategory.objects.filter(is_active=True))
    cat_weights = [max(1, 12 - 2 * i) for i in range(len(categories))]

    def county_of(path: str) -> int:
        # The county bureau is the second level of the tree (the bureau is the root).
        parts = [p for p in path.split("/") if p]
        return by_path.get("/".join(parts[:2]) + "/", by_path.get(path, 0)) if parts else 0

    due_cache: dict[tuple[dt.date, int], dt.date] = {}

    def due(day: dt.date, days: int) -> dt.date:
        if (day, days) not in due_cache:
            due_cache[(day, days)] = calendar.add_workdays(day, days)
        return due_cache[(day, days)]

    serial_of_day: dict[dt.date, int] = {}
    made = 0
    masters: dict[int, int] = {}  # unit -> an earlier ticket, for merged duplicates
    drawn = count // copies
    since = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        while made < drawn:
            n = min(BATCH, drawn - made)
            kinds, channels = _pick(rng, KINDS, n), _pick(rng, CHANNELS, n)
            tickets: list[Ticket] = []
            for i in range(n):
                uid, _kind, name, path = rng.choice(schools if rng.random() < 0.85 else offices)
                created = now - dt.timedelta(
                    days=rng.randint(0, 364), minutes=rng.randint(0, 24 * 60)
                )
                day = timezone.localtime(created).date()
                serial_of_day[day] = serial_of_day.get(day, 0) + 1
                age = (today - day).days
                status = status_for(rng, age)
                category = rng.choices(categories, weights=cat_weights)[0]
                title, content = complaint(rng, name)
                named = rng.random() < 0.35
                phone = f"139{rng.randint(0, 99_999_999):08d}" if named else ""
                ticket = Ticket(
                    number=f"ZT{day:%Y%m%d}-{serial_of_day[day]:05d}",
                    receipt_hash=receipts.receipt_hash(f"{rng.getrandbits(64):020d}"),
                    kind=kinds[i],
                    channel=channels[i],
                    category=category,
                    unit_id=uid,
                    title=title,
                    content=content,
                    anonymous=not named,
                    reporter_name=f"反映人{made + i}" if named else "",
                    reporter_phone=phone,
                    reporter_phone_index=blind_index(phone) if phone else "",
                    status=status,
                    accept_due=due(day, category.accept_days),
                    reply_due=due(day, category.reply_days),
                    created_at=created,
                    updated_at=created,
                )
                if status not in {"received", "accepted", "declined"}:
                    ticket.handling_unit_id = uid if rng.random() < 0.6 else county_of(path)
                if status in {"replied", "closed"}:
                    late = rng.random() < 0.12
                    ticket.replied_at = created + dt.timedelta(
                        days=rng.randint(22, 40) if late else rng.randint(3, 20)
                    )
                    if rng.random() < 0.6:
                        ticket.rating = _pick(rng, RATINGS, 1)[0]
                if status == "merged" and uid in masters:
                    ticket.master_id = masters[uid]
                elif status == "merged":
                    ticket.status = status = "closed"
                deadlines.set_light(ticket, today)
                tickets.append(ticket)
            Ticket.objects.bulk_create(tickets, batch_size=BATCH)
            events: list[TicketEvent] = []
            replies: list[TicketMessage] = []
            for ticket in tickets:
                masters.setdefault(ticket.unit_id or 0, ticket.pk)
                at = ticket.created_at
                steps = [("submit", "", "received")]
                if ticket.status == "declined":
                    steps.append(("decline", "received", "declined"))
                elif ticket.status != "received":
                    steps.append(("accept", "received", "accepted"))
                if ticket.handling_unit_id:
                    steps.append(("assign", "accepted", "assigned"))
                if ticket.status in {"handling", "replied", "closed"}:
                    steps.append(("start", "assigned", "handling"))
                if ticket.replied_at:
                    steps.append(("reply", "handling", "replied"))
                if ticket.status == "closed":
                    steps.append(("close", "replied", "closed"))
                if ticket.status == "merged":
                    steps.append(("merge", "accepted", "merged"))
                for k, (action, before, after) in enumerate(steps):
                    when = ticket.replied_at if action == "reply" else at + dt.timedelta(hours=k)
                    events.append(
                        TicketEvent(
                            ticket=ticket,
                            action=action,
                            from_status=before,
                            to_status=after,
                            unit_id=ticket.handling_unit_id,
                            created_at=when,
                        )
                    )
                if ticket.replied_at:
                    replies.append(
                        TicketMessage(
                            ticket=ticket,
                            author_kind="staff",
                            body="经核查，已责令整改并向反映人说明情况。",
                            is_reply=True,
                            created_at=ticket.replied_at,
                        )
                    )
            TicketEvent.objects.bulk_create(events, batch_size=BATCH)
            TicketMessage.objects.bulk_create(replies, batch_size=BATCH)
            made += n
            if made % 50_000 == 0:
                print(f"   {made:,} tickets", file=sys.stderr, flush=True)
        if copies > 1:
            # The rest as copies (bench/ledger.py: replicate), without events or messages:
            # the queue reads neither.
            made += replicate(
                Ticket,
                copies,
                {
                    "number": "\"number\" || '-{k}'",
                    "receipt_hash": "substr(\"receipt_hash\", 1, 56) || '-{k}'",
                },
                since,
            )
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "build_s": build_s,
        "analyse_s": time.perf_counter() - started,
    }


# --- Child: measuring in process ------------------------------------------------------------
def measure(
    repeat: int, seed: int, queue_only: bool = False, typical_repeat: int = 10
) -> dict[str, Any]:
    _setup_django()
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from qingfeng.core import listing
    from qingfeng.intake import actions, selectors
    from qingfeng.intake.models import Ticket, TicketCategory
    from qingfeng.intake.views import QUEUE
    from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED
    from qingfeng.orgs.models import Role, RoleAssignment, Unit, User

    def signed_in(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        session = client.session
        session[SESSION_STARTED] = time.time()
        session[SESSION_VERIFIED] = True
        session.save()
        return client

    county = RoleAssignment.objects.get(
        user__username="demo_county", role=Role.UNIT_ADMIN, revoked_at=None
    ).unit
    category = TicketCategory.objects.filter(is_active=True).order_by("sort_order", "id").first()
    assert category is not None
    filters = {
        "open tickets (default)": {},
        "红灯 + 投诉": {"light": "red", "kind": "complaint"},
        f"全部状态 + {category.name} + 本县": {
            "status": "all",
            "category": str(category.pk),
            "unit": str(county.pk),
        },
        "全部状态 + 搜索“补课”": {"status": "all", "q": "补课"},
    }
    clients = {
        "bureau intake office": signed_in("demo_bureau"),
        "county admin": signed_in("demo_county"),
        "hotline operator": signed_in("demo_hotline"),
    }
    cursor_re = re.compile(r'href="\?[^"]*after=([0-9]+\.[0-9-]+\.[0-9]+)"')

    def url_for(params: dict[str, str], after: str = "") -> str:
        query = dict(params, **({"after": after} if after else {}))
        return "/intake/" + ("?" + urllib.parse.urlencode(query) if query else "")

    def get(client: Client, url: str, htmx: bool = False) -> Callable[[], Any]:
        headers = {"HX-Request": "true"} if htmx else {}

        def request() -> Any:
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
            return response

        return request

    operations: list[tuple[str, Callable[[], Any]]] = []
    depth: dict[str, int] = {}
    for who, client in clients.items():
        for label, params in filters.items():
            if who == "hotline operator" and label != "open tickets (default)":
                continue
            operations.append(
                (f"staff queue: {who}, {label}, page 1", get(client, url_for(params)))
            )
            after, page = "", 1
            while page < 50:
                found = cursor_re.search(client.get(url_for(params, after)).content.decode())
                if not found:
                    break
                after, page = found.group(1), page + 1
            depth[f"{who}, {label}"] = page
            if page > 1:
                operations.append(
                    (
                        f"staff queue: {who}, {label}, page {page} (htmx rows)",
                        get(client, url_for(params, after), htmx=True),
                    )
                )
    # The comparator (issue 12): the queue as a typical Django project writes it, over the
    # same scoped queryset: Paginator (COUNT(*), OFFSET), a plain template (bench/pagecost.py).
    open_statuses = list(selectors.OPEN)

    def typical_tickets(user: User, params: dict[str, str]) -> Any:
        rows = selectors.tickets_visible_to(user).select_related(
            "unit", "handling_unit", "category"
        )
        status = params.get("status", "")
        if status != "all":
            rows = rows.filter(status=status) if status else rows.filter(status__in=open_statuses)
        for key in ("light", "kind"):
            if params.get(key):
                rows = rows.filter(**{key: params[key]})
        if params.get("category"):
            rows = rows.filter(category_id=int(params["category"]))
        if params.get("unit"):
            path = Unit.objects.get(pk=int(params["unit"])).path
            rows = rows.filter(
                Q(unit__path__startswith=path) | Q(handling_unit__path__startswith=path)
            )
        if params.get("q"):
            rows = rows.filter(Q(title__icontains=params["q"]) | Q(content__icontains=params["q"]))
        return rows.order_by(*listing.UrgencyCursor.order())

    typical_queue = pagecost.typical_view(
        typical_tickets,
        [
            ("预警", lambda t: t.light),
            ("编号", lambda t: t.number),
            ("工单", lambda t: f"{t.title} {t.get_kind_display()} {t.category.name}"),
            ("反映对象", lambda t: t.unit.short_name or t.unit.name if t.unit else "—"),
            ("承办单位", lambda t: t.handling_unit.name if t.handling_unit else "—"),
            ("期限", lambda t: t.reply_due or t.accept_due or "—"),
            ("状态", lambda t: t.get_status_display()),
        ],
        "工单",
        QUEUE.page_size,
    )
    typical: list[tuple[str, str, Callable[[], Any]]] = []
    for name, _op in operations:
        found = re.fullmatch(r"staff queue: (.+?), (.+), page (\d+)( \(htmx rows\))?", name)
        if found:
            who, label, page, _htmx = found.groups()
            url = "/bench/typical-queue/?" + urllib.parse.urlencode(
                {**filters[label], "page": page}
            )
            typical.append(
                (name, f"typical Django queue: {who}, {label}, page {page}", get(clients[who], url))
            )
    queue_ops = [name for name, _op in operations]

    stats_url = "" if queue_only else _stats_url()
    if stats_url:
        public = Client()

        def stats_cold() -> Any:
            cache.clear()  # the page caches its numbers for a few minutes; time the work
            return get(public, stats_url)()

        operations.append(("public statistics page, computed (cache cleared)", stats_cold))
        operations.append(("public statistics page, cached", get(public, stats_url)))

    # The duplicate check of a freshly stored ticket: texts written like the existing ones,
    # about schools that have tickets, stored through the action (not timed), then checked.
    rng = random.Random(seed + 1)
    check = None if queue_only else _duplicate_check()
    fresh: list[Ticket] = []
    if check is not None:
        schools = list(
            Unit.objects.filter(kind="school", is_active=True).values_list("id", "name")[:400]
        )
        for _ in range(repeat + WARMUP):
            uid, name = rng.choice(schools)
            title, content = complaint(rng, name)
            ticket, _code = actions.check_submit_ticket(
                kind="complaint",
                category=category,
                unit=Unit.objects.get(pk=uid),
                title=title,
                content=content,
                anonymous=True,
            )
            fresh.append(ticket)
        pending = list(fresh)

        def duplicate_check() -> Any:
            return check(pending.pop())

        operations.append(("duplicate check of a new ticket (same unit, 90 days)", duplicate_check))

    for _name, operation in operations:
        for _ in range(WARMUP):
            operation()
    # Each queue page's bare SQL (bench/pagecost.py), timed in the same round robin.
    sent = {name: pagecost.statements(op) for name, op in operations if name in queue_ops}
    timed = [*operations, *((f"{name} [bare]", pagecost.bare(sent[name][0])) for name in sent)]
    samples: dict[str, list[float]] = {name: [] for name, _op in timed}
    cpu: dict[str, list[float]] = {name: [] for name, _op in timed}
    for _ in range(repeat):
        for name, operation in timed:
            started, started_cpu = time.perf_counter(), time.process_time()
            operation()
            samples[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - started_cpu) * 1000)
    typical_samples: dict[str, list[float]] = {name: [] for _o, name, _op in typical}
    typical_queries: dict[str, int] = {}
    with pagecost.bench_urls({"typical-queue": typical_queue}):
        for _ours, name, operation in typical:
            operation()  # warm-up
            with CaptureQueriesContext(connection) as queries:
                operation()
            typical_queries[name] = len(queries)
        for _ in range(typical_repeat):
            for _ours, name, operation in typical:
                typical_samples[name].append(pagecost.timed(operation))
    of_page = {ours: name for ours, name, _op in typical}
    results: list[dict[str, Any]] = []
    flagged = 0
    for name, operation in operations:
        if name.startswith("duplicate check"):
            pending.append(fresh[0])  # one more run, for the query count
        with CaptureQueriesContext(connection) as queries:
            outcome = operation()
        if name.startswith("duplicate check"):
            flagged = sum(1 for t in fresh if check(t))
        slowest = max((float(q["time"]) for q in queries.captured_queries), default=0.0)
        result = {
            "name": name,
            "queries": len(queries),
            "slowest_query_ms": slowest * 1000,
            "cpu_median": statistics.median(cpu[name]),
            **summarise(samples[name]),
        }
        if name in sent:
            bare = statistics.median(samples[f"{name} [bare]"])
            result.update(
                writes=sent[name][1], bare_median=bare, page_over_bare=result["median"] / bare
            )
        if name in of_page:
            other = summarise(typical_samples[of_page[name]])
            result["typical"] = {
                "name": of_page[name],
                "queries": typical_queries[of_page[name]],
                **other,
                "typical_over_page": other["median"] / result["median"],
            }
        results.append(result)
        del outcome
    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)  # type: ignore[attr-defined]
        version = f"PostgreSQL {major}.{minor}"
    else:
        import sqlite3

        version = f"SQLite {sqlite3.sqlite_version}"
    today = timezone.localdate()
    return {
        "database": version,
        "units": Unit.objects.count(),
        "tickets": Ticket.objects.count(),
        "open_tickets": Ticket.objects.filter(
            status__in=["received", "accepted", "assigned", "handling", "replied"]
        ).count(),
        "red_today": Ticket.objects.filter(light="red").count(),
        "county": county.name,
        "depth": depth,
        "fresh_flagged": f"{flagged} of {len(fresh)}" if fresh else "",
        "today": today.isoformat(),
        "repeat": repeat,
        "operations": results,
    }


def _stats_url() -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("report:stats")
    except NoReverseMatch:
        return ""


def _duplicate_check() -> Callable[[Any], Any] | None:
    """The check the after-submit job runs for a new ticket (it returns the candidates)."""
    try:
        from qingfeng.intake import similarity
    except ImportError:
        return None
    return getattr(similarity, "candidates_for", None)


# --- Child: the intake POST under load ------------------------------------------------------
def _server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    web = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "qingfeng.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "3",
            "--chdir",
            str(REPO / "src"),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=REPO,
    )
    worker = subprocess.Popen(
        [PY, str(REPO / "manage.py"), "run_huey", "--quiet"], env=env, cwd=REPO
    )
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in {200, 503}:
                return web, worker
        except OSError:
            time.sleep(0.1)
    web.terminate()
    worker.terminate()
    sys.exit("the server did not start")


def load(env: dict[str, str], rate: float, seconds: float, seed: int) -> dict[str, Any]:
    """Open-loop load on the public form: request i is sent at i / rate seconds."""
    _setup_django()
    from qingfeng.intake.models import Ticket, TicketCategory
    from qingfeng.orgs.models import Unit

    rng = random.Random(seed + 2)
    schools = list(
        Unit.objects.filter(kind="school", is_active=True).values_list("id", "name")[:2000]
    )
    categories = list(TicketCategory.objects.filter(is_active=True).values_list("id", flat=True))
    before = Ticket.objects.count()
    web, worker = _server(env)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        conn.request("GET", "/report/new/")
        response = conn.getresponse()
        page = response.read().decode()
        cookie = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the form"
        total = int(rate * seconds)
        run = uuid.uuid4().hex[:12]  # keys of an earlier run on this database are used up
        bodies = []
        for i in range(total):
            uid, name = rng.choice(schools)
            title, content = complaint(rng, name)
            named = rng.random() < 0.35
            fields = {
                "csrfmiddlewaretoken": token.group(1),
                "kind": rng.choice(["complaint", "report", "suggestion"]),
                "category": str(rng.choice(categories)),
                "unit": str(uid),
                "title": title,
                "content": content,
                "occurred": "本学期",
                "identity": "named" if named else "anonymous",
                "reporter_name": "反映人" if named else "",
                "reporter_phone": f"138{i:08d}" if named else "",
                "idempotency_key": f"bench-{run}-{i:06d}",
            }
            bodies.append(urllib.parse.urlencode(fields).encode())
        results: list[tuple[float, float, int, bool, str]] = [(0.0, 0.0, 0, False, "")] * total
        local = threading.local()

        def send(i: int, scheduled: float) -> None:
            started = time.perf_counter()
            status, ok, error = 0, False, ""
            try:
                if getattr(local, "conn", None) is None:
                    local.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                local.conn.request(
                    "POST",
                    "/report/new/",
                    body=bodies[i],
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": cookie,
                        "Referer": f"http://127.0.0.1:{PORT}/report/new/",
                    },
                )
                reply = local.conn.getresponse()
                html = reply.read().decode()
                status = reply.status
                ok = status == 200 and 'data-testid="receipt-code"' in html
                if not ok:
                    error = f"HTTP {status}"
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
                local.conn = None
            results[i] = (
                (time.perf_counter() - started) * 1000,
                started - scheduled,
                status,
                ok,
                error,
            )

        pool = ThreadPoolExecutor(max_workers=32)
        begin = time.perf_counter() + 0.5
        for i in range(total):
            scheduled = begin + i / rate
            pause = scheduled - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(send, i, scheduled)
        pool.shutdown(wait=True)
        elapsed = time.perf_counter() - begin
    finally:
        web.terminate()
        worker.terminate()
        web.wait(20)
        worker.wait(20)
    latencies = [r[0] for r in results]
    errors: dict[str, int] = {}
    for r in results:
        if not r[3]:
            errors[r[4]] = errors.get(r[4], 0) + 1
    stored = Ticket.objects.count() - before
    return {
        "name": f"intake POST /report/new/ at {rate:g} req/s for {seconds:g} s (open loop)",
        "requests": total,
        "achieved_rate": total / elapsed,
        "max_dispatch_delay_ms": max(r[1] for r in results) * 1000,
        "stored": stored,
        "errors": errors,
        **summarise(latencies),
        "p99": percentile(latencies, 99),
    }


# --- Parent ---------------------------------------------------------------------------------
def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [PY, __file__, *args], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        sys.exit(f"bench/intake.py {' '.join(args)} failed:\n{done.stdout}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    url = f"sqlite:///{SQLITE_PATH}" if kind == "sqlite" else args.pg_url
    env = bench_env(url)
    # The public form's human check is a picture a person reads, and its rate limit counts
    # submissions per network address: the benchmark is one address sending for many people.
    env.update(QF_INTAKE_HUMAN_CHECK="0", QF_INTAKE_SUBMITS_PER_HOUR="1000000")
    built: dict[str, Any] = {}
    if not args.reuse:
        print(f"== {kind}: building the city and {args.tickets:,} tickets", flush=True)
        if kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        else:
            _fresh_postgres(url)
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        seed_s, _out = manage(env, "seed_demo", "--size", "city", "--seed", str(args.seed))
        built = _child(env, "--child", "build", "--tickets", str(args.tickets))
        built["seed_s"] = seed_s
        signatures_s, _out = manage(env, "intake_signatures")
        built["signatures_s"] = signatures_s
        print(
            f"   seed_demo {seed_s:.1f} s, {built['tickets']:,} tickets and "
            f"{built['events']:,} events in {built['build_s']:.1f} s, signatures "
            f"{signatures_s:.1f} s",
            flush=True,
        )
    else:
        manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    if kind == "postgres":
        with pg_connect(url) as conn:
            conn.execute("VACUUM ANALYZE")
    print(f"== {kind}: timing ({args.repeat} runs each)", flush=True)
    load_before = os.getloadavg()[0]
    result = _child(env, "--child", "measure", "--repeat", str(args.repeat))
    print(f"== {kind}: {args.rate:g} POST/s for {args.seconds:g} s", flush=True)
    posting = _child(
        env, "--child", "load", "--rate", str(args.rate), "--seconds", str(args.seconds)
    )
    result["load_test"] = posting
    result["built"] = built
    result["load"] = (load_before, os.getloadavg()[0])
    (OUT / f"intake-{kind}.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return result


def _target(name: str) -> tuple[str, float] | None:
    for prefix, stat, limit in TARGETS:
        if name.startswith(prefix):
            return stat, limit
    return None


def _vs(name: str, op: dict[str, Any]) -> list[str]:
    target = _target(name)
    if target is None:
        return ["—", "—"]
    stat, limit = target
    return [f"≤ {limit:.0f} ms ({stat})", f"{op[stat] / limit:.2f}"]


def table(result: dict[str, Any]) -> list[str]:
    built = result.get("built") or {}
    how = (
        f"built in {built['build_s']:.0f} s with bulk_create, signatures "
        f"{built['signatures_s']:.0f} s"
        if "build_s" in built
        else "built by an earlier run"
    )
    lines = [
        f"### {result['database']}",
        "",
        f"{result['units']:,} units, {result['tickets']:,} tickets ({how}); "
        f"{result['open_tickets']:,} open, {result['red_today']:,} red. "
        f"Load average (1 min) {result['load'][0]:.1f} before measuring, "
        f"{result['load'][1]:.1f} after.",
        "",
        "| operation | runs | median | p95 | min | max | CPU median | queries | slowest query "
        "| target | vs target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for op in result["operations"]:
        stats = [fmt_ms(op[k]) for k in ("median", "p95", "min", "max")]
        row = [op["name"], str(op["n"]), *stats, fmt_ms(op["cpu_median"]), str(op["queries"])]
        row += [fmt_ms(op["slowest_query_ms"]), *_vs(op["name"], op)]
        lines.append("| " + " | ".join(row) + " |")
    post = result["load_test"]
    errors = sum(post["errors"].values())
    error_text = ", ".join(f"{k} × {v}" for k, v in post["errors"].items()) or "none"
    lines += [
        "",
        "| under load | requests | achieved rate | median | p95 | p99 | max | errors | stored "
        "| target | vs target |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---|---:|",
        "| "
        + " | ".join(
            [
                post["name"],
                str(post["requests"]),
                f"{post['achieved_rate']:.1f}/s",
                *(fmt_ms(post[k]) for k in ("median", "p95", "p99", "max")),
                f"{errors} ({error_text})",
                str(post["stored"]),
                *_vs("intake POST", post),
            ]
        )
        + " |",
        "",
    ]
    if result.get("fresh_flagged"):
        lines += [
            f"The new tickets of the duplicate check were flagged as near-duplicates in "
            f"{result['fresh_flagged']} cases (texts written like the existing ones, at "
            "schools with tickets).",
            "",
        ]
    return lines


def write_results(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True).stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    if git("status", "--porcelain", "--untracked-files=no").strip():
        commit += " plus uncommitted changes"
    now = dt.datetime.now().astimezone()
    info = machine(args.pg_url, "postgres" in results)
    machine_line = ", ".join(
        f"{info[k]}" if k == "CPU" else f"{k} {info[k]}"
        for k in ("CPU", "cores", "RAM", "SQLite", "PostgreSQL", "Python", "Django")
    )
    lines = [
        START,
        "## Intake (issue 5)",
        "",
        f"Measured {now:%Y-%m-%d %H:%M %Z} at commit `{commit}` with `bench/intake.py "
        f"--db {args.db} --tickets {args.tickets} --repeat {args.repeat} --rate {args.rate:g} "
        f"--seconds {args.seconds:g}`. Machine: {machine_line}. The first table goes through "
        "Django's test client in one process, as the tables above (each operation twice "
        "untimed, then `--repeat` times in turn with the others; p95 nearest-rank). The load "
        "test runs the real server — gunicorn with three workers and the task worker, as "
        "`manage.py serve` — on the same two cores as the client that sends the requests, "
        "with the human check off and the per-address limit raised (one address sends for "
        "many people); a request counts as an error unless it answers 200 with a receipt "
        "code. What is measured and what the numbers showed: `bench/README.md`, section Intake.",
        "",
    ]
    for result in results.values():
        lines += table(result)
    lines.append(END)
    path = BENCH / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    section = "\n".join(lines)
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"wrote the Intake section of {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="measure the database built before")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    parser.add_argument("--pg-url", default=os.environ.get("QF_BENCH_INTAKE_PG_URL", DEFAULT_PG))
    parser.add_argument("--typical-repeat", type=int, default=10, help="runs of the comparator")
    parser.add_argument("--queue-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--copies", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=("build", "measure", "load"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "build":
        print(json.dumps(build(args.tickets, args.seed, args.copies)))
        return
    if args.child == "measure":
        print(json.dumps(measure(args.repeat, args.seed, args.queue_only, args.typical_repeat)))
        return
    if args.child == "load":
        print(json.dumps(load(dict(os.environ), args.rate, args.seconds, args.seed)))
        return
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and postgres_version(args.pg_url).startswith("not reachable"):
        if args.db == "postgres":
            sys.exit(f"PostgreSQL is not reachable at {args.pg_url}")
        print(f"PostgreSQL is not reachable at {args.pg_url}: SQLite only", flush=True)
        kinds = ["sqlite"]
    OUT.mkdir(parents=True, exist_ok=True)
    results = {kind: run_database(kind, args) for kind in kinds}
    for result in results.values():
        print("\n".join(table(result)))
    if not args.no_write:
        write_results(args, results)


if __name__ == "__main__":
    main()
