"""Objects for the "another school's id → 404" check of every route with an id (core/tests/
objects.py says the convention). A bulletin in draft is the bureau office's alone: neither a
school nor the auditor reaches it."""

from __future__ import annotations

from datetime import date

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from qingfeng.core.tests.objects import Factory, Made
from qingfeng.reports import actions, assessments
from qingfeng.reports.models import Bulletin
from qingfeng.test import BaseTestCase


def _draft(case: BaseTestCase) -> Bulletin:
    return actions.check_create_bulletin(
        actor=case.bureau_admin,
        issuer=case.bureau,
        month=date(2026, 11, 1),
        number=f"清教作〔2026〕{Bulletin.objects.count() + 1}号",
        addressees="各县区教育局",
    )


def bulletin(case: BaseTestCase) -> Made:
    return Made({"pk": _draft(case).pk}, case.bureau_admin)


def version(case: BaseTestCase) -> Made:
    made = _draft(case)
    row = made.versions.get()
    # The rendered PDF as the render job would leave it (LibreOffice is not needed here).
    row.pdf.save("objects.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    return Made({"pk": made.pk, "version_id": row.pk}, case.bureau_admin)


def assessment(case: BaseTestCase) -> Made:
    made = assessments.check_create_assessment(
        actor=case.bureau_admin, issuer=case.bureau, quarter="2026-Q1"
    )
    return Made({"pk": made.pk}, case.bureau_admin)


def score(case: BaseTestCase) -> Made:
    made = assessments.check_create_assessment(
        actor=case.bureau_admin, issuer=case.bureau, quarter="2026-Q2"
    )
    row = made.scores.get(unit=case.school)
    return Made({"pk": made.pk, "score_id": row.pk}, case.bureau_admin)


def manual_evidence(case: BaseTestCase) -> Made:
    """A manual indicator of the school scored with a document as evidence."""
    made = assessments.check_create_assessment(
        actor=case.bureau_admin, issuer=case.bureau, quarter="2026-Q3"
    )
    row = assessments.check_score_manual(
        made.scores.get(unit=case.school),
        actor=case.bureau_admin,
        indicator="commend",
        value="80",
        note="上级发文表扬",
        upload=SimpleUploadedFile("表扬.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    return Made({"pk": made.pk, "evidence_id": row.pk}, case.bureau_admin)


OBJECTS: dict[str, Factory] = {
    "reports:manual_evidence": manual_evidence,
    "reports:assessment": assessment,
    "reports:score_adjust": score,
    "reports:bulletin": bulletin,
    "reports:docx": version,
    "reports:pdf": version,
}
