"""The log files: JSON lines with the request id, one file a day shared by every process, and
the daily pruning that keeps QF_LOG_RETENTION_DAYS (never less than 180)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import time_machine

from qingfeng.core import logs
from qingfeng.core.context import RequestInfo, current_request
from qingfeng.core.tests.liveserver import ROOT


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("qingfeng.test", logging.WARNING, __file__, 1, message, (), None)


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_record_is_one_json_line_with_the_request_id_in_the_days_file(tmp_path: Path) -> None:
    handler = logs.DailyFileHandler(tmp_path)
    handler.setFormatter(logs.JsonFormatter())
    token = current_request.set(RequestInfo(request_id="abc123", source_ip="10.0.0.9"))
    try:
        with time_machine.travel("2026-11-05 09:00 +08:00", tick=False):
            handler.emit(record("导入完成\n第二行"))
        with time_machine.travel("2026-11-06 00:01 +08:00", tick=False):
            handler.emit(record("next day"))
    finally:
        current_request.reset(token)
        handler.close()
    first = lines(tmp_path / "qingfeng-2026-11-05.log")
    assert first == [
        {
            "time": "2026-11-05T09:00:00.000+08:00",
            "level": "WARNING",
            "logger": "qingfeng.test",
            "message": "导入完成\n第二行",
            "pid": os.getpid(),
            "request_id": "abc123",
        }
    ]
    # The source address the audit trail keeps is not a log field.
    assert "10.0.0.9" not in (tmp_path / "qingfeng-2026-11-05.log").read_text()
    assert lines(tmp_path / "qingfeng-2026-11-06.log")[0]["message"] == "next day"


def test_processes_share_the_days_file_line_by_line(tmp_path: Path) -> None:
    script = (
        "import logging, sys\n"
        "from qingfeng.core import logs\n"
        "h = logs.DailyFileHandler(sys.argv[1]); h.setFormatter(logs.JsonFormatter())\n"
        "for i in range(300):\n"
        "    h.emit(logging.LogRecord('w', 20, '', 1, 'x' * 500 + str(i), (), None))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "DJANGO_SETTINGS_MODULE": "qingfeng.settings",
    }
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], env=env)  # noqa: S603
        for _ in range(3)
    ]
    assert [w.wait(timeout=60) for w in workers] == [0, 0, 0]
    [day_file] = tmp_path.glob("qingfeng-*.log")
    written = lines(day_file)  # every line parses: none was torn by another process
    assert len(written) == 900


def test_pruning_removes_only_day_files_past_the_retention(tmp_path: Path) -> None:
    for name in (
        "qingfeng-2026-05-01.log",  # 189 days before 2026-11-06
        "qingfeng-2026-05-09.log.gz",  # 181 days
        "qingfeng-2026-05-10.log",  # 180 days: kept
        "qingfeng-2026-11-06.log",
        "audit-export-2020-01-01.log",  # not a day file
    ):
        (tmp_path / name).write_text("{}\n")
    removed = logs.prune(tmp_path, 180, today=date(2026, 11, 6))
    assert sorted(p.name for p in removed) == [
        "qingfeng-2026-05-01.log",
        "qingfeng-2026-05-09.log.gz",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "audit-export-2020-01-01.log",
        "qingfeng-2026-05-10.log",
        "qingfeng-2026-11-06.log",
    ]


def test_a_retention_under_six_months_is_refused(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "QF_LOG_RETENTION_DAYS": "90",
        "QF_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", "import qingfeng.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "QF_LOG_RETENTION_DAYS must be 180 or more" in done.stderr


@pytest.mark.parametrize("days", ["180", "400"])
def test_the_retention_is_a_setting(tmp_path: Path, days: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "QF_LOG_RETENTION_DAYS": days,
        "QF_DATA_DIR": str(tmp_path),
        "QF_LOG_DIR": str(tmp_path / "logs"),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from qingfeng import settings as s; print(s.QF_LOG_RETENTION_DAYS, s.QF_LOG_DIR)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [days, str(tmp_path / "logs")]
