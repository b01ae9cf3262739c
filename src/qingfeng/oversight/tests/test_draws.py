from __future__ import annotations

import copy
import json
import subprocess
import sys
import tempfile
from collections import Counter
from io import StringIO
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qingfeng.core.models import AuditEvent
from qingfeng.orgs.actions.units import do_grant_role, do_revoke_role
from qingfeng.orgs.models import Role, Unit
from qingfeng.oversight import actions, drawing, selectors
from qingfeng.oversight.models import Conflict, Draw, DrawValue
from qingfeng.oversight.tests.base import OversightCase
from qingfeng.test import make_unit


class DrawTestCase(OversightCase):
    def test_it_commits_before_any_value_and_draws_after_two_officials(self) -> None:
        draw = self.commit_draw()
        self.assertEqual(draw.status, Draw.Status.COMMITTED)
        self.assertIsNone(draw.result)
        self.assertEqual(
            draw.commitment,
            drawing.commitment(params=draw.params, pool_digest=draw.pool_hash, seed=draw.seed),
        )
        actions.check_enter_value(draw, actor=self.office_user, value="371", source="福彩3D")
        with self.assertRaisesMessage(ValidationError, "两名不同人员"):
            actions.check_enter_value(draw, actor=self.office_user, value="372", source="福彩3D")
        self.assertEqual(DrawValue.objects.filter(draw=draw).count(), 1)
        draw.refresh_from_db()
        self.assertEqual(draw.status, Draw.Status.COMMITTED)
        actions.check_enter_value(draw, actor=self.office_user2, value="3389.42", source="指数")
        draw.refresh_from_db()
        self.assertEqual(draw.status, Draw.Status.DRAWN)
        assert draw.result is not None
        self.assertEqual(len(draw.result["targets"]), 2)
        value_times = [v.entered_at for v in draw.values.all()]
        self.assertTrue(all(t >= draw.committed_at for t in value_times))
        with self.assertRaisesMessage(ValidationError, "已抽取"):
            actions.check_enter_value(draw, actor=self.bureau_admin, value="1", source="x")

    def test_the_value_steps_neither_read_nor_write_the_frozen_pool_more_than_needed(
        self,
    ) -> None:
        made = self.commit_draw(inspectors_per_target=2)
        stored_pool = Draw.objects.get(pk=made.pk).pool

        def pool_statements(context: CaptureQueriesContext) -> list[str]:
            return [q["sql"] for q in context.captured_queries if '"pool"' in q["sql"]]

        # As the pages and the API take it: through the selector, the pool left unread.
        draw = selectors.get_draw_for_user(self.office_user, made.pk)
        with CaptureQueriesContext(connection) as first:
            actions.check_enter_value(draw, actor=self.office_user, value="371", source="福彩3D")
        self.assertEqual(pool_statements(first), [])
        draw = selectors.get_draw_for_user(self.office_user2, made.pk)
        with CaptureQueriesContext(connection) as second:
            actions.check_enter_value(draw, actor=self.office_user2, value="88", source="指数")
        read = pool_statements(second)
        self.assertEqual(len(read), 1)  # read once, to draw from it
        self.assertTrue(read[0].lstrip().upper().startswith("SELECT"))
        stored = Draw.objects.get(pk=made.pk)
        self.assertEqual(stored.status, Draw.Status.DRAWN)
        self.assertEqual(stored.pool, stored_pool)
        self.assertEqual(drawing.verify(actions.certificate(stored)), [])

    def test_a_move_does_not_write_back_a_frozen_column_changed_in_memory(self) -> None:
        made = self.commit_draw()
        actions.check_enter_value(made, actor=self.office_user, value="371", source="福彩3D")
        draw = Draw.objects.get(pk=made.pk)
        original = copy.deepcopy(draw.pool)
        draw.pool = {"units": [], "inspectors": []}  # a stray change in memory
        actions.check_enter_value(draw, actor=self.office_user2, value="88", source="指数")
        stored = Draw.objects.get(pk=made.pk)
        self.assertEqual(stored.pool, original)
        self.assertEqual(drawing.verify(actions.certificate(stored)), [])

    def test_every_draw_has_a_fresh_seed(self) -> None:
        first, second = self.commit_draw(), self.commit_draw()
        self.assertEqual((first.params, first.pool_hash), (second.params, second.pool_hash))
        self.assertEqual(len(first.seed), 64)
        self.assertNotEqual(first.seed, second.seed)  # same pool and parameters, new seed
        self.assertNotEqual(first.commitment, second.commitment)

    def test_the_certificate_verifies_and_any_change_fails(self) -> None:
        draw = self.run_draw(self.commit_draw(inspectors_per_target=2))
        cert = actions.certificate(draw)
        self.assertEqual(drawing.verify(cert), [])
        again = drawing.draw(cert["pool"], cert["params"], seed=cert["seed"], values=cert["values"])
        self.assertEqual(again, draw.result)
        changes = {
            "values": lambda c: c["values"].__setitem__(0, "372"),
            "seed": lambda c: c.__setitem__("seed", "0" * 64),
            "params": lambda c: c["params"].__setitem__("count", 1),
            "pool": lambda c: c["pool"]["units"][0].__setitem__("weight", 9),
            "result": lambda c: c["result"]["targets"].reverse(),
        }
        for name, change in changes.items():
            with self.subTest(name):
                changed = copy.deepcopy(cert)
                change(changed)
                self.assertNotEqual(drawing.verify(changed), [])
        # Other public values: another key, so the same pool gives another sequence.
        keys = {
            drawing.Sequence(commitment_hex=cert["commitment"], seed=cert["seed"], values=v).key
            for v in (cert["values"], ["999", "1"])
        }
        self.assertEqual(len(keys), 2)

    def test_an_edited_certificate_that_cannot_be_drawn_fails_and_ends(self) -> None:
        draw = self.run_draw(self.commit_draw(inspectors_per_target=2))
        cert = actions.certificate(draw)
        counties = sorted({u["county"] for u in cert["pool"]["units"]})
        every_county_recused = copy.deepcopy(cert)
        for person in every_county_recused["pool"]["inspectors"]:
            person["counties"] = counties  # nobody may go anywhere: the skipping never ended
        twice = copy.deepcopy(cert)
        twice["pool"]["inspectors"].append(twice["pool"]["inspectors"][0])
        no_pool = copy.deepcopy(cert)
        del no_pool["pool"]
        no_result = copy.deepcopy(cert)
        del no_result["result"]
        for name, changed, says in (
            ("recused", every_county_recused, "eligible inspectors"),
            ("twice", twice, "listed twice"),
            ("no pool", no_pool, "lacks a field"),
            ("no result", no_result, "differs"),
        ):
            with self.subTest(name):
                problems = drawing.verify(changed)
                self.assertTrue(any(says in line for line in problems), problems)

    def test_the_stand_alone_script_and_the_command_verify(self) -> None:
        draw = self.run_draw(self.commit_draw(inspectors_per_target=2))
        out = StringIO()
        call_command("verify_draw", str(draw.pk), stdout=out)
        self.assertIn("OK", out.getvalue())
        # What the public downloads: the script and, once published, the certificate.
        self.assertEqual(
            self.client.get(f"/notice/draws/{draw.number}/certificate.json").status_code, 404
        )
        actions.check_publish_draw(draw, actor=self.office_user)
        folder = Path(self.enterContext(self._tmp()))
        script, path = folder / "verify_draw.py", folder / f"{draw.number}.json"
        script.write_bytes(self.client.get("/notice/verify_draw.py").content)
        path.write_bytes(self.client.get(f"/notice/draws/{draw.number}/certificate.json").content)

        def run() -> subprocess.CompletedProcess[str]:
            # In an empty folder, isolated (-I) and without site-packages (-S): the standard
            # library only, nothing of the project or of its environment.
            return subprocess.run(  # noqa: S603 - our own file
                [sys.executable, "-I", "-S", script.name, path.name],
                capture_output=True,
                text=True,
                cwd=folder,
                env={},
                check=False,
            )

        done = run()
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(done.stdout.strip(), f"OK: {draw.number} verifies (2 targets)")
        cert = json.loads(path.read_text(encoding="utf-8"))
        cert["values"][1] = "3389.43"
        path.write_text(json.dumps(cert, ensure_ascii=False), encoding="utf-8")
        failed = run()
        self.assertEqual(failed.returncode, 1)
        self.assertIn("FAILED", failed.stdout)
        out = StringIO()
        with self.assertRaises(SystemExit):
            call_command("verify_draw", str(path), stdout=out)
        self.assertIn("FAILED", out.getvalue())

    def _tmp(self) -> tempfile.TemporaryDirectory[str]:
        return tempfile.TemporaryDirectory()

    def test_recusal_is_computed_and_replaced_from_the_same_sequence(self) -> None:
        Conflict.objects.create(person=self.member, unit=self.school, reason="配偶在该校任教")
        draw = self.run_draw(self.commit_draw(count=3, inspectors_per_target=2))
        pool = {p["id"]: p for p in draw.pool["inspectors"]}
        self.assertIn(self.county.pk, pool[self.county_supervisor.pk]["counties"])
        self.assertIn(self.school.pk, pool[self.member.pk]["units"])
        by_id = {u["id"]: u for u in draw.pool["units"]}
        assert draw.result is not None
        for target in draw.result["targets"]:
            unit = by_id[target["unit"]]
            self.assertEqual(len(set(target["inspectors"])), 2)
            for person in target["inspectors"]:
                self.assertFalse(drawing.recused(pool[person], unit))
                if unit["county"] == self.county.pk:
                    self.assertNotEqual(person, self.county_supervisor.pk)
        self.assertEqual(drawing.verify(actions.certificate(draw)), [])

    def test_a_unit_worked_in_before_recuses_as_the_current_one(self) -> None:
        """Roster history: a role once held at the school (revoked since) recuses from it and
        from its county, as working there now would."""
        grant = do_grant_role(self.member2, actor=None, role=Role.STAFF, unit=self.school)
        do_revoke_role(grant, actor=self.bureau_admin)
        draw = self.run_draw(self.commit_draw(count=3, inspectors_per_target=2))
        person = next(p for p in draw.pool["inspectors"] if p["id"] == self.member2.pk)
        self.assertIn(self.school.pk, person["units"])
        self.assertIn(self.county.pk, person["counties"])
        assert draw.result is not None
        for target in draw.result["targets"]:
            unit = next(u for u in draw.pool["units"] if u["id"] == target["unit"])
            if unit["county"] == self.county.pk:
                self.assertNotIn(self.member2.pk, target["inspectors"])

    def test_a_recused_pick_is_skipped_in_sequence(self) -> None:
        units = [{"id": 1, "code": "A", "county": 10, "stage": "", "weight": 1}]
        inspectors = [
            {"id": 7, "units": [], "counties": [10]},
            {"id": 8, "units": [1], "counties": []},
            {"id": 9, "units": [], "counties": []},
            {"id": 11, "units": [], "counties": [20]},
        ]
        pool = {"units": units, "inspectors": inspectors}
        params = {"count": 1, "inspectors_per_target": 2}
        for n in range(20):
            result = drawing.draw(pool, params, seed=f"s{n}", values=["a", "b"])
            self.assertEqual(sorted(result["targets"][0]["inspectors"]), [9, 11])
            self.assertTrue({r["skipped"] for r in result["replaced"]} <= {7, 8})

    def test_strata_share_the_total_by_largest_remainder(self) -> None:
        self.assertEqual(drawing.allocate({"a": 10, "b": 5, "c": 5}, 4), {"a": 2, "b": 1, "c": 1})
        self.assertEqual(drawing.allocate({"a": 7, "b": 2, "c": 1}, 5), {"a": 4, "b": 1, "c": 0})
        units = [
            {
                "id": i,
                "code": f"U{i:03d}",
                "county": i % 3,
                "stage": "primary" if i % 2 else "junior",
                "weight": 1,
            }
            for i in range(60)
        ]
        result = drawing.draw(
            {"units": units, "inspectors": []},
            {"percent": 10, "stratify": True},
            seed="x",
            values=["1", "2"],
        )
        strata = [t["stratum"] for t in result["targets"]]
        self.assertEqual(len(strata), 6)
        self.assertEqual(len(set(strata)), 6)  # one from each county × stage

    def test_each_stratum_gives_its_own_count_or_share_when_asked(self) -> None:
        sizes = {"a": 5, "b": 3, "c": 1}
        self.assertEqual(
            drawing.shares_for(sizes, {"count": 1, "per_stratum": True}), {"a": 1, "b": 1, "c": 1}
        )
        # 50 % of 5, 3 and 1, each rounded half up.
        self.assertEqual(
            drawing.shares_for(sizes, {"percent": 50, "per_stratum": True}),
            {"a": 3, "b": 2, "c": 1},
        )
        self.assertEqual(drawing.shares_for(sizes, {"count": 3}), drawing.allocate(sizes, 3))
        units = [
            {"id": i, "code": f"U{i:03d}", "county": i % 3, "stage": "", "weight": 1}
            for i in range(9)
        ]
        pool = {"units": units, "inspectors": []}
        params = {"count": 2, "stratify": True, "per_stratum": True}
        drawing.check_satisfiable(pool, params)
        result = drawing.draw(pool, params, seed="x", values=["1", "2"])
        self.assertEqual(
            Counter(t["stratum"] for t in result["targets"]), Counter({"0|": 2, "1|": 2, "2|": 2})
        )
        # Six units in one county and one in another: 2 from each is 4 of 7, but the small
        # county cannot give 2.
        lopsided = [u | {"county": 0} for u in units[:6]] + [units[6] | {"county": 1}]
        uneven = {"units": lopsided, "inspectors": []}
        with self.assertRaisesMessage(drawing.DrawError, "strata smaller"):
            drawing.check_satisfiable(uneven, params)
        # Through the action: the test city's three schools are three county × stage strata.
        draw = self.run_draw(self.commit_draw(count=1, stratify=True, per_stratum=True))
        assert draw.result is not None
        drawn = {t["stratum"] for t in draw.result["targets"]}
        self.assertEqual(len(draw.result["targets"]), 3)
        self.assertEqual(len(drawn), 3)
        self.assertTrue(draw.params["per_stratum"])
        self.assertEqual(drawing.verify(actions.certificate(draw)), [])
        shared = copy.deepcopy(actions.certificate(draw))
        del shared["params"]["per_stratum"]  # the same draw read as a shared-out total
        self.assertNotEqual(drawing.verify(shared), [])
        # 东城区: three primary schools and one junior; 2 from each stratum is 4 of 4, but
        # the junior stratum has one school.
        for n in (3, 4):
            make_unit(f"东城区第{n}小学", Unit.Kind.SCHOOL, self.county, f"S01{n}", stage="primary")
        before = Draw.objects.count()
        with self.assertRaisesMessage(ValidationError, "少于每层要抽取的数量"):
            self.commit_draw(count=2, stratify=True, per_stratum=True, counties=[self.county.pk])
        with self.assertRaisesMessage(ValidationError, "按县区×学段分层"):
            self.commit_draw(count=1, per_stratum=True)
        self.assertEqual(Draw.objects.count(), before)

    def test_weights_favour_risky_units(self) -> None:
        units = [
            {"id": i, "code": f"U{i:03d}", "county": 1, "stage": "", "weight": 1} for i in range(10)
        ]
        units[3]["weight"] = 50
        pool = {"units": units, "inspectors": []}
        hits = sum(
            drawing.draw(pool, {"count": 1, "weighted": True}, seed=f"s{n}", values=["v"])[
                "targets"
            ][0]["unit"]
            == 3
            for n in range(100)
        )
        plain = sum(
            drawing.draw(pool, {"count": 1}, seed=f"s{n}", values=["v"])["targets"][0]["unit"] == 3
            for n in range(100)
        )
        self.assertGreater(hits, 70)
        self.assertLess(plain, 30)

    def test_a_draw_that_cannot_be_satisfied_is_refused_before_anything_is_written(self) -> None:
        audits = AuditEvent.objects.count()
        with self.assertRaisesMessage(ValidationError, "少于要抽取"):
            self.commit_draw(count=50)
        with self.assertRaisesMessage(ValidationError, "回避后可抽取的督导人员不足"):
            self.commit_draw(count=1, inspectors_per_target=8)
        with self.assertRaisesMessage(ValidationError, "二者选一"):
            self.commit_draw(count=None)
        with self.assertRaisesMessage(ValidationError, "0（不抽人员）或 2 至 10"):
            self.commit_draw(inspectors_per_target=1)
        with self.assertRaisesMessage(ValidationError, "只有本单位"):
            actions.check_commit_draw(
                actor=self.school_admin,
                owner=self.bureau,
                name="x",
                purpose="visit",
                value_note="x",
                count=1,
            )
        self.assertFalse(Draw.objects.exists())
        self.assertEqual(AuditEvent.objects.count(), audits)

    def test_the_pool_follows_filters_and_risk(self) -> None:
        make_unit(
            "东城区第三小学", Unit.Kind.SCHOOL, self.county, "S0009", stage=Unit.Stage.PRIMARY
        )
        draw = self.commit_draw(
            count=1, counties=[self.county.pk], stages=["primary"], weighted=True
        )
        codes = sorted(u["code"] for u in draw.pool["units"])
        self.assertEqual(codes, ["S0001", "S0009"])
        self.assertTrue(all(u["county"] == self.county.pk for u in draw.pool["units"]))
