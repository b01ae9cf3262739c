#!/usr/bin/env bash
# Refresh the English catalogue from the source (needs GNU gettext: apt-get install gettext),
# then fail if any message lacks a translation. `--check` is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$PWD/.venv/bin/python"
(cd src/qingfeng && QF_TESTING=1 "$PY" "$OLDPWD/manage.py" makemessages -l en --no-location \
    --ignore "static/*" --ignore "*/tests/*" --ignore "locale/*" >/dev/null)
"$PY" scripts/compile_translations.py >/dev/null
"$PY" - <<'PYEOF'
import sys
from babel.messages.pofile import read_po
with open("src/qingfeng/locale/en/LC_MESSAGES/django.po", "rb") as fh:
    catalog = read_po(fh)
missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
print(f"{len(catalog)} messages, {len(missing)} untranslated, {len(fuzzy)} fuzzy")
for mid in (missing + fuzzy)[:40]:
    print("  ", mid if isinstance(mid, str) else mid[0])
sys.exit(1 if missing or fuzzy else 0)
PYEOF
