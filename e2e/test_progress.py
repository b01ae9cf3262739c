"""The progress page of long work in a real browser: the bar moves as the worker reports,
and when the work is done the page takes the person to its result (htmx polling and
HX-Redirect), at desktop and phone sizes.

The job row is written to the server's database as the task worker writes it mid-run (a
half-done import); the worker's own part is tested in core/tests/test_progress.py."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from e2e.conftest import Browser, expect
from e2e.test_ledger import sign_in_as


def _stamp(moment: datetime) -> str:
    """A moment as Django stores it in SQLite (UTC, no offset)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _database(ui: Browser) -> sqlite3.Connection:
    return sqlite3.connect(ui.server.log.parent / "qingfeng.sqlite3")


def test_the_progress_page_moves_and_lands_on_the_result(ui: Browser) -> None:
    page = ui.page
    sign_in_as(ui, "county_admin")
    started = _stamp(datetime.now(UTC) - timedelta(seconds=20))
    with _database(ui) as db:
        owner = db.execute("SELECT id FROM orgs_user WHERE username = 'county_admin'").fetchone()
        cursor = db.execute(
            "INSERT INTO core_job (kind, payload, status, attempts, not_before, created_at,"
            " started_at, last_error, owner_id, label, done, total, note, outcome, result_url,"
            " result_file, result_name) VALUES ('ledger.import', '{}', 'running', 1, ?, ?, ?,"
            " '', ?, '导入台账：东城区4月台账.xlsx', 2500, 10000, '校验第 2500 行', '', '', '', '')",
            (started, started, started, owner[0]),
        )
        job = cursor.lastrowid
    ui.goto(f"/core/jobs/{job}/")
    progress = page.get_by_test_id("job-progress")
    expect(progress).to_contain_text("2500 / 10000（25%）")
    expect(progress).to_contain_text("校验第 2500 行")
    expect(progress).to_contain_text("约剩")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("job-progress")

    with _database(ui) as db:  # the worker gets further…
        db.execute("UPDATE core_job SET done = 7500, note = '校验第 7500 行' WHERE id = ?", (job,))
    expect(progress).to_contain_text("7500 / 10000（75%）")
    with _database(ui) as db:  # …and finishes: the person is taken to the result
        db.execute(
            "UPDATE core_job SET status = 'done', done = 10000, outcome = '导入成功',"
            " result_url = '/ledger/' WHERE id = ?",
            (job,),
        )
    expect(page).to_have_url(ui.server.at("/ledger/"))


def test_failed_work_says_why(ui: Browser) -> None:
    page = ui.page
    sign_in_as(ui, "county_admin")
    now = _stamp(datetime.now(UTC))
    with _database(ui) as db:
        owner = db.execute("SELECT id FROM orgs_user WHERE username = 'county_admin'").fetchone()
        job = db.execute(
            "INSERT INTO core_job (kind, payload, status, attempts, not_before, created_at,"
            " started_at, last_error, owner_id, label, done, total, note, outcome, result_url,"
            " result_file, result_name) VALUES ('ledger.import', '{}', 'failed', 1, ?, ?, ?,"
            " '', ?, '导入台账：全市台账.xlsx', 0, 0, '',"
            " '处理时间超过 900 秒的上限，已停止', '', '', '')",
            (now, now, now, owner[0]),
        ).lastrowid
    ui.goto(f"/core/jobs/{job}/")
    expect(page.get_by_role("alert")).to_contain_text("处理时间超过 900 秒的上限，已停止")
    ui.assert_no_horizontal_overflow()
    ui.screenshot("job-failed")
