"""Write a local .env with fresh secrets for `make run` (never committed)."""

from __future__ import annotations

import base64
import secrets
import sys
from pathlib import Path


def key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
wanted = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "QF_FIELD_KEY": key(),
    "QF_INDEX_KEY": key(),
    "QF_AUDIT_KEY": key(),
}
if target.exists():
    # An installation from before a key existed gets the missing ones; none is ever replaced.
    present = {
        line.split("=", 1)[0].strip()
        for line in target.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    missing = [f"{name}={value}" for name, value in wanted.items() if name not in present]
    if missing:
        with target.open("a", encoding="utf-8") as env:
            env.write("\n".join(missing) + "\n")
        print(f"added {', '.join(line.split('=')[0] for line in missing)} to {target}")
    sys.exit(0)
lines = [
    "# Written by `make run`: secrets of this installation. Keep private; never commit.",
    *(f"{name}={value}" for name, value in wanted.items()),
]
target.write_text("\n".join(lines) + "\n", encoding="utf-8")
target.chmod(0o600)
print(f"wrote {target}")
