"""Roster workbooks (名册): import and export of units and people in one Excel layout.

A workbook has a "单位" sheet and a "人员" sheet; either may be absent. The uploaded file is
stored first (`do_receive_roster`); `do_import_roster` checks every row in memory, then
writes everything in one transaction or nothing, leaving a row-by-row error list and an
annotated error workbook. `export_roster` writes the same layout, so a round trip is a no-op.
Reading the file, finding headers and writing workbooks is qingfeng.lib.xlsx; here is what
a roster is.

    columns.py    the layout: sheets, columns and their aliases
    reading.py    the roster's sheets and their header errors
    checking.py   validating every row against the importer's scope
    importing.py  storing the upload, writing all or nothing, the audit event
    workbooks.py  error workbook, export and blank template
"""

from __future__ import annotations

from qingfeng.orgs.roster.importing import (
    do_import_roster,
    do_receive_roster,
    get_import_for_user,
    imports_of,
)
from qingfeng.orgs.roster.workbooks import (
    build_template,
    check_export_roster_clear,
    export_choices,
    export_roster,
    instructions,
)

__all__ = [
    "build_template",
    "check_export_roster_clear",
    "do_import_roster",
    "do_receive_roster",
    "export_choices",
    "export_roster",
    "get_import_for_user",
    "imports_of",
    "instructions",
]
