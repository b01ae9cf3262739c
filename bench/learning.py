"""Time learning at city size: 60,000 people (seed_demo --size city), 200,000 sessions,
3,000,000 attendance rows and 100,000 cases.

    .venv/bin/python bench/learning.py [--db sqlite|postgres|both] [--sessions 200000]
                                       [--per-session 15] [--cases 100000] [--repeat 30]

For each database: a fresh SQLite file (bench/out/learning.sqlite3) or PostgreSQL database
(qingfeng_bench_learning), `migrate` and `seed_demo --size city`, then in a child process with
bench/run.py's production-like environment: sessions spread over every unit's roster for two
years and their attendance rows written with bulk_create, cases written with their search
tokens (jieba words and CJK bigrams, the same `search.tokens` the actions use) and indexed as
the actions index them; then measured in process:

- attendance scan: a session of 40 expected people, each signing in once through the action
  (`check_scan`: the token, the row lock, the device check, the update, the audit row), one
  after another; 40 scans/s is met when a scan's p95 is well under 25 ms on one worker;
- a unit's study calendar page (/learning/u/<id>/) as the unit's admin, Django's test client;
- case search for two-character queries through the selector, and its recall: the ids found
  equal those of a LIKE scan of the same text (checked for every query, both databases).

Targets (issue 16): scan p95 <= 100 ms; calendar p95 <= 200 ms; two-character search p95 <=
200 ms with recall 100 %. Results go to the terminal, bench/out/learning-<db>.json and the
"Learning" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from ledger import _fresh_postgres, _setup_django  # noqa: E402
from measure import WARMUP, summarise  # noqa: E402
from run import OUT, PY, REPO, bench_env, fmt_ms, manage  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/qingfeng_bench_learning"
SQLITE_PATH = OUT / "learning.sqlite3"
BATCH = 5_000
START, END = "<!-- learning:start -->", "<!-- learning:end -->"
QUERIES = ["食堂", "补课", "收费", "教辅", "礼金", "公款", "校服", "购物"]
PHRASES = [
    "某校食堂违规收取管理费",
    "教师在校外培训机构有偿补课",
    "收受家长购物卡",
    "统一征订教辅材料并收取费用",
    "以开会为名公款吃喝",
    "违规发放节日福利",
    "公车私用接送家属",
    "职称评审中打招呼",
    "检查材料层层加码",
    "借升学宴收受礼金",
    "以学习考察为名公款旅游",
    "超标准接待检查组",
    "强制学生购买校服",
    "课后服务乱收费",
    "家长群内催交资料费",
    "班主任推荐指定辅导书",
    "违规组织有偿辅导",
    "虚报冒领课时补贴",
    "经人举报后查实",
    "给予党内警告处分",
    "责令退还全部款项",
    "校长被诫勉谈话",
    "在全县教育系统通报",
    "以案为鉴以案促改",
]


def _timed(run: Any, repeat: int) -> dict[str, float]:
    for _ in range(WARMUP):
        run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return summarise(samples)


def _build(sessions: int, per_session: int, cases: int, days: int = 730) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from qingfeng.learning import search
    from qingfeng.learning.models import Attendance, Case, Session, SessionType
    from qingfeng.orgs.models import Person, Unit

    rng = random.Random(16)
    types = list(SessionType.objects.exclude(cadence="per_meeting"))
    roster: dict[int, list[int]] = {}
    for person_id, unit_id in Person.objects.filter(is_active=True).values_list("id", "unit_id"):
        roster.setdefault(unit_id, []).append(person_id)
    units = [u for u in roster if len(roster[u]) >= 3]
    now = timezone.now()
    started = time.perf_counter()
    made = rows = 0
    while made < sessions:
        batch = []
        for _ in range(min(BATCH, sessions - made)):
            batch.append(
                Session(
                    unit_id=rng.choice(units),
                    type=rng.choice(types),
                    starts_at=now - timedelta(days=rng.randint(1, days), hours=rng.randint(0, 8)),
                    place="会议室",
                    chair="校长",
                    topic="学习中央八项规定精神",
                    status=Session.Status.HELD,
                    minutes="学习",
                    held_at=now,
                )
            )
            made += 1
        Session.objects.bulk_create(batch)
        attendance = []
        for session in batch:
            people = roster[session.unit_id]
            for person_id in rng.sample(people, min(per_session, len(people))):
                status = rng.choices(["present", "late", "leave", "absent"], [88, 4, 5, 3])[0]
                attendance.append(Attendance(session=session, person_id=person_id, status=status))
        Attendance.objects.bulk_create(attendance, batch_size=BATCH)
        rows += len(attendance)
    sessions_s = time.perf_counter() - started
    started = time.perf_counter()
    owner = Unit.objects.get(parent=None)
    from qingfeng.orgs.models import User

    author = User.objects.filter(roles__role="bureau_admin").first()
    made = 0
    while made < cases:
        batch = []
        for _ in range(min(BATCH, cases - made)):
            facts = "，".join(rng.sample(PHRASES, 6)) + "。"
            title = rng.choice(PHRASES)
            body = search.body_of({"title": title, "facts": facts})
            batch.append(
                Case(
                    number=f"BENCH-{made:07d}",
                    title=title,
                    facts=facts,
                    category="other",
                    level="other",
                    status=Case.Status.PUBLISHED,
                    owner=owner,
                    created_by=author,
                    body=body,
                    tokens=search.tokens(body),
                )
            )
            made += 1
        with transaction.atomic():
            Case.objects.bulk_create(batch)
            for case in batch:  # what the actions do on every write (a no-op on PostgreSQL)
                search.write_index(case.pk, case.tokens)
    cases_s = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "sessions": sessions,
        "attendance": rows,
        "cases": cases,
        "sessions_s": sessions_s,
        "cases_s": cases_s,
    }


def child(
    sessions: int,
    per_session: int,
    cases: int,
    repeat: int,
    days: int = 730,
    build_only: bool = False,
    measure_only: bool = False,
) -> dict[str, Any]:
    _setup_django()
    from django.test import Client
    from django.utils import timezone

    from qingfeng.learning import actions, selectors, tokens
    from qingfeng.learning.models import Case, SessionType
    from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED
    from qingfeng.orgs.models import Person, Role, RoleAssignment, Unit

    result = {} if measure_only else _build(sessions, per_session, cases, days)
    if build_only:  # bench/dashboard.py builds with it and measures on its own
        return result
    # A school with at least 40 people, its admin, and a session today for all its staff.
    admin = RoleAssignment.objects.filter(
        role=Role.UNIT_ADMIN, unit__kind=Unit.Kind.SCHOOL, revoked_at=None
    ).select_related("unit", "user")
    assignment = next(
        a for a in admin if Person.objects.filter(unit=a.unit, is_active=True).count() >= 40
    )
    school, user = assignment.unit, assignment.user
    session = actions.check_plan_session(
        actor=user,
        unit=school,
        type=SessionType.objects.get(code="all_staff"),
        starts_at=timezone.now() + timedelta(minutes=5),
        place="报告厅",
        chair="校长",
        topic="基准",
    )
    people = list(Person.objects.filter(unit=school, is_active=True).order_by("id")[:40])
    token = tokens.make(session.pk)
    queue = iter(people)

    def scan() -> None:
        person = next(queue)
        actions.check_scan(token, person=person, actor=user, device=f"bench-{person.pk}")

    result["attendance scan (action)"] = _timed(scan, min(len(people) - WARMUP, 40 - WARMUP))
    client = Client()
    client.force_login(user)
    store = client.session
    store[SESSION_STARTED], store[SESSION_VERIFIED] = time.time(), True
    store.save()
    url = f"/learning/u/{school.pk}/"
    assert client.get(url).status_code == 200
    result["unit study calendar page"] = _timed(lambda: client.get(url), repeat)
    result["calendar unit sessions"] = (
        selectors.sessions_visible_to(user).filter(unit=school).count()
    )
    reader = user
    found: dict[str, int] = {}
    recall: dict[str, bool] = {}
    for query in QUERIES:
        ids = set(selectors.search_cases(reader, query).values_list("pk", flat=True))
        like = set(
            Case.objects.filter(status="published", body__contains=query).values_list(
                "pk", flat=True
            )
        )
        found[query], recall[query] = len(ids), ids == like
    result["search hits"], result["recall equals LIKE"] = found, recall
    rotation = iter(range(10**9))

    def search_page() -> None:
        query = QUERIES[next(rotation) % len(QUERIES)]
        list(selectors.search_cases(reader, query)[:100].values_list("pk", "title"))

    result["case search, two characters (first 100)"] = _timed(search_page, repeat)

    def search_count() -> None:
        query = QUERIES[next(rotation) % len(QUERIES)]
        selectors.search_cases(reader, query).count()

    result["case search, two characters (count all)"] = _timed(search_count, repeat)
    return result


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [PY, __file__, *args], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        sys.exit(f"bench/learning.py {' '.join(args)} failed:\n{done.stdout}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def run_db(db: str, args: argparse.Namespace) -> dict[str, Any]:
    """Build (unless --reuse) and measure (unless --build-only); the build's record is kept in
    bench/out/learning-<db>-build.json so that a --reuse run reports what it measured on."""
    url = f"sqlite:///{SQLITE_PATH}" if db == "sqlite" else args.pg
    env = bench_env(url)
    kept = OUT / f"learning-{db}-build.json"
    sizes = ["--sessions", str(args.sessions), "--per-session", str(args.per_session)]
    sizes += ["--cases", str(args.cases), "--repeat", str(args.repeat)]
    if args.reuse:
        built = json.loads(kept.read_text())
        manage(env, "migrate", "--noinput")  # indexes added since the build
    else:
        if db == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        else:
            _fresh_postgres(url)
        manage(env, "migrate", "--noinput")
        seed_s, _out = manage(env, "seed_demo", "--size", "city", "--seed", "1")
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        built = _child(env, "--child", "--build-only", *sizes)
        built["seed_s"] = seed_s
        kept.write_text(json.dumps(built, ensure_ascii=False, indent=1))
        if args.build_only:
            return built
    load_before = os.getloadavg()
    found = _child(env, "--child", "--measure-only", *sizes)
    found.update(built)
    found["db"], found["load"] = db, [load_before[0], os.getloadavg()[0]]
    found["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (OUT / f"learning-{db}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    return found


MEASURED = (
    ("attendance scan (action)", "<= 100 ms p95"),
    ("unit study calendar page", "<= 200 ms p95"),
    ("case search, two characters (first 100)", "<= 200 ms p95"),
    ("case search, two characters (count all)", "—"),
)


def section(results: list[dict[str, Any]]) -> str:
    lines = [
        START,
        "## Learning (学)",
        "",
        "`bench/learning.py`: sessions, attendance and cases written with bulk_create over the "
        "seeded city, measured in process (see the script's docstring). Targets: a scan p95 "
        "<= 100 ms (40 scans/s on one worker needs < 25 ms each), a unit's study calendar p95 "
        "<= 200 ms, a two-character case search p95 <= 200 ms with recall 100 % against LIKE.",
        "",
    ]
    for found in results:
        lines += [
            f"### {found['db']}: {found['sessions']:,} sessions, {found['attendance']:,} "
            f"attendance rows (written in {found['sessions_s']:.0f} s), {found['cases']:,} cases "
            f"(tokenised and indexed in {found['cases_s']:.0f} s)",
            "",
        ]
        if "load" in found:
            lines += [
                f"Measured {found['measured_at']} (`--reuse` of the build above); load average "
                f"(1 min) {found['load'][0]:.1f} before the timings, {found['load'][1]:.1f} "
                "after, on the shared 2-core machine.",
                "",
            ]
        lines += [
            "| operation | runs | median | p95 | max | target |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for name, target in MEASURED:
            s = found[name]
            lines.append(
                f"| {name} | {s['n']} | {fmt_ms(s['median'])} | {fmt_ms(s['p95'])} | "
                f"{fmt_ms(s['max'])} | {target} |"
            )
        lines += [
            "",
            f"Search hits per query: {found['search hits']}; recall equals LIKE for every "
            f"query: {all(found['recall equals LIKE'].values())}.",
            "",
        ]
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sessions", type=int, default=200_000)
    parser.add_argument("--per-session", type=int, default=15)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--days", type=int, default=730, help="sessions held up to this long ago")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="build, measure nothing")
    parser.add_argument("--reuse", action="store_true", help="measure the database built before")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        found = child(
            args.sessions,
            args.per_session,
            args.cases,
            args.repeat,
            args.days,
            args.build_only,
            args.measure_only,
        )
        print(json.dumps(found, ensure_ascii=False))
        return
    OUT.mkdir(exist_ok=True)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    if args.build_only:
        for db in dbs:
            print(json.dumps(run_db(db, args), ensure_ascii=False))
        return
    for db in ("sqlite", "postgres"):
        kept = OUT / f"learning-{db}.json"
        if db in dbs:
            results.append(run_db(db, args))
        elif kept.exists():
            results.append(json.loads(kept.read_text()))
    text = section(results)
    print(text)
    path = BENCH / "RESULTS.md"
    current = path.read_text()
    if START in current:
        current = current[: current.index(START)] + text + current[current.index(END) + len(END) :]
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(current)


if __name__ == "__main__":
    main()
