"""Write a local .env with fresh secrets for `make run` (never committed)."""

from __future__ import annotations

import base64
import secrets
import sys
from pathlib import Path

target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
if target.exists():
    sys.exit(0)
lines = [
    "# Written by `make run`: secrets of this installation. Keep private; never commit.",
    f"SECRET_KEY={secrets.token_urlsafe(50)}",
    f"QF_FIELD_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}",
    f"QF_INDEX_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}",
]
target.write_text("\n".join(lines) + "\n", encoding="utf-8")
target.chmod(0o600)
print(f"wrote {target}")
