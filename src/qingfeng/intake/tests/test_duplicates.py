"""Near-duplicate flags: the MinHash functions, the check after a ticket is stored (web form
and hotline), the staff page and queue, scoping, and the backfill command."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import timedelta
from typing import Any

import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import SimpleTestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from qingfeng.core.models import Job
from qingfeng.intake import similarity
from qingfeng.intake.actions import check_submit_ticket, handling
from qingfeng.intake.models import Ticket, TicketBand, TicketDuplicateFlag, TicketSignature
from qingfeng.intake.tests.handling_base import IntakeTestCase

S = Ticket.Status
# A school's ticket has band rows of its own unit and "below" its county.
SCHOOL_BANDS = 2 * similarity.BINS

# One matter at 东城区实验小学, as two parents and a caller put it.
FEE_FIRST = (
    "东城区实验小学三年级收取资料费",
    "我家孩子在东城区实验小学读三年级，班主任要求每个学生交200元资料费，说是买复习资料，"
    "没有开任何收据，请有关部门查一查。",
)
FEE_SECOND = (
    "实验小学乱收资料费",
    "东城实验小学三年级的班主任让每个孩子交200元资料费买复习资料，不给收据，也不说明用途，"
    "希望教育局调查处理。",
)
FEE_CALL = (
    "来电反映东城实小收资料费",
    "来电人称东城实小三年级向学生收取资料费每人200元，用于购买复习资料，没有收据，家长意见很大。",
)
# Another matter at the same school.
CANTEEN = (
    "实验小学食堂饭菜差",
    "东城区实验小学食堂饭菜质量很差，孩子经常吃不饱，还发现过虫子，希望加强管理。",
)
TUTORING = (
    "东城区实验小学老师有偿补课",
    "东城区实验小学五年级数学老师周末在家里给本班学生有偿补课，每节课100元，不去的学生上课被冷落。",
)
# The first parent's words, about a school in another county.
FEE_ELSEWHERE = (
    "西山县第一中学三年级收取资料费",
    "我家孩子在西山县第一中学读三年级，班主任要求每个学生交200元资料费，说是买复习资料，"
    "没有开任何收据，请有关部门查一查。",
)


class SimilarityFunctionsTestCase(SimpleTestCase):
    def test_normalise_makes_full_width_half_width_and_drops_punctuation(self) -> None:
        self.assertEqual(
            similarity.normalise("收费２００元！ ＡＢＣ，\n每人。"), "收费200元abc每人"
        )

    def test_names_and_generic_words_are_not_shingled(self) -> None:
        items = similarity.shingles("东城区实验小学的老师收资料费", drop=["东城区实验小学"])
        self.assertEqual(items, {"收资", "资料", "料费", "收资料", "资料费"})

    def test_the_same_matter_overlaps_more_than_another_matter(self) -> None:
        def of(pair: tuple[str, str]) -> set[str]:
            return similarity.shingles("\n".join(pair), drop=["东城区实验小学", "实验小学"])

        same = similarity.overlap(of(FEE_FIRST), of(FEE_SECOND))
        other = similarity.overlap(of(FEE_FIRST), of(CANTEEN))
        self.assertGreaterEqual(same, similarity.FLAG_THRESHOLD)
        self.assertLess(other, similarity.FLAG_THRESHOLD / 2)

    @settings(max_examples=60, deadline=None)
    @given(st.text(min_size=3, max_size=300))
    def test_identical_texts_have_identical_signatures(self, text: str) -> None:
        items = similarity.shingles(text)
        first, second = similarity.minhash(items), similarity.minhash(set(items))
        self.assertEqual(first, second)
        if items:
            self.assertEqual(len(first), similarity.BINS)
            self.assertEqual(similarity.estimate_jaccard(first, second), 1.0)
            self.assertEqual(similarity.unpack(similarity.pack(first)), first)
        else:
            self.assertEqual(first, ())

    @settings(max_examples=60, deadline=None)
    @given(
        st.sets(st.text(alphabet="甲乙丙丁戊己庚辛", min_size=2, max_size=3), min_size=5),
        st.sets(st.text(alphabet="子丑寅卯辰巳午未", min_size=2, max_size=3), min_size=5),
    )
    def test_disjoint_sets_share_almost_no_bins(self, a: set[str], b: set[str]) -> None:
        estimate = similarity.estimate_jaccard(similarity.minhash(a), similarity.minhash(b))
        self.assertLessEqual(estimate, 2 / similarity.BINS)  # only a 32-bit collision
        self.assertEqual(similarity.jaccard(a, b), 0.0)

    def test_the_estimate_follows_the_true_jaccard_on_average(self) -> None:
        rng = random.Random(7)  # one bin's agreement is a coin toss; a hundred pairs are not
        for share in (0.2, 0.5, 0.8):
            errors = []
            for _ in range(100):
                pool = [f"{rng.random():.12f}" for _ in range(rng.randint(40, 200))]
                cut = int(len(pool) * share)
                common, rest = pool[:cut], pool[cut:]
                a, b = set(common + rest[::2]), set(common + rest[1::2])
                estimate = similarity.estimate_jaccard(similarity.minhash(a), similarity.minhash(b))
                errors.append(estimate - similarity.jaccard(a, b))
            self.assertLess(abs(sum(errors) / len(errors)), 0.03)  # unbiased
            self.assertLess(max(abs(e) for e in errors), 0.4)

    def test_band_keys_differ_by_unit(self) -> None:
        signature = similarity.minhash(similarity.shingles("收取资料费没有收据"))
        one = similarity.band_keys(signature, group=1)
        self.assertEqual(one, similarity.band_keys(signature, group=1))
        self.assertFalse(set(one) & set(similarity.band_keys(signature, group=2)))
        self.assertTrue(all(-(2**63) <= k < 2**63 for k in one))

    def test_signatures_are_the_same_in_another_process(self) -> None:
        text = "东城区实验小学三年级收取资料费，没有收据"
        here = similarity.band_keys(similarity.minhash(similarity.shingles(text)), group=7)
        code = (
            "from qingfeng.intake import similarity as s;"
            f"print(s.band_keys(s.minhash(s.shingles({text!r})), group=7))"
        )
        env = {
            **os.environ,
            "PYTHONHASHSEED": "12345",  # str hashes differ from this process's
            "PYTHONPATH": os.pathsep.join(sys.path),
            "DJANGO_SETTINGS_MODULE": "qingfeng.settings",
        }
        out = subprocess.run(  # noqa: S603 (our own interpreter and code)
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
        self.assertEqual(out.strip(), str(here))


class DuplicateCheckTestCase(IntakeTestCase):
    def file(self, pair: tuple[str, str], **overrides: Any) -> Ticket:
        """Filed anonymously on the web form; the after-submit job runs after commit."""
        title, content = pair
        fields: dict[str, Any] = {
            "kind": Ticket.Kind.COMPLAINT,
            "category": self.category,
            "unit": self.school,
            "title": title,
            "content": content,
            "anonymous": True,
        }
        fields.update(overrides)
        with self.captureOnCommitCallbacks(execute=True):
            ticket, _code = check_submit_ticket(**fields)
        return ticket

    def flags(self) -> set[tuple[int, int]]:
        return set(TicketDuplicateFlag.objects.values_list("ticket_id", "candidate_id"))

    def test_two_parents_on_one_matter_are_flagged_after_the_ticket_is_stored(self) -> None:
        first = self.file(FEE_FIRST)
        second = self.file(FEE_SECOND)
        self.assertEqual(Job.objects.filter(status=Job.Status.DONE).count(), 2)
        flag = TicketDuplicateFlag.objects.get()
        self.assertEqual((flag.ticket, flag.candidate), (second, first))
        self.assertGreaterEqual(flag.score, 25)
        self.assertEqual(TicketBand.objects.filter(ticket=second).count(), SCHOOL_BANDS)
        self.assertEqual(TicketSignature.objects.get(ticket=second).version, similarity.VERSION)

    def test_another_matter_at_the_same_school_is_not_flagged(self) -> None:
        self.file(FEE_FIRST)
        self.file(CANTEEN)
        self.file(TUTORING)
        self.assertEqual(self.flags(), set())

    def test_the_same_words_about_another_school_are_not_flagged(self) -> None:
        self.file(FEE_FIRST)
        self.file(FEE_ELSEWHERE, unit=self.other_school)
        self.assertEqual(self.flags(), set())

    def test_a_ticket_older_than_90_days_is_not_flagged(self) -> None:
        with time_machine.travel(timezone.now() - timedelta(days=91)):
            old = self.file(FEE_FIRST)
        recent = self.file(FEE_SECOND)
        self.assertEqual(self.flags(), set())
        with time_machine.travel(timezone.now() - timedelta(days=80)):
            within = self.file(FEE_FIRST)
        self.assertEqual(self.flags(), {(within.pk, old.pk), (recent.pk, within.pk)})

    def test_a_call_entered_on_the_hotline_is_checked_too(self) -> None:
        first = self.file(FEE_FIRST)
        title, content = FEE_CALL
        with self.captureOnCommitCallbacks(execute=True):
            call, _code = handling.check_enter_call(
                actor=self.hotline,
                channel=Ticket.Channel.PHONE,
                kind=Ticket.Kind.COMPLAINT,
                category=self.category,
                unit=self.school,
                title=title,
                content=content,
                anonymous=True,
            )
        self.assertTrue(TicketSignature.objects.filter(ticket=call).exists())
        self.assertEqual(self.flags(), {(call.pk, first.pk)})

    def test_running_the_job_again_adds_nothing(self) -> None:
        from qingfeng.intake.actions import after_submit

        self.file(FEE_FIRST)
        second = self.file(FEE_SECOND)
        after_submit({"ticket_id": second.pk})
        self.assertEqual(TicketDuplicateFlag.objects.count(), 1)
        self.assertEqual(TicketBand.objects.filter(ticket=second).count(), SCHOOL_BANDS)

    def test_the_candidate_lookup_costs_the_same_with_many_tickets(self) -> None:
        first = self.file(FEE_FIRST)
        second = self.file(FEE_SECOND)
        similarity.candidates_for(second)  # the unit names, for the next half minute
        with CaptureQueriesContext(connection) as few:
            found = similarity.candidates_for(second)
        self.assertEqual([c.ticket_id for c in found], [first.pk])
        for i in range(8):
            self.file(
                (f"其他反映{i}", f"东城区第二中学第{i}号问题：食堂收费不透明"), unit=self.school2
            )
            self.file(CANTEEN)
        with CaptureQueriesContext(connection) as many:
            again = similarity.candidates_for(second)
        self.assertEqual([c.ticket_id for c in again], [first.pk])
        # the band index, the candidates' texts
        self.assertEqual(len(few), 2)
        self.assertEqual(len(many), 2)
        self.assertIn("intake_band_lookup", _explain_band_lookup())

    def test_the_backfill_signs_and_flags_old_tickets(self) -> None:
        # Stored without the job running (as before this check existed).
        title, content = FEE_FIRST
        first, _code = check_submit_ticket(
            kind=Ticket.Kind.COMPLAINT,
            category=self.category,
            unit=self.school,
            title=title,
            content=content,
            anonymous=True,
        )
        title, content = FEE_SECOND
        second, _code = check_submit_ticket(
            kind=Ticket.Kind.COMPLAINT,
            category=self.category,
            unit=self.school,
            title=title,
            content=content,
            anonymous=True,
        )
        self.assertFalse(TicketSignature.objects.exists())
        call_command("intake_signatures", "--flags", "--batch", "1", stdout=_Sink())
        self.assertEqual(TicketSignature.objects.count(), 2)
        self.assertEqual(self.flags(), {(second.pk, first.pk)})
        call_command("intake_signatures", stdout=_Sink())  # nothing left to do
        self.assertEqual(TicketBand.objects.count(), 2 * SCHOOL_BANDS)

    def test_pruning_drops_only_bands_outside_the_window(self) -> None:
        with time_machine.travel(timezone.now() - timedelta(days=120)):
            old = self.file(FEE_FIRST)
        recent = self.file(FEE_SECOND)
        self.assertEqual(similarity.prune_bands(), SCHOOL_BANDS)
        self.assertFalse(TicketBand.objects.filter(ticket=old).exists())
        self.assertTrue(TicketSignature.objects.filter(ticket=old).exists())
        self.assertEqual(TicketBand.objects.filter(ticket=recent).count(), SCHOOL_BANDS)


def _explain_band_lookup() -> str:
    """The plan of the band lookup. PostgreSQL reads a table this small sequentially, so it is
    told not to, to show that the index serves the query as it will at city size."""
    keys = list(TicketBand.objects.values_list("band_key", flat=True)[:3])
    since = timezone.now() - similarity.WINDOW
    query = TicketBand.objects.filter(band_key__in=keys, created_at__gte=since).values("ticket_id")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    return query.explain()


class _Sink:
    def write(self, *_args: object, **_kwargs: object) -> None:
        pass

    def flush(self) -> None:
        pass


class DuplicatePagesTestCase(DuplicateCheckTestCase):
    def test_the_staff_page_shows_suggestions_and_suspected_duplicates(self) -> None:
        first = self.file(FEE_FIRST)
        second = handling.do_accept(self.file(FEE_SECOND), actor=self.bureau_admin)
        self.login(self.bureau_admin)
        response = self.client.get(reverse("intake:detail", args=[second.pk]))
        suspects = response.context["suspects"]
        self.assertEqual([s["ticket"] for s in suspects], [first])
        self.assertTrue(suspects[0]["merge_into"])
        self.assertTrue(suspects[0]["merge_here"])
        self.assertContains(response, "疑似重复")
        self.assertContains(response, first.number)
        self.assertContains(response, f"{suspects[0]['score']}%")
        # 处理建议: the school from its name, the category from its words.
        routing = response.context["routing"]
        [(unit, choosable), *_rest] = routing["units"]
        self.assertEqual((unit.unit_id, choosable), (self.school.pk, True))
        self.assertContains(response, "处理建议")
        self.assertContains(response, "正文提到")
        self.assertEqual(routing["category"].category, self.category)
        # The older ticket shows the newer one too.
        response = self.client.get(reverse("intake:detail", args=[first.pk]))
        self.assertEqual([s["ticket"] for s in response.context["suspects"]], [second])

    def test_choosing_a_suggested_unit_prefills_the_assign_form(self) -> None:
        ticket = self.accepted(
            unit=None,
            title="西山县第一中学收资料费",
            content="西山县第一中学高三年级每人收取500元资料费，没有收据。",
        )
        self.login(self.bureau_admin)
        url = reverse("intake:detail", args=[ticket.pk])
        response = self.client.get(url)
        [(unit, choosable), *_rest] = response.context["routing"]["units"]
        self.assertEqual((unit.unit_id, choosable), (self.other_school.pk, True))
        self.assertContains(response, f'href="?assign_unit={self.other_school.pk}#assign-form"')
        response = self.client.get(url, {"assign_unit": self.other_school.pk})
        self.assertContains(response, f'<option value="{self.other_school.pk}" selected>')
        # The person confirms: the page only preselects, nothing was assigned.
        self.assertEqual(self.fresh(ticket).status, S.ACCEPTED)

    def test_merging_from_the_list_settles_the_flag(self) -> None:
        first = self.file(FEE_FIRST)
        second = self.file(FEE_SECOND)
        self.login(self.bureau_admin)
        self.client.post(reverse("intake:merge", args=[second.pk]), {"master": first.number})
        self.assertEqual(self.fresh(second).master, first)
        response = self.client.get(reverse("intake:detail", args=[first.pk]))
        self.assertEqual(response.context["suspects"], [])

    def test_a_candidate_outside_the_viewers_scope_is_not_shown(self) -> None:
        first = self.file(FEE_FIRST)  # received: the school does not see it
        second = self.file(FEE_SECOND)
        handling.do_accept(second, actor=self.bureau_admin)
        handling.check_assign(second, actor=self.bureau_admin, unit=self.county)
        self.login(self.county_admin)
        response = self.client.get(reverse("intake:detail", args=[second.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["suspects"], [])
        self.assertNotContains(response, first.number)
        self.assertIsNone(response.context["routing"])  # suggestions are for the intake desk
        response = self.client.get(reverse("intake:queue"))
        self.assertNotContains(response, "dupe-badge")
        # The bureau sees both, with the badge in its queue.
        self.login(self.bureau_admin)
        response = self.client.get(reverse("intake:queue"))
        self.assertEqual(set(response.context["flagged"]), {first.pk, second.pk})
        self.assertContains(response, 'data-testid="dupe-badge"', count=2)

    def test_the_queue_badge_costs_one_query_however_many_rows_are_flagged(self) -> None:
        self.file(FEE_FIRST)
        self.login(self.bureau_admin)
        url = reverse("intake:queue")
        self.client.get(url)
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        for pair in (FEE_SECOND, FEE_CALL, FEE_SECOND, CANTEEN):
            self.file(pair)
        with CaptureQueriesContext(connection) as many:
            response = self.client.get(url)
        self.assertEqual(len(response.context["flagged"]), 4)
        self.assertEqual(len(few), len(many))


# One matter told in other words: the teacher by surname, the amount in Chinese numerals and
# in full-width digits, the practice by another word; once to the school, once to the county.
TUTORING_SCHOOL = (
    "二中王老师周末有偿补课",
    "我是孩子妈妈。东城区第二中学初二数学王老师周末在自己家里给本班学生补课，每月收８００元。",
)
TUTORING_COUNTY = (
    "举报第二中学教师办补习班",
    "赵女士反映：东城区第二中学初二年级姓王的数学老师，双休日让学生到他家补习，每人每月八百元，"
    "希望区教育局查处。",
)
# The same school and practice, another teacher, grade and amount.
TUTORING_OTHER_TEACHER = (
    "二中初三物理老师补课",
    "东城区第二中学初三物理欧阳老师晚上在校外培训机构上课，给自己班学生讲题，每次收100元。",
)


class FeaturesTestCase(SimpleTestCase):
    def test_people_amounts_and_grades_are_read_however_they_are_written(self) -> None:
        from qingfeng.intake import features

        for text in ("班主任李老师", "李某老师", "姓李的老师", "数学老师李明", "李姓老师"):
            with self.subTest(text):
                self.assertEqual(features.people(text), {"李老师"})
        self.assertEqual(features.people("欧阳某某老师和司马校长"), {"欧阳老师", "司马校长"})
        self.assertEqual(features.people("语文老师、高三老师、赵女士"), set())
        for text in ("200元", "２００元", "二百元", "两百块钱", "200多元"):
            with self.subTest(text):
                self.assertEqual(features.amounts(text), {"200"})
        self.assertEqual(
            features.amounts("一千五百元，两百五十元，1.5万元"), {"1500", "250", "15000"}
        )
        self.assertEqual(features.grades("初二、八年级、8年级"), {"8"})
        self.assertEqual(features.practices("周末开辅导班"), {"补课", "假期"})

    def test_a_paraphrase_scores_above_the_threshold_and_another_matter_below(self) -> None:
        def of(pair: tuple[str, str]) -> similarity.Features:
            text = "\n".join(pair)
            drop = [similarity.normalise(n) for n in ("东城区第二中学", "东城区教育局")]
            return similarity.Features(
                frozenset(similarity.shingles(text, drop=drop)),
                similarity.features.facts(text, drop=drop),
            )

        same = similarity.compare(of(TUTORING_SCHOOL), of(TUTORING_COUNTY))
        other = similarity.compare(of(TUTORING_SCHOOL), of(TUTORING_OTHER_TEACHER))
        self.assertGreaterEqual(same.score, similarity.FLAG_THRESHOLD)
        self.assertEqual((same.people, same.amounts, same.grades), (("王老师",), ("800",), ("8",)))
        self.assertIn("补课", same.practices)
        self.assertLess(other.score, similarity.FLAG_THRESHOLD)

    @settings(max_examples=40, deadline=None)
    @given(
        st.lists(
            st.sampled_from([*TUTORING_SCHOOL, *TUTORING_COUNTY, *FEE_FIRST, *CANTEEN]),
            min_size=1,
            max_size=3,
        ),
        st.lists(
            st.sampled_from([*TUTORING_OTHER_TEACHER, *FEE_SECOND, *TUTORING]),
            min_size=1,
            max_size=3,
        ),
    )
    def test_the_score_is_symmetric_and_between_0_and_1(self, a: list[str], b: list[str]) -> None:
        def of(parts: list[str]) -> similarity.Features:
            text = "".join(parts)
            return similarity.Features(
                frozenset(similarity.shingles(text)), similarity.features.facts(text)
            )

        one, other = of(a), of(b)
        forward, backward = similarity.compare(one, other), similarity.compare(other, one)
        self.assertEqual(forward, backward)
        self.assertTrue(0.0 <= forward.score <= 1.0)
        self.assertEqual(similarity.compare(one, one).score, 1.0)

    @given(st.integers(min_value=1, max_value=99999))
    def test_full_width_digits_read_as_half_width(self, n: int) -> None:
        from qingfeng.intake import features

        full = str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        self.assertEqual(features.facts(f"收费{full}元").amounts, frozenset({str(n)}))


class FamilyTestCase(DuplicateCheckTestCase):
    def test_a_matter_told_to_the_school_and_to_its_county_is_flagged_with_a_reason(self) -> None:
        first = self.file(TUTORING_SCHOOL, unit=self.school2)
        second = self.file(TUTORING_COUNTY, unit=self.county)
        flag = TicketDuplicateFlag.objects.get()
        self.assertEqual((flag.ticket, flag.candidate), (second, first))
        self.assertIn("上下级单位（东城区教育局、东城区第二中学）", flag.reason)
        self.assertIn("同一教师“王老师”", flag.reason)
        self.assertIn("金额 800 元", flag.reason)
        self.assertIn("补课", flag.reason)

    def test_the_county_first_then_the_school_is_flagged_too(self) -> None:
        first = self.file(TUTORING_COUNTY, unit=self.county)
        second = self.file(TUTORING_SCHOOL, unit=self.school2)
        self.assertEqual(self.flags(), {(second.pk, first.pk)})
        # A county's ticket has its own unit's bands only; a school's, "below" the county too.
        self.assertEqual(TicketBand.objects.filter(ticket=first).count(), similarity.BINS)
        self.assertEqual(TicketBand.objects.filter(ticket=second).count(), SCHOOL_BANDS)

    def test_sibling_schools_and_another_county_are_not_compared(self) -> None:
        self.file(TUTORING_SCHOOL, unit=self.school2)
        self.file(TUTORING_SCHOOL, unit=self.school)  # the same words, the school next door
        self.file(TUTORING_COUNTY, unit=self.other_county)
        self.file(TUTORING_SCHOOL, unit=self.other_school)
        units = dict(Ticket.objects.values_list("pk", "unit_id"))
        pairs = {frozenset((units[t], units[c])) for t, c in self.flags()}
        # Only the other county's own pair: its bureau and its school.
        self.assertEqual(pairs, {frozenset((self.other_county.pk, self.other_school.pk))})

    def test_another_matter_at_the_same_school_is_kept_apart(self) -> None:
        self.file(TUTORING_SCHOOL, unit=self.school2)
        self.file(TUTORING_OTHER_TEACHER, unit=self.school2)
        self.file(TUTORING_OTHER_TEACHER, unit=self.county)
        self.assertEqual(len(self.flags()), 1)  # the two about the other teacher only

    def test_the_reason_is_shown_on_the_page_and_in_the_queue(self) -> None:
        self.file(TUTORING_SCHOOL, unit=self.school2)
        second = handling.do_accept(
            self.file(TUTORING_COUNTY, unit=self.county), actor=self.bureau_admin
        )
        self.login(self.bureau_admin)
        response = self.client.get(reverse("intake:detail", args=[second.pk]))
        reason = response.context["suspects"][0]["reason"]
        self.assertIn("同一教师“王老师”", reason)
        self.assertContains(response, reason)
        response = self.client.get(reverse("intake:queue"))
        self.assertContains(response, f'data-testid="dupe-badge" title="{reason}"', html=False)

    def test_the_backfill_recomputes_signatures_of_an_older_version(self) -> None:
        first = self.file(TUTORING_SCHOOL, unit=self.school2)
        TicketSignature.objects.update(version=similarity.VERSION - 1)
        TicketBand.objects.all().delete()
        TicketDuplicateFlag.objects.all().delete()
        title, content = TUTORING_COUNTY
        second, _code = check_submit_ticket(  # stored without the job, as before the check
            kind=Ticket.Kind.COMPLAINT,
            category=self.category,
            unit=self.county,
            title=title,
            content=content,
            anonymous=True,
        )
        call_command("intake_signatures", "--flags", stdout=_Sink())
        self.assertEqual(
            set(TicketSignature.objects.values_list("version", flat=True)), {similarity.VERSION}
        )
        self.assertEqual(TicketBand.objects.filter(ticket=first).count(), SCHOOL_BANDS)
        self.assertEqual(self.flags(), {(second.pk, first.pk)})
        self.assertIn("王老师", TicketDuplicateFlag.objects.get().reason)
