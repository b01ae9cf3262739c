"""Time the ledger import of a 10,000-row workbook, and the export of 50,000 problems.

    .venv/bin/python bench/ledger_import.py [--db sqlite|postgres|both] [--rows 10000] [--repeat 5]

For each database: a fresh SQLite file (bench/out/ledger_import.sqlite3) or PostgreSQL
database (qingfeng_bench_ledger_import), `migrate`, then in a child process with the benchmark's
production-like environment (bench/run.py's): a county of 40 schools and 400 people, one
workbook in the office layout (title, 填报单位 row, two-row merged header) with `--rows`
rows naming units and people by name, and `--repeat` timed imports of it as the county
admin (each a batch of new problems: they accumulate, 50,000 after five runs). Then one
untimed-by-tracing run under tracemalloc for the peak memory (tracing slows Python down,
so it is not one of the timed runs), and the export of every problem so far.

While one more import runs as the job the upload page starts, two other writers are timed:
the county admin's ledger list page read from a separate process (and, as before, from a
thread of the importing process), and public submissions (the intake
form's action, anonymous complaints, 10 a second) from a separate process — its own
connection and interpreter, as a web worker would be — each against the same without an
import running. On SQLite every submission needs the write lock the import takes between
its short transactions (importing.py): the wait is what these figures show.
The import target is 10 s for 10,000 rows (issue 4); nothing asserts it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from run import OUT, PY, REPO, bench_env, fresh_postgres, manage, postgres_version  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/qingfeng_bench_ledger_import"


def setup_django() -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingfeng.settings")
    import django

    django.setup()


def make_county() -> dict[str, Any]:
    """A county of 40 schools with 10 people each, and its admin (who imports)."""
    from qingfeng.ledger.models import Category
    from qingfeng.orgs import actions
    from qingfeng.orgs.models import Person, Role, Unit, User

    def unit(name: str, kind: str, parent: Unit | None, code: str, **extra: Any) -> Unit:
        category = Unit.Category.SCHOOL if kind == Unit.Kind.SCHOOL else Unit.Category.ORGAN
        return actions.do_create_unit(
            actor=None, parent=parent, name=name, kind=kind, code=code, category=category, **extra
        )

    bureau = unit("基准市教育局", Unit.Kind.BUREAU, None, "BB0001")
    county = unit("基准县教育局", Unit.Kind.COUNTY, bureau, "BC0001", short_name="基准县")
    schools = [
        unit(
            f"基准县第{i + 1}中学",
            Unit.Kind.SCHOOL,
            county,
            f"BS{i:04d}",
            short_name=f"基{i + 1}中",
        )
        for i in range(40)
    ]
    surnames, given = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨", "伟芳娜敏静丽强磊军洋勇艳杰涛明超"
    people: dict[int, list[str]] = {}
    for n, school in enumerate(schools):
        names = [
            f"{surnames[(n + k) % 16]}{given[k % 16]}{given[(n * 3 + k) % 16]}" for k in range(10)
        ]
        names = list(dict.fromkeys(names))
        people[school.pk] = names
        for name in names:
            actions.do_create_person(
                actor=None, unit=school, name=name, post_type=Person.PostType.TEACHER
            )
    admin = User.objects.create_user(username="bench_county_admin", password=None)
    actions.do_grant_role(admin, actor=None, role=Role.UNIT_ADMIN, unit=county)
    categories = list(Category.objects.values_list("name", flat=True))
    return {"admin": admin, "schools": schools, "people": people, "categories": categories}


def office_workbook(
    rows: int, county: dict[str, Any], *, batch: str = "", changed: int = 0, month: int = 0
) -> bytes:
    """The county's ledger in the template's office layout, filled in as an office would.
    `batch` sets its problems apart from another batch's (their descriptions differ). With
    `changed`, every `changed`-th row is the month's work on it (`month` = 1, 2 …): progress
    up, and a remark; the other rows are as first sent."""
    from qingfeng.ledger.excel.workbooks import TEMPLATE_COLUMNS
    from qingfeng.lib.xlsx import ColumnStyles, new_workbook, office_sheet, save

    schools, people, categories = county["schools"], county["people"], county["categories"]
    book = new_workbook()
    ws = office_sheet(
        book,
        TEMPLATE_COLUMNS,
        name="问题台账",
        title="基准县教育局作风问题整改台账",
        left="填报单位：基准县教育局",
        right="填报日期：",
    )
    styles = ColumnStyles(ws, TEMPLATE_COLUMNS)
    deadlines = ["2026年6月30日", "2026-07-15", "2026.8.31", "10个工作日", "2026年9月底前"]
    kinds = ["领导班子问题清单", "科室风险", "个人整改清单"]
    for i in range(rows):
        school = schools[i % len(schools)]
        names = people[school.pk]
        progress = (i * 7) % 101
        remarks = ""
        if changed and i % changed == 0:
            progress = min(100, progress + 10 * month)
            remarks = f"第{month}次报送：已召开整改推进会"
        values = {
            "seq": i + 1,
            "source": ["自查", "巡察", "督导", "热线"][i % 4],
            "source_ref": f"{i:06d}",
            "list_kind": kinds[i % 3],
            "category": categories[i % len(categories)],
            "dimension": ["思想认识", "制度执行", "工作落实", "服务效能", "廉洁自律"][i % 5],
            "title": f"第{i + 1}项问题：会议文件过多，基层负担重",
            "description": f"{batch}第{i + 1}项：本学期召开全体教师会议 12 次，部分会议内容重复，"
            "占用教学时间。" * 2,
            "cause": "统筹不够，会议审批把关不严",
            "goal": "会议数量压减三分之一",
            "measures": "1. 建立会议计划审批制度\n2. 合并同类会议\n3. 每月通报会议数量",
            "leader": names[0],
            "unit": school.name if i % 2 else school.short_name,
            "cooperating": schools[(i + 1) % len(schools)].name,
            "person": names[1 + i % (len(names) - 1)],
            "rtype": "限期整改",
            "deadline": deadlines[i % len(deadlines)],
            "progress": f"{progress}%",
            "rules": "是" if i % 3 == 0 else "否",
            "accountability": "否",
            "remarks": remarks,
        }
        ws.append(styles.row([values.get(c.key, "") for c in TEMPLATE_COLUMNS]))
    data: bytes = save(book)
    return data


def child(rows: int, repeat: int, quick: bool = False, reads_only: bool = False) -> None:
    setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from qingfeng.ledger.excel import export_ledger_workbook, import_ledger, read_ledger_workbook
    from qingfeng.ledger.models import Problem

    county = make_county()
    admin = county["admin"]
    # Each run imports its own batch of new problems (the same workbook sent again would be
    # matched to the problems of the first and stop at the re-import preview).
    workbooks = [
        office_workbook(rows, county, batch=f"（第{run + 1}批）") for run in range(repeat + 7)
    ]
    data = workbooks[0]

    def one_import() -> float:
        data = workbooks.pop()
        started = time.perf_counter()
        outcome = import_ledger(SimpleUploadedFile("台账.xlsx", data), actor=admin)
        seconds = time.perf_counter() - started
        if not outcome.ok:
            sys.exit(f"import rejected: {outcome.errors[:5]}")
        return seconds

    started = time.perf_counter()
    parsed = read_ledger_workbook(data, "台账.xlsx")
    read_s = time.perf_counter() - started
    assert parsed.row_count == rows
    del parsed
    timings = []
    for _ in range(0 if reads_only else repeat):
        gc.collect()
        timings.append(one_import())
    import_peak = traced_s = 0.0
    typical: dict[str, Any] = {}
    if not (quick or reads_only):
        gc.collect()
        tracemalloc.start()
        traced_s = one_import()
        import_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

        # The comparator, on a workbook of its own, and the rows each writes.
        written_before = _rows_written()
        one_import()
        ours_rows = _rows_written() - written_before
        typical = typical_import(workbooks.pop(), admin, batch="T")
        typical["rows_written"] = _rows_written() - written_before - ours_rows
        typical["ours_rows_written"] = ours_rows
        typical["typical_over_ours"] = typical["seconds"] / statistics.median(timings)
    reads = reads_during_import(admin, workbooks.pop(), workbooks.pop(), workbooks.pop())
    if reads_only:
        print(json.dumps({"database": connection.vendor, "rows": rows, "reads": reads}))
        return
    submissions = submissions_during_import(admin, workbooks.pop())
    job_export = export_as_job(admin)

    total = Problem.objects.count()
    export_s = export_peak = 0.0
    exported = b""
    if not quick:
        gc.collect()
        started = time.perf_counter()
        exported = export_ledger_workbook(
            Problem.objects.order_by("id"),
            title="基准县作风问题整改台账",
            unit_label="基准县教育局",
        )
        export_s = time.perf_counter() - started
        gc.collect()
        tracemalloc.start()
        export_ledger_workbook(
            Problem.objects.order_by("id"),
            title="基准县作风问题整改台账",
            unit_label="基准县教育局",
        )
        export_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "rows": rows,
                "workbook_bytes": len(data),
                "read_s": read_s,
                "import_s": timings,
                "import_median_s": statistics.median(timings),
                "import_traced_s": traced_s,
                "import_peak_mb": import_peak / 2**20,
                "export_rows": total,
                "export_s": export_s,
                "export_bytes": len(exported),
                "export_peak_mb": export_peak / 2**20,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "reads": reads,
                "typical": typical,
                "submissions": submissions,
                "export_job": job_export,
            }
        )
    )


def _rows_written() -> int:
    """Rows in every table of the project's apps: what an import added, by difference."""
    from django.apps import apps

    return sum(
        model.objects.count()
        for model in apps.get_models()
        if model.__module__.startswith("qingfeng.") and not model._meta.proxy
    )


