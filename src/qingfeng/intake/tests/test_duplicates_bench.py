"""The labelled set of parent complaints (bench/data/duplicates_labelled.json) through the real
duplicate check: the targets of issue 10 hold on every test run, on both databases."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from django.test import TestCase

BENCH = Path(__file__).resolve().parents[4] / "bench" / "duplicates.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_duplicates", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class DuplicatesBenchTestCase(TestCase):
    def test_it_finds_the_labelled_duplicates_and_keeps_the_near_misses_apart(self) -> None:
        bench = _bench()
        data = bench.load()
        self.assertGreaterEqual(len(data["complaints"]), 60)
        result = bench.evaluate(data)
        self.assertGreaterEqual(result["groups"], 15)
        self.assertGreaterEqual(result["near_misses"], 10)
        self.assertGreaterEqual(result["recall"], bench.TARGETS["recall"], result["missed"])
        self.assertGreaterEqual(result["precision"], bench.TARGETS["precision"], result["wrong"])
        # Every pair found says why, beyond the units.
        self.assertTrue(all("、" in p["reason"] for p in result["right"]))
