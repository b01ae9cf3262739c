"""The layers hold for apps nobody has listed yet: the import-linter contracts in
pyproject.toml name today's apps; this walks the import graph and places every top-level
package of the project by rule, so a new app is held to the arrows the day it lands."""

from __future__ import annotations

import grimp
from django.test import SimpleTestCase

# Bottom to top; everything else under qingfeng is a domain app (intake, evaluation, …),
# which may use these but not another domain app.
BASE = ("lib", "core", "orgs", "ledger")
TOP = ("api", "urls", "settings", "wsgi", "test")


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _is_test(module: str) -> bool:
    return ".tests" in module or module == "qingfeng.test"


class LayersTestCase(SimpleTestCase):
    graph: grimp.ImportGraph

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.graph = grimp.build_graph("qingfeng", exclude_type_checking_imports=True)

    def imports(self) -> list[tuple[str, str]]:
        pairs = []
        for module in self.graph.modules:
            if _is_test(module):
                continue
            for imported in self.graph.find_modules_directly_imported_by(module):
                if imported.startswith("qingfeng.") and _top(imported) != _top(module):
                    pairs.append((module, imported))
        return pairs

    def test_every_arrow_points_down(self) -> None:
        wrong = []
        for module, imported in self.imports():
            here, there = _top(module), _top(imported)
            if here in TOP or not here:
                continue
            if here in BASE:
                allowed = there in BASE and BASE.index(there) < BASE.index(here)
            else:  # a domain app: the base only, never another domain app or the top
                allowed = there in BASE
            if not allowed:
                wrong.append(f"{module} -> {imported}")
        self.assertEqual(wrong, [])

    def test_it_sees_the_whole_project(self) -> None:
        tops = {_top(m) for m in self.graph.modules}
        self.assertTrue({"lib", "core", "orgs", "ledger", "intake", "api"} <= tops, tops)
