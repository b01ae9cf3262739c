"""Where one list page's time goes beyond its SQL (issue 12): profile a page ~50 deep.

    .venv/bin/python bench/pageprofile.py --database-url sqlite:///bench/out/ledger-county.sqlite3
        [--page ledger|queue] [--user demo_county] [--depth 50] [--htmx] [--runs 30]
        [--sort cumulative|tottime] [--lines 40] [--out bench/out/profile.txt]

In a child with bench/run.py's production-like environment (the same settings as the page
benchmarks): sign in as `--user`, follow the list's "load more" link `--depth` pages deep, then
request that page (`--htmx`: as the rows the button loads) `--runs` times, first timed (median
and CPU median, with the SQL statements' own time from the driver), then under cProfile. Prints
the costliest calls and how many times `gettext` and template `include` ran per request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from run import PY, REPO, bench_env  # noqa: E402

PAGES = {
    "ledger": ("/ledger/", {"list_kind": "personal", "status": "rectifying"}),
    "ledger-all": ("/ledger/", {}),
    "queue": ("/intake/", {}),
}


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingfeng.settings")
    import django

    django.setup()
    from urllib.parse import urlencode

    from django.db import connection
    from django.test import Client

    from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED
    from qingfeng.orgs.models import User

    client = Client()
    client.force_login(User.objects.get(username=args.user))
    session = client.session
    session[SESSION_STARTED] = time.time()
    session[SESSION_VERIFIED] = True
    session.save()
    path, params = PAGES[args.page]
    cursor_re = re.compile(r'hx-get="\?[^"]*?after=([^"&]+)"')

    def url(after: str = "") -> str:
        query = dict(params, **({"after": after} if after else {}))
        return path + ("?" + urlencode(query) if query else "")

    after, page = "", 1
    while page < args.depth:
        found = cursor_re.search(client.get(url(after)).content.decode())
        if not found:
            break
        after, page = found.group(1), page + 1
    headers = {"HX-Request": "true"} if args.htmx else {}
    target = url(after)

    def request() -> Any:
        response = client.get(target, headers=headers)
        assert response.status_code == 200, response.status_code
        return response

    for _ in range(3):
        request()
    sql_ms: list[float] = []

    def timing(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_ms.append((time.perf_counter() - started) * 1000)

    walls, cpus, sqls = [], [], []
    for _ in range(args.runs):
        sql_ms.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timing):
            request()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - started_cpu) * 1000)
        sqls.append(sum(sql_ms))
    size = len(request().content)
    print(
        f"{args.page} as {args.user}, page {page}{' (htmx rows)' if args.htmx else ''}: "
        f"{target}\n{args.runs} runs: median {statistics.median(walls):.1f} ms, CPU median "
        f"{statistics.median(cpus):.1f} ms, SQL execute (driver) median "
        f"{statistics.median(sqls):.1f} ms in {len(sql_ms)} statements; {size:,} bytes"
    )
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.runs):
        request()
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats(args.sort).print_stats(args.lines)
    counted = {"gettext", "reverse", "do_translate", "_get_FIELD_display"}
    calls = {
        f"{Path(k[0]).name}:{k[2]}": v[1] / args.runs
        for k, v in stats.stats.items()  # type: ignore[attr-defined]
        if k[2] in counted
    }
    report = out.getvalue()
    print("calls per request:", {k: round(v) for k, v in sorted(calls.items())})
    print(report)
    if args.out:
        Path(args.out).write_text(report, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--page", choices=sorted(PAGES), default="ledger")
    parser.add_argument("--user", default="demo_county")
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--htmx", action="store_true")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--out", default="")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    env = bench_env(args.database_url)
    subprocess.run([PY, __file__, "--child", *sys.argv[1:]], env=env, cwd=REPO, check=True)


if __name__ == "__main__":
    main()
