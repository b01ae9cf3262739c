"""Suite-wide set-up: the English catalogue is compiled before any test renders a page, so a
bare `pytest` on a fresh clone behaves like `make test`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    for po in (ROOT / "src" / "qingfeng" / "locale").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            script = str(ROOT / "scripts" / "compile_translations.py")
            subprocess.run([sys.executable, script], check=True)  # noqa: S603
            break