def typical_import(data: bytes, admin: Any, batch: str) -> dict[str, Any]:
    """The comparator (issue 12): the ledger import as a typical Django project writes it —
    django-import-export is not installed here, so this is a minimal stand-in for what its
    default row-by-row path does. openpyxl reads the sheet; for each row a lookup of the unit,
    the responsible person and the category by name (one query each, as its ForeignKeyWidget
    does), a ModelForm validated (its unique check on 编号 is one more query) and saved (one
    INSERT); the whole import in one transaction, as its `use_transactions` default. No
    audit rows, no measures, no events, no search tokens, no lights: it writes one row per
    problem where the real import writes several."""
    import datetime as dt
    import io

    from django import forms
    from django.db import transaction
    from openpyxl import load_workbook

    from qingfeng.ledger.excel.workbooks import TEMPLATE_COLUMNS
    from qingfeng.ledger.models import Category, Problem
    from qingfeng.orgs.models import Person, Unit

    class TypicalProblemForm(forms.ModelForm):
        class Meta:
            model = Problem
            fields = [
                "number", "serial", "list_kind", "source", "source_ref", "category",
                "dimension", "title", "description", "cause", "goal", "unit",
                "responsible_person", "rectification_type", "deadline", "progress",
            ]  # fmt: skip

    words = {
        "list_kind": {"领导班子问题清单": "leadership", "科室风险": "department_risk",
                      "个人整改清单": "personal"},
        "source": {"自查": "self_check", "巡察": "inspection", "督导": "supervision",
                   "热线": "hotline"},
        "dimension": {"思想认识": "thinking", "制度执行": "rules", "工作落实": "delivery",
                      "服务效能": "service", "廉洁自律": "integrity"},
        "rtype": {"限期整改": "time_limited", "立行立改": "immediate", "长期坚持": "long_term"},
    }  # fmt: skip
    keys = [c.key for c in TEMPLATE_COLUMNS]

    def deadline(text: str) -> dt.date | None:
        for fmt in ("%Y年%m月%d日", "%Y-%m-%d", "%Y.%m.%d"):
            try:
                return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date
            except ValueError:
                continue
        return None  # a typical import leaves what it cannot read empty

    started = time.perf_counter()
    first = Problem.objects.order_by("-serial").values_list("serial", flat=True).first() or 0
    saved, rejected = 0, 0
    book = load_workbook(io.BytesIO(data), read_only=True)
    with transaction.atomic():
        for values in book.active.iter_rows(values_only=True):
            if not isinstance(values[0], int):
                continue  # the title, 填报单位 and header rows
            row = {k: ("" if v is None else str(v)) for k, v in zip(keys, values, strict=False)}
            unit = (
                Unit.objects.filter(name=row["unit"]).first()
                or Unit.objects.filter(short_name=row["unit"]).first()
            )
            person = Person.objects.filter(unit=unit, name=row["person"]).first()
            category = Category.objects.filter(name=row["category"]).first()
            serial = first + saved + rejected + 1
            form = TypicalProblemForm(
                {
                    "number": f"TYP{batch}-{serial:07d}",
                    "serial": serial,
                    "list_kind": words["list_kind"].get(row["list_kind"], ""),
                    "source": words["source"].get(row["source"], ""),
                    "source_ref": row["source_ref"],
                    "category": category.pk if category else "",
                    "dimension": words["dimension"].get(row["dimension"], ""),
                    "title": row["title"],
                    "description": row["description"],
                    "cause": row["cause"],
                    "goal": row["goal"],
                    "unit": unit.pk if unit else "",
                    "responsible_person": person.pk if person else "",
                    "rectification_type": words["rtype"].get(row["rtype"], "time_limited"),
                    "deadline": deadline(row["deadline"]) or "",
                    "progress": row["progress"].rstrip("%") or 0,
                }
            )
            if form.is_valid():
                problem = form.save(commit=False)
                problem.created_by = admin
                problem.save()
                saved += 1
            else:
                rejected += 1
    return {"seconds": time.perf_counter() - started, "saved": saved, "rejected": rejected}


