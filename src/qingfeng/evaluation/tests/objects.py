"""Objects of 东城区实验小学 for the "another school's id → 404" check of every route with an id
(core/tests/objects.py says the convention). The rounds are 东城区's own (owned by the county,
covering its schools), so nobody of 西山县 reaches them."""

from __future__ import annotations

import itertools

from django.core.files.uploadedfile import SimpleUploadedFile

from qingfeng.core.tests.objects import Factory, Made
from qingfeng.evaluation import actions
from qingfeng.evaluation.models import Remedial, Round
from qingfeng.lib.tests.test_scrub import PNG
from qingfeng.orgs.models import Role, Unit
from qingfeng.test import BaseTestCase, make_user

_keys = itertools.count()


def _county_round(case: BaseTestCase, **fields: object) -> Round:
    round_ = actions.check_create_round(
        actor=case.bureau_admin,
        owner=case.county,
        name="东城区学校满意度评议",
        kinds=[Unit.Kind.SCHOOL],
        **fields,  # type: ignore[arg-type]
    )
    return actions.check_open_round(round_, actor=case.bureau_admin)


def _rate(case: BaseTestCase, overall: int, *, seconds: int = 30) -> None:
    actions.check_submit_rating(
        case.school,
        respondent_type="parent",
        overall=overall,
        answers={"规范收费": [5, 4, 3, 2, 1][next(_keys) % 5]},
        idempotency_key=f"objects-{next(_keys):06d}",
        seconds=seconds,
    )


def round_(case: BaseTestCase) -> Made:
    return Made({"pk": _county_round(case).pk}, case.bureau_admin)


def unit_result(case: BaseTestCase) -> Made:
    return Made({"pk": _county_round(case).pk, "unit_id": case.school.pk}, case.county_admin)


def flagged(case: BaseTestCase) -> Made:
    round_ = _county_round(case)
    _rate(case, 4, seconds=1)
    response = round_.responses.get()
    return Made({"pk": round_.pk, "response_id": response.pk}, case.bureau_admin)


def dissatisfied(case: BaseTestCase) -> Made:
    """A 不满意 rating with a comment: what staff may turn into a ticket."""
    round_ = _county_round(case)
    actions.check_submit_rating(
        case.school,
        respondent_type="parent",
        overall=2,
        answers={},
        comment="课后服务收费标准没有公示，家长不清楚收费依据",
        idempotency_key=f"objects-{next(_keys):06d}",
        seconds=30,
    )
    return Made({"pk": round_.pk, "response_id": round_.responses.get().pk}, case.bureau_admin)


def remedial(case: BaseTestCase) -> Made:
    round_ = _county_round(case, min_sample=3)
    for overall in (1, 2, 2, 4):
        _rate(case, overall)
    actions.check_close_round(round_, actor=case.bureau_admin)
    return Made({"pk": Remedial.objects.get(round=round_).pk}, case.school_admin)


def score_import(case: BaseTestCase) -> Made:
    """A rejected upload (no workbook): its page and its error workbook exist."""
    round_ = _county_round(case)
    assessor = make_user(
        f"objects_assessor_{next(_keys)}", unit=case.county, role=Role.THIRD_PARTY, name="评估员"
    )
    upload = SimpleUploadedFile("得分.xlsx", b"not a workbook")
    record = actions.check_import_scores(round_, upload, actor=assessor)
    return Made({"pk": round_.pk, "import_id": record.pk}, case.bureau_admin)


def evidence(case: BaseTestCase) -> Made:
    """A photo behind a third-party score of the school."""
    round_ = _county_round(case)
    assessor = make_user(
        f"objects_assessor_{next(_keys)}", unit=case.county, role=Role.THIRD_PARTY, name="评估员"
    )
    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    entry = actions.check_enter_third_party(
        round_, actor=assessor, unit=case.school, indicator="规范收费", score="90", evidence=[photo]
    )
    return Made({"pk": entry.evidence.get().pk}, case.bureau_admin)


OBJECTS: dict[str, Factory] = {
    "evaluation:evidence": evidence,
    "evaluation:score_import": score_import,
    "evaluation:round": round_,
    "evaluation:unit": unit_result,
    "evaluation:review": flagged,
    "evaluation:comment_ticket": dissatisfied,
    "evaluation:remedial": remedial,
}
