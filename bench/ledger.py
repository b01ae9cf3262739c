"""Time the problem ledger at city size (500,000 problems) or province size (issue 12).

    .venv/bin/python bench/ledger.py [--db sqlite|postgres|both] [--size city|province]
                                     [--problems N] [--tickets N] [--copies N] [--repeat 30]
                                     [--typical-repeat 10] [--updates 50000] [--reuse]
                                     [--build-only] [--keep-seed] [--queue] [--explain]
                                     [--no-write]

For each database: a fresh SQLite file (bench/out/ledger.sqlite3) or PostgreSQL database
(qingfeng_bench_ledger; the province's with the suffix _province), `migrate` and `seed_demo
--size city|province` (as bench/run.py does), then in child processes with bench/run.py's
production-like environment: `--problems` problems written with bulk_create in batches
(build; `--copies N` draws 1/N of them and copies the rest in the database), `--tickets`
tickets by bench/intake.py's builder, and the timings (measure): the ledger list page for a
county admin and the bureau admin with three filters at page 1 and ~50 pages deep (following
the "load more" cursor), the home page, "my items" of a teacher, each with its bare SQL
(page ÷ bare SQL) and a typical Django page as comparator (bench/pagecost.py); the daily
light recompute and a batch of closings, then the list pages again; with tickets the staff
queue (bench/intake.py's measuring child). Targets (issues 4, 12): list and queue p95 <= 300
ms, the bureau's home page p95 <= 100 ms, my items p95 <= 150 ms, light recompute <= 60 s.
`--reuse` measures the database built by an earlier run (after `migrate`, so a new index is
applied to it). Results go to the terminal, bench/out/ledger-<db>[-province].json and the
"Ledger" (or "Ledger, province") section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import pagecost  # noqa: E402
from measure import WARMUP, summarise  # noqa: E402
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

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/qingfeng_bench_ledger"
SQLITE_PATH = OUT / "ledger.sqlite3"
# The province (issue 12): seed_demo's four cities, 2,000,000 problems and 800,000 tickets,
# in a database of its own so that the city's stays.
PROVINCE = {"problems": 2_000_000, "tickets": 800_000}
BATCH = 5000
TEACHER_ITEMS = 20  # open items of demo_teacher; plus a few closed ones and a draft
# (operation name prefix, statistic, limit in ms)
TARGETS = (
    ("ledger list", "p95", 300),
    ("staff queue", "p95", 300),
    ("home page (ledger lights per unit): bureau admin", "p95", 100),
    ("my items", "p95", 150),
    ("light recompute", "max", 60_000),
)
START, END = "<!-- ledger:start -->", "<!-- ledger:end -->"
MARKERS = {
    "city": (START, END),
    "county": (START, END),
    "province": ("<!-- ledger-province:start -->", "<!-- ledger-province:end -->"),
}


# --- Child: building the problems -----------------------------------------------------------
def _setup_django() -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingfeng.settings")
    import django

    django.setup()


# Shares, chosen to look like a campaign half-way through (the sums are 100).
STATUSES = {
    "draft": 2,
    "assigned": 6,
    "accepted": 6,
    "rectifying": 38,
    "closure_requested": 8,
    "stage_completed": 3,
    "closed": 35,
    "withdrawn": 2,
}
LIST_KINDS = {"personal": 55, "department_risk": 30, "leadership": 15}
SOURCES = {
    "self_check": 40,
    "inspection": 15,
    "supervision": 15,
    "from_above": 10,
    "channel": 8,
    "hotline": 8,
    "remedial": 4,
}
TYPES = {"time_limited": 75, "immediate": 10, "long_term": 15}
# Problems per person of a unit, by kind: offices collect more problems than their headcount.
UNIT_WEIGHT = {
    "school": 1.0,
    "kindergarten": 0.8,
    "county": 4.0,
    "department": 3.0,
    "bureau": 3.0,
    "research": 1.0,
    "affiliated": 1.0,
    "other": 1.0,
}
SUBJECTS = [
    "会议文件过多，基层负担重",
    "推荐学生购买指定教辅",
    "节日期间收受家长礼品",
    "公务用车节假日停放在家",
    "课后服务收费未公示",
    "工作日午间饮酒",
    "考勤制度执行不严",
    "对群众来电推诿敷衍",
    "职称推荐程序不公开",
    "违规组织有偿补课",
]
PROGRESS = {
    "draft": (0, 0),
    "assigned": (0, 0),
    "accepted": (0, 10),
    "rectifying": (10, 90),
    "closure_requested": (100, 100),
    "stage_completed": (60, 100),
    "closed": (100, 100),
    "withdrawn": (0, 50),
}


def _pick(rng: random.Random, shares: dict[str, int], k: int) -> list[str]:
    return rng.choices(list(shares), weights=list(shares.values()), k=k)


def replicate(model: Any, copies: int, overrides: dict[str, str], since: int) -> int:
    """Every row of `model`'s table copied `copies - 1` times by the database itself
    (INSERT … SELECT: the province's volume without Python's cost per row), each copy with
    the columns of `overrides` rewritten (`{k}` = the copy's number, `{n}` = rows before);
    only the rows after id `since` (this build's) are copied;
    triggers and indexes are maintained as for any insert. Returns the rows added."""
    from django.db import connection

    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), max(id) FROM {table} WHERE id > %s",  # noqa: S608 - fixed names
            [since],
        )
        rows, last = cursor.fetchone()
        for k in range(1, copies):
            values = ", ".join(
                overrides[c].format(k=k, n=rows) if c in overrides else f'"{c}"' for c in columns
            )
            names = ", ".join(f'"{c}"' for c in columns)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {values} FROM {table} "  # noqa: S608
                f"WHERE id > {int(since)} AND id <= {int(last)} ORDER BY id"
            )
            print(f"   copy {k} of {table}", file=sys.stderr, flush=True)
    return rows * (copies - 1)


def build(count: int, seed: int, oldest_days: int = 200, copies: int = 1) -> dict[str, Any]:
    """`count` problems in batches of BATCH, with the columns the pages read and sort by set
    exactly as the actions set them (number and serial, light through light_on, urgency and
    due_key through Problem.set_light), registered 20 to `oldest_days` days ago. With
    `copies` > 1, count / copies of them drawn so and the rest copies of those (replicate)."""
    _setup_django()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from qingfeng.core.calendar import get_calendar
    from qingfeng.ledger.actions import LIST_CODES
    from qingfeng.ledger.deadlines import light_on
    from qingfeng.ledger.models import Category, Problem
    from qingfeng.orgs.models import Person, Unit, User

    rng = random.Random(seed)
    started = time.perf_counter()
    today = timezone.localdate()
    now = timezone.now()
    calendar = get_calendar()
    past = [calendar.add_workdays(today, -n) for n in range(60, 0, -1)]
    future = [calendar.add_workdays(today, n) for n in range(0, 61)]
    yellow_days = settings.QF_LEDGER_YELLOW_DAYS

    # Accounts for about 3% of the people, so that some responsible persons sign in (their
    # items join through person.user); the demo accounts exist already.
    people = list(Person.objects.filter(is_active=True).values_list("id", "unit_id", "post_type"))
    unusable = make_password(None)
    chosen = [p for p in people if rng.random() < 0.03]
    has_user = set(Person.objects.filter(user__isnull=False).values_list("id", flat=True))
    chosen = [p for p in chosen if p[0] not in has_user]
    with transaction.atomic():
        User.objects.bulk_create(
            [
                User(username=f"bench_{pid}", password=unusable, must_change_password=False)
                for pid, _u, _t in chosen
            ],
            batch_size=BATCH,
        )
        ids = dict(User.objects.filter(username__startswith="bench_").values_list("username", "id"))
        Person.objects.bulk_update(
            [Person(id=pid, user_id=ids[f"bench_{pid}"]) for pid, _u, _t in chosen],
            ["user"],
            batch_size=BATCH,
        )

    by_unit: dict[int, list[int]] = {}
    leaders: dict[int, list[int]] = {}
    for pid, unit_id, post_type in people:
        by_unit.setdefault(unit_id, []).append(pid)
        if post_type in {"leader", "middle"}:
            leaders.setdefault(unit_id, []).append(pid)
    units = [
        (uid, kind)
        for uid, kind in Unit.objects.filter(is_active=True).values_list("id", "kind")
        if by_unit.get(uid)
    ]
    weights = [UNIT_WEIGHT.get(kind, 1.0) * len(by_unit[uid]) for uid, kind in units]
    # Categories as campaigns find them: a few common ones, a long tail.
    categories = list(Category.objects.order_by("sort_order", "id").values_list("id", flat=True))
    cat_weights = [max(1, 20 - 3 * i) if i < 6 else 2 for i in range(len(categories))]
    teacher = Person.objects.get(user__username="demo_teacher")
    light_cache: dict[tuple[dt.date | None, str], str] = {}

    def light(deadline: dt.date | None, status: str) -> str:
        key = (deadline, status)
        if key not in light_cache:
            light_cache[key] = light_on(deadline, status, today, yellow_days=yellow_days)
        return light_cache[key]

    first = (Problem.objects.order_by("-serial").values_list("serial", flat=True).first()) or 0
    year = today.year
    made = 0
    kinds_count: dict[str, int] = {}
    drawn = count // copies
    since = Problem.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        while made < drawn:
            n = min(BATCH, drawn - made)
            picked_units = rng.choices(units, weights=weights, k=n)
            statuses = _pick(rng, STATUSES, n)
            list_kinds = _pick(rng, LIST_KINDS, n)
            sources = _pick(rng, SOURCES, n)
            types = _pick(rng, TYPES, n)
            cats = rng.choices(categories, weights=cat_weights, k=n)
            batch = []
            for i in range(n):
                serial = first + made + i + 1
                (unit_id, unit_kind), status = picked_units[i], statuses[i]
                kinds_count[unit_kind] = kinds_count.get(unit_kind, 0) + 1
                rtype = types[i]
                if status == "stage_completed" and rtype != "long_term":
                    status = "closed"
                if rtype == "long_term" and rng.random() < 0.6:
                    deadline = None
                elif status == "closed" and rng.random() < 0.8:
                    deadline = rng.choice(past)  # what was closed was mostly due already
                else:
                    deadline = rng.choice(past if rng.random() < 0.5 else future)
                person = rng.choice(by_unit[unit_id]) if rng.random() < 0.75 else None
                if list_kinds[i] == "personal" and person is None:
                    person = rng.choice(by_unit[unit_id])
                created = now - dt.timedelta(
                    days=rng.randint(20, oldest_days), minutes=rng.randint(0, 600)
                )
                low, high = PROGRESS[status]
                subject = SUBJECTS[serial % len(SUBJECTS)]
                problem = Problem(
                    number=f"{year}-01-{LIST_CODES[list_kinds[i]]}-{serial:06d}",
                    round_no=1,
                    serial=serial,
                    list_kind=list_kinds[i],
                    source=sources[i],
                    category_id=cats[i],
                    dimension=rng.choice(["thinking", "rules", "delivery", "service", "integrity"]),
                    title=f"{subject}（第{serial}号）",
                    description=f"经{sources[i]}发现：{subject}，涉及本单位相关人员。",
                    unit_id=unit_id,
                    responsible_person_id=person,
                    responsible_leader_id=rng.choice(leaders[unit_id])
                    if leaders.get(unit_id) and rng.random() < 0.5
                    else None,
                    rectification_type=rtype,
                    deadline=deadline,
                    progress=rng.randint(low, high),
                    status=status,
                    created_at=created,
                    assigned_at=None if status == "draft" else created + dt.timedelta(days=2),
                    updated_at=created + dt.timedelta(days=rng.randint(2, 19)),
                    closed_at=created + dt.timedelta(days=19) if status == "closed" else None,
                    disclosure="published" if rng.random() < 0.04 else "private",
                )
                if problem.disclosure == "published":
                    problem.public_text = f"{subject}，正在整改。"
                problem.set_light(light(deadline, status))
                batch.append(problem)
            Problem.objects.bulk_create(batch, batch_size=BATCH)
            made += n
            if made % 100_000 == 0:
                print(f"   {made:,} problems", file=sys.stderr, flush=True)
        if copies > 1:
            made += replicate(
                Problem,
                copies,
                {"number": "\"number\" || '-{k}'", "serial": '"serial" + {k} * {n}'},
                since,
            )
        # The teacher of the demo: items of their own for "my items".
        school = teacher.unit_id
        mine = []
        for k in range(TEACHER_ITEMS + 4):
            serial = first + made + k + 1
            status = (
                ["rectifying", "accepted", "assigned", "closure_requested"][k % 4]
                if k < TEACHER_ITEMS
                else ("closed" if k < TEACHER_ITEMS + 3 else "draft")
            )
            deadline = rng.choice(past + future)
            problem = Problem(
                number=f"{year}-01-GR-{serial:06d}",
                serial=serial,
                list_kind="personal",
                source="self_check",
                category_id=categories[k % len(categories)],
                title=f"{SUBJECTS[k % len(SUBJECTS)]}（教师本人）",
                description="个人整改事项",
                unit_id=school,
                responsible_person_id=teacher.pk,
                rectification_type="time_limited",
                deadline=deadline,
                progress=PROGRESS[status][0],
                status=status,
                created_at=now - dt.timedelta(days=30),
                updated_at=now - dt.timedelta(days=3),
            )
            problem.set_light(light(deadline, status))
            mine.append(problem)
        Problem.objects.bulk_create(mine)
    build_s = time.perf_counter() - started
    # Planner statistics for the new rows, as the nightly PRAGMA optimize (SQLite) or
    # autovacuum (PostgreSQL, done by the parent with VACUUM ANALYZE) would gather them.
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for table in ("ledger_problem", "orgs_person", "orgs_user"):
                cursor.execute(f"ANALYZE {table}")
    analyse_s = time.perf_counter() - started
    return {
        "problems": Problem.objects.count(),
        "accounts_added": len(chosen),
        "by_unit_kind": kinds_count,
        "build_s": build_s,
        "analyse_s": analyse_s,
    }


# --- Child: measuring ------------------------------------------------------------------------
def measure(
    repeat: int, recompute_repeat: int, explain: bool, typical_repeat: int, updates: int
) -> dict[str, Any]:
    _setup_django()
    from urllib.parse import urlencode

    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.utils import timezone

    from qingfeng.core.calendar import get_calendar
    from qingfeng.ledger import deadlines, selectors
    from qingfeng.ledger.models import Category, Problem
    from qingfeng.ledger.views import LEDGER
    from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED
    from qingfeng.orgs.models import Person, Role, RoleAssignment, Unit, User

    def signed_in(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        session = client.session
        session[SESSION_STARTED] = time.time()
        session[SESSION_VERIFIED] = True
        session.save()
        return client

    today = timezone.localdate()
    calendar = get_calendar()
    county = RoleAssignment.objects.get(
        user__username="demo_county", role=Role.UNIT_ADMIN, revoked_at=None
    ).unit
    common = (
        Problem.objects.values("category")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("category", flat=True)
        .first()
    )
    category = Category.objects.get(pk=common)
    window = (calendar.add_workdays(today, -20), calendar.add_workdays(today, 20))
    filters = {
        "no filter": {},
        "个人清单 + 整改中 + 红灯": {
            "list_kind": "personal",
            "status": "rectifying",
            "light": "red",
        },
        f"{category.name} + 自查 + 时限±20工作日": {
            "category": str(category.pk),
            "source": "self_check",
            "deadline_from": window[0].isoformat(),
            "deadline_to": window[1].isoformat(),
        },
    }
    clients = {"county admin": signed_in("demo_county"), "bureau admin": signed_in("demo_bureau")}
    teacher = signed_in("demo_teacher")
    if county.parent is not None and county.parent.parent is not None:
        # The province: the admin of the city bureau above the county (made here: seed_demo
        # gives the province's bureau an admin, not a city's), so that one city's scope,
        # about a city's problems, is timed on the province's table as well.
        city = Unit.objects.get(pk=county.parent_id)
        admin, _made = User.objects.get_or_create(
            username="bench_city_admin", defaults={"must_change_password": False}
        )
        if admin.password_changed_at is None:
            admin.password_changed_at = timezone.now()
            admin.save(update_fields=["password_changed_at"])
        RoleAssignment.objects.get_or_create(
            user=admin, role=Role.UNIT_ADMIN, unit=city, revoked_at=None
        )
        clients["city admin"] = signed_in("bench_city_admin")
    root = Unit.objects.filter(parent=None).order_by("id").first()
    scope_word = (
        "city"
        if root is None or Unit.objects.filter(parent=root, kind="bureau").count() < 2
        else "province"
    )

    def typical_problems(user: User, params: dict[str, str]) -> Any:
        rows = selectors.problems_visible_to(user).select_related(
            "unit", "category", "responsible_person"
        )
        for key in ("list_kind", "status", "light", "source"):
            if params.get(key):
                rows = rows.filter(**{key: params[key]})
        if params.get("category"):
            rows = rows.filter(category_id=int(params["category"]))
        if params.get("deadline_from"):
            rows = rows.filter(deadline__gte=params["deadline_from"])
        if params.get("deadline_to"):
            rows = rows.filter(deadline__lte=params["deadline_to"])
        return rows.order_by("urgency", "due_key", "id")

    typical_ledger = pagecost.typical_view(
        typical_problems,
        [
            ("预警", lambda p: p.get_light_display()),
            ("编号", lambda p: p.number),
            ("问题", lambda p: f"{p.title} {p.get_list_kind_display()} {p.category.name}"),
            ("责任单位", lambda p: p.unit.short_name or p.unit.name),
            ("责任人", lambda p: p.responsible_person.name if p.responsible_person else "—"),
            ("整改时限", lambda p: p.deadline or "—"),
            ("进度", lambda p: f"{p.progress}%"),
            ("状态", lambda p: p.get_status_display()),
        ],
        "问题台账",
        LEDGER.page_size,
    )

    def typical_home(request: Any) -> Any:
        """The lights per unit below the user's unit, as a typical project counts them: for
        each unit one grouped count of its subtree's problems (a join on the unit path)."""
        from django.http import HttpResponse
        from django.template import engines

        top = (
            RoleAssignment.objects.filter(user=request.user, revoked_at=None)
            .select_related("unit")
            .order_by("unit__path")
            .first()
        )
        assert top is not None
        visible = selectors.problems_visible_to(request.user)
        rows = []
        for unit in Unit.objects.filter(parent=top.unit, is_active=True).order_by("path"):
            counts = visible.filter(unit__path__startswith=unit.path).aggregate(
                red=Count("id", filter=Q(light="red")),
                yellow=Count("id", filter=Q(light="yellow")),
                green=Count("id", filter=Q(light="green")),
            )
            rows.append({"unit": unit, **counts})
        template = engines["django"].from_string(
            '{% extends "base.html" %}{% block content %}<table>{% for r in rows %}<tr>'
            "<td>{{ r.unit.name }}</td><td>{{ r.red }}</td><td>{{ r.yellow }}</td>"
            "<td>{{ r.green }}</td></tr>{% endfor %}</table>{% endblock %}"
        )
        return HttpResponse(template.render({"rows": rows}, request))

    cursor_re = re.compile(r'href="\?[^"]*after=([0-9]+\.[0-9-]+\.[0-9]+)"')

    def url_for(params: dict[str, str], after: str = "") -> str:
        from urllib.parse import urlencode

        query = dict(params, **({"after": after} if after else {}))
        return "/ledger/" + ("?" + urlencode(query) if query else "")

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
            operations.append(
                (f"ledger list: {who}, {label}, page 1", get(client, url_for(params)))
            )
            if not params:
                continue
            # Follow "load more" as a user would, ~50 pages deep (or to the last page).
            after, page = "", 1
            while page < 50:
                html = client.get(url_for(params, after)).content.decode()
                found = cursor_re.search(html)
                if not found:
                    break
                after, page = found.group(1), page + 1
            depth[f"{who}, {label}"] = page
            if page > 1:
                operations.append(
                    (
                        f"ledger list: {who}, {label}, page {page}",
                        get(client, url_for(params, after)),
                    )
                )
                operations.append(
                    (
                        f"ledger list: {who}, {label}, page {page} (htmx rows)",
                        get(client, url_for(params, after), htmx=True),
                    )
                )
    # The home page of each scope shows the lights per unit below it (no target in the issue).
    for who, client in clients.items():
        operations.append((f"home page (ledger lights per unit): {who}", get(client, "/")))
    # The public progress page: anyone can open it, so it must not read the whole ledger.
    operations.append(
        ("public progress: units with published items (anonymous)", get(Client(), "/progress/"))
    )
    teacher_user = User.objects.get(username="demo_teacher")
    mine = selectors.my_items(teacher_user).count()
    operations.append((f"my items: teacher ({mine} items)", get(teacher, "/ledger/mine/")))

    # Comparators (issue 12), measured in the same run: the list page as a typical Django
    # project writes it (Paginator: COUNT(*) and OFFSET over the same scoped, filtered
    # queryset; a plain template extending the site's base), and the home page's lights per
    # unit as a typical project counts them (one grouped count per unit below the scope).
    typical: list[tuple[str, str, Callable[[], Any]]] = []  # (ours, name, operation)
    for name, _op in operations:
        found = re.fullmatch(r"ledger list: (.+?), (.+), page (\d+)", name)
        if found:
            who, label, page = found.groups()
            url = "/bench/typical-ledger/?" + urlencode({**filters[label], "page": page})
            typical.append(
                (name, f"typical Django list: {who}, {label}, page {page}", get(clients[who], url))
            )
        found = re.fullmatch(r"home page \(ledger lights per unit\): (.+)", name)
        if found:
            who = found.group(1)
            typical.append(
                (
                    name,
                    f"typical Django lights per unit: {who}",
                    get(clients[who], "/bench/typical-home/"),
                )
            )
    with pagecost.bench_urls({"typical-ledger": typical_ledger, "typical-home": typical_home}):
        results, plans = _time_pages(operations, typical, repeat, typical_repeat, explain)

        # A batch of updates, then the list again (issue 12: PostgreSQL's plans changed after
        # many updates): the daily light recompute for a day twenty working days on (many
        # greens turn yellow or red) and back to today, `recompute_repeat` times each way,
        # then `updates` open items closed (status, progress, closing time; the kept counts
        # follow through their triggers) and today's lights set again.
        later = calendar.add_workdays(today, 20)
        deadlines.recompute_lights(today)
        recompute: dict[str, list[float]] = {"later": [], "back": []}
        changed: dict[str, int] = {}
        for _ in range(recompute_repeat):
            for key, day in (("later", later), ("back", today)):
                started = time.perf_counter()
                changed[key] = deadlines.recompute_lights(day)
                recompute[key].append((time.perf_counter() - started) * 1000)
        for key, label in (
            ("later", f"to {later} (+20 working days)"),
            ("back", f"back to {today}"),
        ):
            results.append(
                {
                    "name": f"light recompute, whole {scope_word}, {label}: "
                    f"{changed[key]:,} lights change",
                    "queries": 5,
                    "slowest_query_ms": None,
                    "cpu_median": None,
                    **summarise(recompute[key]),
                }
            )
        updated_s = _close_some(updates)
        deadlines.recompute_lights(today)
        updated = sum(changed.values()) * recompute_repeat + updates
        after = [
            (f"{name} — after updates", op)
            for name, op in operations
            if name.startswith("ledger list")
        ]
        again, _plans = _time_pages(after, [], repeat, 0, False)
        results += again
    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)  # type: ignore[attr-defined]
        version = f"PostgreSQL {major}.{minor}"
    else:
        import sqlite3

        version = f"SQLite {sqlite3.sqlite_version}"
    county_problems = Problem.objects.filter(unit__path__startswith=county.path).count()
    return {
        "database": version,
        "units": Unit.objects.count(),
        "people": Person.objects.count(),
        "problems": Problem.objects.count(),
        "county": county.name,
        "county_problems": county_problems,
        "depth": depth,
        "repeat": repeat,
        "operations": results,
        "plans": plans,
        "updated_rows": updated,
        "updates_closed": updates,
        "updates_closed_s": updated_s,
    }


def _time_pages(
    pages: list[tuple[str, Callable[[], Any]]],
    typical: list[tuple[str, str, Callable[[], Any]]],
    repeat: int,
    typical_repeat: int,
    explain: bool,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Each page, its bare SQL (bench/pagecost.py) and the comparators: warm-up, then
    `repeat` rounds of pages and bare SQL in turn, then `typical_repeat` rounds of the
    comparators (slow at this size, so fewer); one more run of each page for its statements
    and plans. Exits loudly when a page query reads the whole problem table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _name, operation in pages:
        for _ in range(WARMUP):
            operation()
    sent = {name: pagecost.statements(operation) for name, operation in pages}
    timed = [*pages, *((f"{name} [bare]", pagecost.bare(sent[name][0])) for name, _op in pages)]
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
    for _ours, name, operation in typical:
        operation()  # warm-up: one run, they are slow
        with CaptureQueriesContext(connection) as queries:
            operation()
        typical_queries[name] = len(queries)
    for _ in range(typical_repeat):
        for _ours, name, operation in typical:
            typical_samples[name].append(pagecost.timed(operation))
    of_page = {ours: name for ours, name, _op in typical}
    results: list[dict[str, Any]] = []
    plans: dict[str, str] = {}
    scans: list[tuple[str, str, str]] = []
    for name, operation in pages:
        with CaptureQueriesContext(connection) as queries:
            operation()
        slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
        selects = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
        page = summarise(samples[name])
        bare = summarise(samples[f"{name} [bare]"])
        result = {
            "name": name,
            "queries": len(queries),
            "writes": sent[name][1],
            "slowest_query_ms": float(slowest["time"]) * 1000,
            "cpu_median": statistics.median(cpu[name]),
            **page,
            "bare_median": bare["median"],
            "page_over_bare": page["median"] / bare["median"],
        }
        if name in of_page:
            other = summarise(typical_samples[of_page[name]])
            result["typical"] = {
                "name": of_page[name],
                "queries": typical_queries[of_page[name]],
                **other,
                "typical_over_page": other["median"] / page["median"],
            }
        results.append(result)
        if explain and selects:
            plans[name] = _explain(connection, max(selects, key=lambda q: float(q["time"]))["sql"])
        for query in selects:
            scan = _full_scan(connection, query["sql"])
            if scan:
                scans.append((name, query["sql"], scan))
    if scans:
        # Loudly: a figure measured on a plan that reads the whole table is not the figure of
        # the page as designed (bench/README.md, section Ledger).
        for name, sql, plan in scans:
            print(f"!! {name}: a whole-table read of the problems\n{sql}\n{plan}\n", flush=True)
        sys.exit(f"{len(scans)} page queries read the whole problem table (plans above)")
    return results, plans


def _close_some(count: int) -> float:
    """`count` open problems closed in batches of BATCH, as a campaign's closing week
    would: status, progress and closing time (the kept counts follow through their
    triggers). Returns the seconds it took."""
    from django.db import transaction
    from django.utils import timezone

    from qingfeng.ledger.models import Problem

    started = time.perf_counter()
    ids = list(
        Problem.objects.filter(status="rectifying")
        .order_by("id")
        .values_list("id", flat=True)[:count]
    )
    now = timezone.now()
    for i in range(0, len(ids), BATCH):
        with transaction.atomic():
            Problem.objects.filter(id__in=ids[i : i + BATCH]).update(
                status="closed", progress=100, closed_at=now, updated_at=now
            )
    return time.perf_counter() - started


def _full_scan(connection: Any, sql: str) -> str:
    """The plan of `sql` when it reads every row of the problem table (no index at all),
    else "". Every page query is meant to use one of the table's indexes or the kept counts."""
    if "ledger_problem" not in sql:
        return ""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            lines = [str(row[3]) for row in cursor.fetchall()]
            bad = [line for line in lines if re.fullmatch(r"SCAN ledger_problem", line)]
        else:
            cursor.execute("EXPLAIN " + sql)
            lines = [row[0] for row in cursor.fetchall()]
            bad = [line for line in lines if re.search(r"Seq Scan on ledger_problem\b", line)]
    return "\n".join(lines) if bad else ""


def _explain(connection: Any, sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(" " * 2 * (row[1] and 1) + str(row[3]) for row in cursor.fetchall())
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


# --- Parent ---------------------------------------------------------------------------------
def _fresh_postgres(url: str) -> str:
    """Drop and recreate the benchmark's database, unless someone is connected to it."""
    import dj_database_url
    from psycopg import sql

    name = dj_database_url.parse(url)["NAME"]
    with pg_connect(url, "postgres") as conn:
        busy = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]
        ).fetchone()[0]
        if busy:
            sys.exit(f"{busy} session(s) are connected to {name}; not dropping it")
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url


def _child(env: dict[str, str], *args: str, script: str = "ledger.py") -> dict[str, Any]:
    done = subprocess.run(
        [PY, str(BENCH / script), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        sys.exit(f"bench/{script} {' '.join(args)} failed:\n{done.stdout}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def database_url(kind: str, args: argparse.Namespace) -> str:
    if kind == "sqlite":
        path = SQLITE_PATH if args.size == "city" else OUT / f"ledger-{args.size}.sqlite3"
        return f"sqlite:///{path}"
    return args.pg_url if args.size == "city" else f"{args.pg_url}_{args.size}"


def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    url = database_url(kind, args)
    env = bench_env(url)
    built: dict[str, Any] = {}
    if not args.reuse:
        print(
            f"== {kind}: building the {args.size}, {args.problems:,} problems and "
            f"{args.tickets:,} tickets",
            flush=True,
        )
        seed_s = 0.0
        if not args.keep_seed:
            if kind == "sqlite":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
            else:
                _fresh_postgres(url)
            manage(env, "migrate", "--noinput", "--verbosity", "0")
            seed_s, _out = manage(env, "seed_demo", "--size", args.size, "--seed", str(args.seed))
        copies = ["--copies", str(args.copies)]
        built = _child(env, "--child", "build", "--problems", str(args.problems), *copies)
        built["seed_s"] = seed_s
        built["copies"] = args.copies
        if args.tickets:
            # The intake bench's own builder, so that the queue is measured on the same data.
            tickets = _child(
                env,
                "--child", "build", "--tickets", str(args.tickets), *copies,
                script="intake.py",
            )  # fmt: skip
            built["tickets"] = tickets["tickets"]
            built["tickets_build_s"] = tickets["build_s"]
            print(f"   {tickets['tickets']:,} tickets in {tickets['build_s']:.1f} s", flush=True)
        print(
            f"   seed_demo {seed_s:.1f} s, {built['problems']:,} problems in "
            f"{built['build_s']:.1f} s (+ ANALYZE {built['analyse_s']:.1f} s)",
            flush=True,
        )
    else:
        manage(env, "migrate", "--noinput", "--verbosity", "0")
    # Every run: the manifest must list stylesheets added since bench/run.py collected them.
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    # Every run: the kept counts folded into their subtree sums, as the task worker's periodic
    # fold keeps them on a running system. A migration that adds a subtree sum leaves it
    # unfolded, and the cards would be timed summing every tally row (a province's home page
    # took a second that way, not the 80 ms it takes once folded).
    started = time.perf_counter()
    manage(env, "shell", "-c", "from qingfeng.core.tally import fold_rollups; fold_rollups()")
    built["fold_s"] = time.perf_counter() - started
    if kind == "postgres":
        started = time.perf_counter()
        with pg_connect(url) as conn:
            conn.execute("VACUUM ANALYZE")
        built["vacuum_s"] = time.perf_counter() - started
    if args.build_only:
        print(f"== {kind}: built ({json.dumps(built)})", flush=True)
        return {"built": built}
    print(f"== {kind}: timing ({args.repeat} runs each)", flush=True)
    load_before = os.getloadavg()[0]
    args_measure = ["--child", "measure", "--repeat", str(args.repeat)]
    args_measure += ["--recompute-repeat", str(args.recompute_repeat)]
    args_measure += ["--typical-repeat", str(args.typical_repeat), "--updates", str(args.updates)]
    if args.explain:
        args_measure.append("--explain")
    if args.only_queue:
        # The queue of a database whose ledger was timed before: the earlier JSON, its queue
        # rows replaced.
        suffix = "" if args.size == "city" else f"-{args.size}"
        result = json.loads((OUT / f"ledger-{kind}{suffix}.json").read_text(encoding="utf-8"))
        result["operations"] = [
            op for op in result["operations"] if not op["name"].startswith("staff queue")
        ]
        built = result.get("built") or built
    else:
        result = _child(env, *args_measure)
    if args.tickets or args.queue or args.only_queue:
        # The staff queue on the same data, by the intake bench's own measuring child.
        print(f"== {kind}: the staff queue ({args.repeat} runs each)", flush=True)
        queue = _child(
            env,
            "--child", "measure", "--queue-only", "--repeat", str(args.repeat),
            "--typical-repeat", str(args.typical_repeat),
            script="intake.py",
        )  # fmt: skip
        result["operations"] += queue["operations"]
        result["tickets"] = queue["tickets"]
    result["built"] = built
    result["load"] = (load_before, os.getloadavg()[0])
    suffix = "" if args.size == "city" else f"-{args.size}"
    (OUT / f"ledger-{kind}{suffix}.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return result


def _target(name: str) -> tuple[str, float] | None:
    for prefix, stat, limit in TARGETS:
        if name.startswith(prefix):
            return stat, limit
    return None


def table(result: dict[str, Any]) -> list[str]:
    built = result.get("built") or {}
    how = (
        f"built in {built['build_s']:.0f} s with bulk_create (seed_demo {built['seed_s']:.0f} s)"
        if "build_s" in built
        else "built by an earlier run"
    )
    lines = [
        f"### {result['database']}",
        "",
        f"{result['units']:,} units, {result['people']:,} people, {result['problems']:,} "
        f"problems"
        + (f", {result['tickets']:,} tickets" if result.get("tickets") else "")
        + f" ({how}); the county admin's subtree ({result['county']}) holds "
        f"{result['county_problems']:,} problems. Load average (1 min) {result['load'][0]:.1f} "
        f"before measuring, {result['load'][1]:.1f} after.",
        "",
        "| operation | runs | median | p95 | max | CPU median | queries (writes) | slowest query "
        "| bare SQL median | page ÷ bare SQL | typical Django page: median (queries) "
        "| typical ÷ page | target | vs target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for op in result["operations"]:
        stats = [fmt_ms(op[k]) for k in ("median", "p95", "max")]
        cpu = fmt_ms(op["cpu_median"]) if op["cpu_median"] is not None else ""
        slowest = fmt_ms(op["slowest_query_ms"]) if op["slowest_query_ms"] is not None else ""
        queries = f"{op['queries']} ({op['writes']})" if "writes" in op else str(op["queries"])
        row = [op["name"], str(op["n"]), *stats, cpu, queries, slowest]
        if "bare_median" in op:
            row += [fmt_ms(op["bare_median"]), f"{op['page_over_bare']:.2f}"]
        else:
            row += ["", ""]
        typical = op.get("typical")
        if typical:
            row += [
                f"{fmt_ms(typical['median'])} ({typical['queries']})",
                f"{typical['typical_over_page']:.1f}",
            ]
        else:
            row += ["", ""]
        target = _target(op["name"])
        if target is None:
            row += ["—", "—"]
        else:
            stat, limit = target
            text = f"{limit / 1000:.0f} s" if limit >= 10_000 else f"{limit:.0f} ms"
            row += [f"≤ {text} ({stat})", f"{op[stat] / limit:.2f}"]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
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
    start, end = MARKERS[args.size]
    title = "Ledger, province (issue 12)" if args.size == "province" else "Ledger (issues 4, 12)"
    lines = [
        start,
        f"## {title}",
        "",
        "Requests through Django's test client as in the tables above; each page ran twice "
        "untimed, then `--repeat` times in turn with the others and with its bare SQL; the "
        "typical Django pages `--typical-repeat` times after them. p95 is nearest-rank. "
        "*queries (writes)*: the statements of one more run, and how many of them were not "
        "SELECTs. *bare SQL*: the same SELECTs with the same parameters sent again through "
        "the database cursor, results fetched; *page ÷ bare SQL* = the page's median ÷ that "
        "median. *typical Django page*: the comparator of the same run (bench/pagecost.py); "
        "*typical ÷ page* = its median ÷ the page's. *— after updates*: the same pages again "
        "after the light recompute runs and the closing of `--updates` items. What is measured "
        "and what the numbers showed: `bench/README.md`, section Ledger.",
        "",
    ]
    for kind, result in results.items():
        lines += [f"<!-- {args.size}:{kind}:start -->"]
        lines += [
            f"Measured {now:%Y-%m-%d %H:%M %Z} at commit `{commit}` with `bench/ledger.py "
            f"--db {kind} --size {args.size} --problems {args.problems} --tickets "
            f"{args.tickets} --repeat {args.repeat} --typical-repeat {args.typical_repeat} "
            f"--updates {args.updates}`. Machine: {machine_line}, shared with other work.",
            "",
        ]
        lines += table(result)
        lines += [f"<!-- {args.size}:{kind}:end -->", ""]
    lines.append(end)
    path = BENCH / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    section = "\n".join(lines)
    if start in text and end in text:
        old = text[text.index(start) : text.index(end) + len(end)]
        for kind in ("sqlite", "postgres"):
            # Keep the other database's table of an earlier run.
            a, b = f"<!-- {args.size}:{kind}:start -->", f"<!-- {args.size}:{kind}:end -->"
            if kind not in results and a in old and b in old:
                kept = old[old.index(a) : old.index(b) + len(b)]
                section = section.replace(end, kept + "\n\n" + end)
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"wrote the Ledger section of {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--size", choices=("county", "city", "province"), default="city")
    parser.add_argument("--problems", type=int, default=None, help="500,000 (city)")
    parser.add_argument("--tickets", type=int, default=None, help="0 (city); intake's build")
    parser.add_argument("--build-only", action="store_true", help="build, time nothing")
    parser.add_argument("--queue", action="store_true", help="time the staff queue too")
    parser.add_argument(
        "--only-queue", action="store_true", help="time the queue, keep the ledger's last figures"
    )
    parser.add_argument(
        "--copies", type=int, default=None, help="draw 1/N of the rows, copy the rest (4: province)"
    )
    parser.add_argument(
        "--keep-seed", action="store_true", help="build on the seeded database of an earlier run"
    )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--recompute-repeat", type=int, default=3)
    parser.add_argument("--typical-repeat", type=int, default=10, help="runs of the comparators")
    parser.add_argument(
        "--updates", type=int, default=50_000, help="problems closed, then re-timed"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--oldest-days", type=int, default=200, help="problems registered up to")
    parser.add_argument("--reuse", action="store_true", help="measure the database built before")
    parser.add_argument("--explain", action="store_true", help="print each page's slowest plan")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    parser.add_argument("--pg-url", default=os.environ.get("QF_BENCH_LEDGER_PG_URL", DEFAULT_PG))
    parser.add_argument("--child", choices=("build", "measure"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "build":
        print(json.dumps(build(args.problems, args.seed, args.oldest_days, args.copies)))
        return
    if args.child == "measure":
        print(
            json.dumps(
                measure(
                    args.repeat,
                    args.recompute_repeat,
                    args.explain,
                    args.typical_repeat,
                    args.updates,
                )
            )
        )
        return
    if args.problems is None:
        args.problems = PROVINCE["problems"] if args.size == "province" else 500_000
    if args.tickets is None:
        args.tickets = PROVINCE["tickets"] if args.size == "province" else 0
    if args.copies is None:
        args.copies = 4 if args.size == "province" else 1
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and postgres_version(args.pg_url).startswith("not reachable"):
        if args.db == "postgres":
            sys.exit(f"PostgreSQL is not reachable at {args.pg_url}")
        print(f"PostgreSQL is not reachable at {args.pg_url}: SQLite only", flush=True)
        kinds = ["sqlite"]
    OUT.mkdir(parents=True, exist_ok=True)
    results = {kind: run_database(kind, args) for kind in kinds}
    if args.build_only:
        return
    for result in results.values():
        print("\n".join(table(result)))
        for name, plan in result.get("plans", {}).items():
            print(f"-- {name}\n{plan}\n")
    if not args.no_write:
        write_results(args, results)


if __name__ == "__main__":
    main()
