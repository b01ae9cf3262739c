"""The application's log file: JSON lines, one file a day, kept QF_LOG_RETENTION_DAYS.

Every process (the gunicorn workers, the task worker, a management command) appends to
`QF_LOG_DIR/qingfeng-<YYYY-MM-DD>.log` for the local date: the file opened with O_APPEND and
each record written by one write() of one line, so several processes share a day's file
without a rotation step that one of them could race. A daily task removes the files older
than QF_LOG_RETENTION_DAYS (180 by default: the Cybersecurity Law asks for six months, and
the settings refuse less). The console keeps its plain lines (the journal under systemd), or
with QF_LOG_FORMAT=json writes these JSON lines too (serve and gunicorn included).

A line holds the time, level, logger, message, process and — inside a request — its request
id (a random number, also in the X-Request-ID header and the audit trail). Never the request:
no address, user agent or referrer (what the public channel promises), and the messages hold
no personal data (core/gunicorn_conf.py strips gunicorn's one address).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.utils import timezone

from qingfeng.core.context import current_request

PREFIX = "qingfeng-"
_NAME = re.compile(r"^qingfeng-(\d{4}-\d{2}-\d{2})\.log(\.gz)?$")


def local(record: logging.LogRecord) -> datetime:
    """The record's time in the site's time zone (TIME_ZONE), which dates the files."""
    return timezone.localtime(datetime.fromtimestamp(record.created, UTC))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, pid, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": local(record).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = current_request.get().request_id
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class DailyFileHandler(logging.Handler):
    """Appends each record to the day's file in `directory` (see the module)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        super().__init__()
        self.directory = Path(directory)
        self._day: date | None = None
        self._fd: int | None = None
        self._lock_day = threading.Lock()

    def path_for(self, day: date) -> Path:
        return self.directory / f"{PREFIX}{day.isoformat()}.log"

    def _fd_for(self, day: date) -> int:
        with self._lock_day:
            if self._fd is None or day != self._day:
                if self._fd is not None:
                    os.close(self._fd)
                self.directory.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(
                    self.path_for(day), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640
                )
                self._day = day
            return self._fd

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode("utf-8")
            os.write(self._fd_for(local(record).date()), line)
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        with self._lock_day:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        super().close()


def prune(directory: Path, keep_days: int, today: date | None = None) -> list[Path]:
    """Remove the day files older than `keep_days` days; other files are left alone."""
    today = today or timezone.localdate()
    oldest = today - timedelta(days=keep_days)
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for path in sorted(directory.iterdir()):
        match = _NAME.match(path.name)
        if match and date.fromisoformat(match.group(1)) < oldest:
            path.unlink()
            removed.append(path)
    return removed
