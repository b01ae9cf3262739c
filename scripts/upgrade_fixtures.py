"""Make the upgrade test's fixtures: one populated database per past release, written by
that release's own code.

    .venv/bin/python scripts/upgrade_fixtures.py [COMMIT ...]   (default: RELEASES below)

For each commit of main: its `src/` and `manage.py` (git archive) run in a scratch directory
with this environment's interpreter — `migrate`, `seed_demo --size county --seed 1`, and
`seed_demo_cases` where that release had it — with the fixed test keys of
core/tests/upgrades/keys.json. The database is vacuumed and stored as
`core/tests/upgrades/<date>-<commit>.sqlite3.xz`, and releases.json records the commit, its
applied migrations (per app, the newest) and every table's row count. A release that adds a
migration adds its commit to RELEASES and runs this once; core/tests/test_upgrades.py then
migrates every fixture to the current schema on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import lzma
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "src" / "qingfeng" / "core" / "tests" / "upgrades"
# main's states with a new migration set, from the first with a demo seeder (the roster), the
# ledger, intake, the end of the first series, each merge since, and the
# end of session 6 (oversight, campaigns, learning, reports, the tallies and the search index).
RELEASES = [
    "2968acd",
    "33d6ebe",
    "dc438ac",
    "6297d74",
    "bbaa136",
    "7932f1c",
    "4286247",
    "a56fbce",
    "9557f31",
    "00dc4af",
    "18cbeef",
]


def git(*args: str) -> str:
    return subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def make(commit: str, keys: dict[str, str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix=f"qf-release-{commit}-") as tmp:
        work = Path(tmp)
        archive = subprocess.run(  # noqa: S603
            ["git", "archive", commit, "src", "manage.py"],  # noqa: S607
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(work)], input=archive, check=True)  # noqa: S603, S607
        data = work / "var"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QF_", "DATABASE_URL"))}
        env.update(
            keys,
            QF_ENV_FILE=str(work / "absent.env"),
            QF_DATA_DIR=str(data),
            QF_DEBUG="0",
            PYTHONPATH=str(work / "src"),
            DJANGO_SETTINGS_MODULE="qingfeng.settings",
            LOG_LEVEL="WARNING",
        )

        def manage(*args: str) -> None:
            done = subprocess.run(  # noqa: S603
                [sys.executable, str(work / "manage.py"), *args],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise SystemExit(f"{commit}: {' '.join(args)} failed\n{done.stdout}\n{done.stderr}")

        manage("migrate", "--noinput", "-v", "0")
        manage("seed_demo", "--size", "county", "--seed", "1")
        if (work / "src/qingfeng/core/management/commands/seed_demo_cases.py").exists():
            manage("seed_demo_cases")
        database = data / "qingfeng.sqlite3"
        with sqlite3.connect(database) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            migrations: dict[str, str] = {}
            for app, name in conn.execute("SELECT app, name FROM django_migrations"):
                migrations[app] = max(migrations.get(app, ""), name)
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            counts = {
                t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]  # noqa: S608
                for t in sorted(tables)
            }
        conn.close()
        with sqlite3.connect(database) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
        conn.close()
        sqlite3.connect(database).execute("VACUUM").connection.close()
        date = git("log", "-1", "--format=%ad", "--date=format:%Y%m%d", commit)
        name = f"{date}-{commit}.sqlite3.xz"
        (OUT / name).write_bytes(lzma.compress(database.read_bytes(), preset=9))
        return {
            "commit": commit,
            "subject": git("log", "-1", "--format=%s", commit)[:100],
            "fixture": name,
            "migrations": dict(sorted(migrations.items())),
            "tables": counts,
        }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    keys = {k: v for k, v in json.loads((OUT / "keys.json").read_text()).items() if k != "_"}
    index_path = OUT / "releases.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else []
    wanted = sys.argv[1:] or RELEASES
    for commit in wanted:
        print(f"== {commit}", flush=True)
        entry = make(commit, keys)
        index = [e for e in index if e["commit"] != commit] + [entry]
    order = {c: i for i, c in enumerate(RELEASES)}
    index.sort(key=lambda e: order.get(e["commit"], len(order)))
    index_path.write_text(json.dumps(index, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
