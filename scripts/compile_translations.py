"""Compile the .po catalogues to .mo with Babel (pure Python: no GNU gettext needed)."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parent.parent / "src" / "qingfeng" / "locale"


def main() -> int:
    count = 0
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
        if fuzzy:
            # Like msgfmt, fuzzy entries stay out of the compiled catalogue (they show in
            # Chinese); the translation test and scripts/messages.sh fail on them.
            print(
                f"{po_path.name}: {len(fuzzy)} fuzzy entries left out, review them", file=sys.stderr
            )
        with po_path.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        count += 1
    print(f"compiled {count} translation catalogue(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