def _signed_in(user: Any) -> Any:
    from django.test import Client
    from django.utils import timezone

    if user.must_change_password or user.password_changed_at is None:  # as after a first login
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.save(update_fields=["must_change_password", "password_changed_at"])

    from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED

    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_STARTED] = time.time()
    session[SESSION_VERIFIED] = True
    session.save()
    return client


def _summary(ms: list[float]) -> dict[str, Any]:
    ordered = sorted(ms)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)] if ordered else None
    return {
        "n": len(ms),
        "median_ms": statistics.median(ms) if ms else None,
        "p95_ms": p95,
        "max_ms": max(ms) if ms else None,
    }


def _read_page(client: Any) -> tuple[float, float]:
    """The county admin's ledger list page: wall and CPU milliseconds."""
    started, started_cpu = time.perf_counter(), time.process_time()
    response = client.get("/ledger/")
    assert response.status_code == 200, response.status_code
    return (time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000


def reader(stop_file: str, count: int, username: str) -> None:
    """In its own process (its own interpreter and connection, as a web worker is): the
    ledger list page as `username`, every READ_EVERY seconds, until `stop_file` exists (or
    `count` reads, when it is > 0); prints each read's wall and CPU milliseconds as JSON."""
    setup_django()
    from qingfeng.orgs.models import User

    client = _signed_in(User.objects.get(username=username))
    _read_page(client)
    Path(f"{stop_file}.ready").touch()
    wall: list[float] = []
    cpu: list[float] = []
    while not Path(stop_file).exists() and (count <= 0 or len(wall) < count):
        ms, cpu_ms = _read_page(client)
        wall.append(ms)
        cpu.append(cpu_ms)
        time.sleep(READ_EVERY)
    print(json.dumps({"ms": wall, "cpu_ms": cpu}))


READ_EVERY = 0.05


def _reading(stop_file: Path, username: str, count: int = 0) -> subprocess.Popen[str]:
    Path(f"{stop_file}.ready").unlink(missing_ok=True)
    process = subprocess.Popen(
        [PY, __file__, "--reader", str(stop_file), "--count", str(count), "--user", username],
        env=os.environ.copy(),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not Path(f"{stop_file}.ready").exists():  # signed in and warm before anything starts
        if process.poll() is not None:
            sys.exit(f"reader failed:\n{process.communicate()[1]}")
        time.sleep(0.1)
    return process


def _cpu_summary(result: dict[str, Any]) -> dict[str, Any]:
    return {**_summary(result["ms"]), "cpu_median_ms": statistics.median(result["cpu_ms"])}


# The task worker's niceness under `manage.py serve` (core/management/commands/serve.py).
WORKER_NICE = 10


def reads_during_import(
    admin: Any, thread_data: bytes, process_data: bytes, worker_data: bytes
) -> dict[str, Any]:
    """The county admin's ledger list page while an import runs as the job the upload page
    starts, against the same page read with nothing else running. Read twice over:

    - from another process (`reader`), as a web worker reads while the task worker imports —
      the figure the issue's target is about — with the import at the task worker's
      priority (`WORKER_NICE`, as `manage.py serve` runs it) and at the reader's own;
    - from a thread of the importing process (its own database connection): what this bench
      measured before, where the page also waits for the import's Python to let go of the
      one interpreter lock (at most `sys.getswitchinterval()`, 5 ms, at each turn)."""
    import threading

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from qingfeng.core import jobs
    from qingfeng.core.models import Job
    from qingfeng.ledger.excel import do_receive_ledger, work

    def run_import(data: bytes, nice: int = 0) -> float:
        """The import as its job, in a thread of its own at `nice` (the task worker's
        scheduling priority: `manage.py serve` starts it at +10, below the web workers)."""
        record = do_receive_ledger(SimpleUploadedFile("台账.xlsx", data), actor=admin)
        job = work.start_import(record, actor=admin, requirement="")

        def run() -> None:
            if nice:
                me = threading.get_native_id()  # on Linux a thread's own priority
                os.setpriority(os.PRIO_PROCESS, me, os.getpriority(os.PRIO_PROCESS, me) + nice)
            jobs.run_job(job.pk)
            connection.close()

        started = time.perf_counter()
        runner = threading.Thread(target=run)
        runner.start()
        runner.join()
        seconds = time.perf_counter() - started
        job.refresh_from_db()
        assert job.status == Job.Status.DONE, (job.status, job.outcome)
        return seconds

    stop = OUT / "reader.stop"
    stop.unlink(missing_ok=True)
    alone = _collect(_reading(stop, admin.username, count=30))
    readings = {}
    for nice, data in ((WORKER_NICE, worker_data), (0, process_data)):
        process = _reading(stop, admin.username)
        import_s = run_import(data, nice)
        stop.touch()
        readings[nice] = (import_s, _collect(process))
        stop.unlink(missing_ok=True)

    in_thread: list[float] = []
    done = threading.Event()

    def keep_reading() -> None:
        client = _signed_in(admin)
        _read_page(client)
        while not done.is_set():
            in_thread.append(_read_page(client)[0])
            time.sleep(READ_EVERY)
        connection.close()

    thread = threading.Thread(target=keep_reading)
    thread.start()
    thread_import_s = run_import(thread_data)
    done.set()
    thread.join()
    return {
        "import_s": readings[0][0],
        "alone": _cpu_summary(alone),
        "during": _cpu_summary(readings[0][1]),
        "worker_nice": WORKER_NICE,
        "worker_import_s": readings[WORKER_NICE][0],
        "during_worker": _cpu_summary(readings[WORKER_NICE][1]),
        "thread_import_s": thread_import_s,
        "during_thread": _summary(in_thread),
    }


SUBMIT_EVERY = 0.1  # seconds between public submissions: 10 a second


def submitter(stop_file: str, count: int) -> None:
    """In its own process: anonymous complaints through the public form's action, one every
    SUBMIT_EVERY seconds, until `stop_file` exists (or `count` were sent, when it is > 0);
    prints each one's milliseconds and failures as JSON."""
    setup_django()
    import uuid

    from qingfeng.intake import actions
    from qingfeng.intake.models import TicketCategory
    from qingfeng.orgs.models import Unit

    category = TicketCategory.objects.filter(is_active=True).order_by("id").first()
    schools = list(Unit.objects.filter(kind=Unit.Kind.SCHOOL).order_by("id")[:40])
    ms: list[float] = []
    failures: list[str] = []
    n = 0
    while not Path(stop_file).exists() and (count <= 0 or n < count):
        started = time.perf_counter()
        try:
            actions.check_submit_ticket(
                kind="complaint",
                category=category,
                unit=schools[n % len(schools)],
                title=f"食堂收费不透明（第{n + 1}件）",
                content="学校食堂每月收取伙食费，但从未公示收支明细，家长多次询问无人答复。",
                anonymous=True,
                idempotency_key=uuid.uuid4().hex,
            )
        except Exception as exc:  # counted and reported: the run goes on
            failures.append(f"{type(exc).__name__}: {exc}"[:200])
        else:
            ms.append((time.perf_counter() - started) * 1000)
        n += 1
        time.sleep(max(0.0, SUBMIT_EVERY - (time.perf_counter() - started)))
    print(json.dumps({"ms": ms, "failures": failures}))


def _submitting(stop_file: Path, count: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PY, __file__, "--submitter", str(stop_file), "--count", str(count)],
        env=os.environ.copy(),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _collect(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=600)
    if process.returncode != 0:
        sys.exit(f"the submitter or reader failed:\n{err}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def submissions_during_import(admin: Any, data: bytes) -> dict[str, Any]:
    """Public submissions from another process: 50 with nothing else running, then for as
    long as an import of `data` runs as its job."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qingfeng.core import jobs
    from qingfeng.core.models import Job
    from qingfeng.ledger.excel import do_receive_ledger, work

    stop = OUT / "submitter.stop"
    stop.unlink(missing_ok=True)
    alone = _collect(_submitting(stop, count=50))
    record = do_receive_ledger(SimpleUploadedFile("台账.xlsx", data), actor=admin)
    job = work.start_import(record, actor=admin, requirement="")
    process = _submitting(stop)
    time.sleep(3)  # the process is set up and submitting before the import starts
    started = time.perf_counter()
    jobs.run_job(job.pk)
    import_s = time.perf_counter() - started
    stop.touch()
    during = _collect(process)
    stop.unlink(missing_ok=True)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, (job.status, job.outcome)
    return {
        "import_s": import_s,
        "alone": {**_summary(alone["ms"]), "failures": alone["failures"]},
        "during": {**_summary(during["ms"]), "failures": during["failures"]},
    }


def export_as_job(admin: Any) -> dict[str, Any]:
    """Every problem exported as the job the list's export starts past 2,000 rows, with the
    progress another thread sees while it runs."""
    import threading

    from django.db import connection

    from qingfeng.core import jobs
    from qingfeng.core.models import Job
    from qingfeng.ledger.excel import work
    from qingfeng.ledger.models import Problem

    count = Problem.objects.count()
    job = work.start_export(actor=admin, query="", count=count)
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.append(Job.objects.values_list("done", flat=True).get(pk=job.pk))
            time.sleep(0.5)
        connection.close()

    thread = threading.Thread(target=watch)
    thread.start()
    started = time.perf_counter()
    jobs.run_job(job.pk)
    seconds = time.perf_counter() - started
    done.set()
    thread.join()
    job.refresh_from_db()
    return {
        "rows": count,
        "seconds": seconds,
        "status": job.status,
        "outcome": job.outcome,
        "progress_seen": sorted(set(seen)),
        "file_bytes": job.result_file.size if job.result_file else 0,
    }


def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    if kind == "sqlite":
        path = OUT / "ledger_import.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = fresh_postgres(args.pg_url)
    env = bench_env(url)
    print(f"== {kind}: migrate", flush=True)
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    # The ledger list read during an import renders with the hashed static files.
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    print(f"== {kind}: {args.repeat} imports of {args.rows} rows, then the export", flush=True)
    quick = ["--quick"] if args.quick else []
    quick += ["--reads-only"] if args.reads_only else []
    done = subprocess.run(
        [PY, __file__, "--child", "--rows", str(args.rows), "--repeat", str(args.repeat), *quick],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{kind} run failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg-url", default=os.environ.get("QF_BENCH_LEDGER_PG_URL", DEFAULT_PG))
    parser.add_argument(
        "--quick",
        action="store_true",
        help="no traced import, comparator or direct export: the imports, readers, submissions "
        "and the export as a job",
    )
    parser.add_argument(
        "--reads-only", action="store_true", help="only the page read during imports"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--submitter", help=argparse.SUPPRESS)
    parser.add_argument("--reader", help=argparse.SUPPRESS)
    parser.add_argument("--user", default="", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.submitter:
        submitter(args.submitter, args.count)
        return
    if args.reader:
        reader(args.reader, args.count, args.user)
        return
    if args.child:
        child(args.rows, args.repeat, args.quick, args.reads_only)
        return
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and postgres_version(args.pg_url).startswith("not reachable"):
        print(f"PostgreSQL is not reachable at {args.pg_url}: SQLite only", flush=True)
        kinds = ["sqlite"]
    OUT.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        r = run_database(kind, args)
        if args.reads_only:
            reads = r["reads"]
            (OUT / f"ledger_import-{kind}-reads.json").write_text(
                json.dumps(r, indent=2), encoding="utf-8"
            )
            for key, label in (
                ("alone", "alone"),
                ("during_worker", f"during an import at the task worker's nice +{WORKER_NICE}"),
                ("during", "during an import at the reader's own priority"),
                ("during_thread", "from a thread of the importing process, during an import"),
            ):
                x = reads[key]
                print(
                    f"{kind}: ledger list page {label}: median {x['median_ms']:.0f} ms, p95 "
                    f"{x['p95_ms']:.0f} ms, max {x['max_ms']:.0f} ms, CPU median "
                    f"{x.get('cpu_median_ms', float('nan')):.0f} ms ({x['n']} reads)",
                    flush=True,
                )
            continue
        runs = ", ".join(f"{s:.2f}" for s in r["import_s"])
        print(f"{kind}: import {r['rows']} rows median {r['import_median_s']:.2f} s ({runs})")
        if not args.quick:
            print(
                f"{kind}: read only {r['read_s']:.2f} s; peak traced {r['import_peak_mb']:.0f} MB "
                f"(traced run {r['import_traced_s']:.1f} s)\n"
                f"{kind}: export {r['export_rows']} rows {r['export_s']:.1f} s, "
                f"{r['export_bytes'] / 2**20:.1f} MB file, peak traced "
                f"{r['export_peak_mb']:.0f} MB; process max RSS {r['maxrss_mb']:.0f} MB",
                flush=True,
            )
        reads, job = r["reads"], r["export_job"]
        alone, during, thread = reads["alone"], reads["during"], reads["during_thread"]
        print(
            f"{kind}: ledger list page from another process alone median "
            f"{alone['median_ms']:.0f} ms, p95 {alone['p95_ms']:.0f} ms (CPU median "
            f"{alone['cpu_median_ms']:.0f} ms); during a {r['rows']}-row import as a job "
            f"({reads['import_s']:.1f} s) median {during['median_ms']:.0f} ms, p95 "
            f"{during['p95_ms']:.0f} ms, max {during['max_ms']:.0f} ms, CPU median "
            f"{during['cpu_median_ms']:.0f} ms ({during['n']} reads)\n"
            f"{kind}: the same from a thread of the importing process "
            f"({reads['thread_import_s']:.1f} s): median {thread['median_ms']:.0f} ms, p95 "
            f"{thread['p95_ms']:.0f} ms, max {thread['max_ms']:.0f} ms ({thread['n']} reads)\n"
            f"{kind}: export of {job['rows']} rows as a job {job['seconds']:.1f} s, {job['status']}, "
            f"progress seen {len(job['progress_seen'])} distinct values",
            flush=True,
        )
        typical = r["typical"]
        if typical:
            print(
                f"{kind}: typical row-by-row import (ModelForm per row, save per row) "
                f"{typical['seconds']:.1f} s for {typical['saved']} rows ({typical['rejected']} "
                f"rejected), {typical['rows_written']:,} rows written against the import's "
                f"{typical['ours_rows_written']:,}: typical ÷ ours "
                f"{typical['typical_over_ours']:.1f}",
                flush=True,
            )
        subs = r["submissions"]
        (OUT / f"ledger_import-{kind}.json").write_text(json.dumps(r, indent=2), encoding="utf-8")
        if not subs["alone"]["n"] or not subs["during"]["n"]:
            sys.exit(f"{kind}: no public submission was stored: {subs['alone']['failures'][:3]}")
        print(
            f"{kind}: public submission from another process alone median "
            f"{subs['alone']['median_ms']:.0f} ms, p95 {subs['alone']['p95_ms']:.0f} ms; during a "
            f"{r['rows']}-row import as a job ({subs['import_s']:.1f} s) median "
            f"{subs['during']['median_ms']:.0f} ms, p95 {subs['during']['p95_ms']:.0f} ms, max "
            f"{subs['during']['max_ms']:.0f} ms ({subs['during']['n']} stored, "
            f"{len(subs['during']['failures'])} refused)",
            flush=True,
        )
        (OUT / f"ledger_import-{kind}.json").write_text(json.dumps(r, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
