"""Every workbook the system produces comes from `lib.xlsx.new_workbook()` and leaves through
`lib.xlsx.save()`, which makes every string text (no live formulas, no XML-illegal
characters). `save` refuses any other workbook; this holds the other half for code written
tomorrow: outside `lib/xlsx` nothing makes an openpyxl workbook of its own or loads one (a
loaded workbook saved again would carry its formulas out)."""

from __future__ import annotations

import ast
from pathlib import Path

from django.test import SimpleTestCase

SOURCE = Path(__file__).resolve().parents[2]  # src/qingfeng
OWN_WRITER = SOURCE / "lib" / "xlsx"
MAKERS = {"Workbook", "load_workbook"}


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def workbooks_made_outside_the_writer() -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if OWN_WRITER in path.parents or "tests" in path.relative_to(SOURCE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call) and _called_name(node) in MAKERS:
                found.append(f"{path.relative_to(SOURCE)}:{node.lineno}: {_called_name(node)}()")
    return found


class OnlyWriterTestCase(SimpleTestCase):
    def test_no_code_outside_lib_xlsx_makes_or_loads_a_workbook(self) -> None:
        self.assertEqual(workbooks_made_outside_the_writer(), [])

    def test_the_walk_finds_one(self) -> None:
        # The walk itself is checked: a module making its own workbook would be named.
        tree = ast.parse("import openpyxl\nbook = openpyxl.Workbook()\nold = load_workbook(f)\n")
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        self.assertEqual(sorted(_called_name(c) for c in calls), ["Workbook", "load_workbook"])
        self.assertTrue(any(p.name == "writing.py" for p in OWN_WRITER.iterdir()))
