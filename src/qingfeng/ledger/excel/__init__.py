"""Ledger workbooks (台账): import and export in the offices' usual Excel layout.

`import_ledger` stores the upload first (`do_receive_ledger`), then `do_import_ledger`
reads it (.xlsx or legacy .xls), checks every row against the importer's scope outside any
write transaction, and creates every problem or none (many in short staged batches shown at
once: importing.py), leaving an annotated error workbook.
A ledger sent again (rows that are problems already in the ledger) stops at a preview of
new / changed / unchanged rows; `do_apply_reimport` writes the rows the user confirms.
`export_ledger_workbook` writes the same layout, so an export imports again as the same
problems; `build_ledger_template` is the blank form with drop-downs and instructions.
Reading the file, finding headers and writing workbooks is qingfeng.lib.xlsx; here is what
a ledger is.

    columns.py    the layout, column synonyms, and how a cell becomes a value
    reading.py    the title, reporting unit, example and footer rows, pictures
    checking.py   validating every row: names of units, people and categories in scope
    matching.py   a ledger sent again: rows matched to problems, what each would change
    importing.py  storing the upload, writing all or nothing in short transactions, the audit
    workbooks.py  export, blank template, error workbook
"""

from __future__ import annotations

from qingfeng.ledger.excel.importing import (
    ImportOutcome,
    do_apply_reimport,
    do_import_ledger,
    do_receive_ledger,
    get_ledger_import_for_user,
    import_ledger,
    ledger_imports_of,
    preview_counts,
)
from qingfeng.ledger.excel.reading import ParsedLedger, read_ledger_workbook
from qingfeng.ledger.excel.workbooks import (
    build_error_workbook,
    build_ledger_template,
    export_ledger_workbook,
    ledger_instructions,
)

__all__ = [
    "ImportOutcome",
    "ParsedLedger",
    "build_error_workbook",
    "build_ledger_template",
    "do_apply_reimport",
    "do_import_ledger",
    "do_receive_ledger",
    "export_ledger_workbook",
    "get_ledger_import_for_user",
    "import_ledger",
    "ledger_imports_of",
    "ledger_instructions",
    "preview_counts",
    "read_ledger_workbook",
]
