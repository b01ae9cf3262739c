from __future__ import annotations

import io
from datetime import timedelta
from typing import Any
from unittest import mock

import openpyxl
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qingfeng.core.jobs import sweep_jobs
from qingfeng.core.models import Job
from qingfeng.core.tests.work import last_job, post_and_run
from qingfeng.ledger import excel_views
from qingfeng.ledger.excel import work
from qingfeng.ledger.models import LedgerImport, Problem
from qingfeng.ledger.tests.base import LedgerTestCase

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["东城区教育局作风问题整改台账"])
    sheet.append(["填报单位：东城区教育局", None, None, "填报日期：2026年11月20日"])
    sheet.append(
        [
            "序号",
            "清单类别",
            "问题来源",
            "问题类别",
            "问题概述",
            "问题描述",
            "整改措施",
            "责任单位",
            "责任人",
            "整改类型",
            "整改时限",
        ]
    )
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class LedgerExcelPagesTestCase(LedgerTestCase):
    def upload(self, data: bytes, name: str = "台账.xlsx") -> Any:
        return post_and_run(
            self, "/ledger/import/", {"file": SimpleUploadedFile(name, data, content_type=XLSX)}
        )

    def test_a_good_workbook_imports_every_row(self) -> None:
        self.login(self.county_admin)
        data = workbook_bytes(
            [
                [
                    1,
                    "个人整改清单",
                    "自查",
                    "教辅材料违规征订",
                    "推荐教辅",
                    "三年级推荐教辅",
                    "1. 退费\n2. 检查",
                    "东城区实验小学",
                    "周小燕",
                    "限期整改",
                    "2026年12月31日",
                ],
                [
                    2,
                    "个人整改清单",
                    "自查",
                    "师德师风",
                    "有偿补课",
                    "寒假有偿补课",
                    "停止补课",
                    "东城区实验小学",
                    "周小燕",
                    "限期整改",
                    "10个工作日",
                ],
            ]
        )
        response = self.upload(data)
        self.assertContains(response, "导入成功：新增 2 个问题")
        self.assertEqual(Problem.objects.count(), 2)
        record = LedgerImport.objects.get()
        self.assertEqual(record.status, LedgerImport.Status.IMPORTED)
        self.assertTrue(record.file.name)  # the upload is kept

    def test_one_bad_row_writes_nothing_and_lists_the_error(self) -> None:
        self.login(self.county_admin)
        data = workbook_bytes(
            [
                [
                    1,
                    "个人整改清单",
                    "自查",
                    "教辅材料违规征订",
                    "推荐教辅",
                    "描述",
                    "退费",
                    "东城区实验小学",
                    "周小燕",
                    "限期整改",
                    "2026年12月31日",
                ],
                [
                    2,
                    "个人整改清单",
                    "自查",
                    "教辅材料违规征订",
                    "越权",
                    "描述",
                    "退费",
                    "西山县第一中学",
                    "",
                    "限期整改",
                    "2026年12月31日",
                ],
            ]
        )
        response = self.upload(data)
        self.assertContains(response, "导入未通过校验")
        self.assertContains(response, "西山县第一中学")
        self.assertEqual(Problem.objects.count(), 0)
        record = LedgerImport.objects.get()
        errors = self.client.get(f"/ledger/import/{record.pk}/errors.xlsx")
        self.assertEqual(errors.status_code, 200)
        self.assertEqual(errors["Content-Type"], XLSX)

    def test_a_file_that_is_not_excel_is_refused_and_nothing_stored(self) -> None:
        self.login(self.county_admin)
        response = self.upload(b"not a workbook at all", name="台账.xlsx")
        self.assertContains(response, "文件内容不是有效的 Excel 工作簿")
        self.assertFalse(LedgerImport.objects.exists())

    def test_another_users_import_is_404(self) -> None:
        self.login(self.county_admin)
        self.upload(workbook_bytes([]))
        record = LedgerImport.objects.get()
        self.login(self.bureau_admin)
        self.assertEqual(self.client.get(f"/ledger/import/{record.pk}/").status_code, 404)

    def test_export_the_filtered_set_and_the_template(self) -> None:
        self.assigned(title="导出甲")
        self.assigned(unit=self.other_school, title="导出乙", responsible_person=None)
        self.login(self.county_admin)
        response = self.client.get("/ledger/export.xlsx")
        self.assertEqual(response.status_code, 200)
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        text = " ".join(str(c) for row in book.active.iter_rows(values_only=True) for c in row if c)
        self.assertIn("导出甲", text)
        self.assertNotIn("导出乙", text)  # outside the county admin's scope
        template = self.client.get("/ledger/import/template.xlsx")
        self.assertEqual(template.status_code, 200)
        self.login(self.teacher)
        self.assertEqual(self.client.get("/ledger/import/").status_code, 403)

    def test_an_export_of_many_rows_is_a_job_with_progress_and_a_download(self) -> None:
        self.assigned(title="导出甲")
        self.assigned(title="导出丙")
        self.assigned(unit=self.other_school, title="导出乙", responsible_person=None)
        self.login(self.county_admin)
        with (
            mock.patch.object(excel_views, "EXPORT_INLINE", 1),
            self.captureOnCommitCallbacks(execute=True),
        ):
            started = self.client.get("/ledger/export.xlsx?q=导出")
        job = last_job(work.EXPORT)
        self.assertRedirects(started, f"/core/jobs/{job.pk}/", fetch_redirect_response=False)
        self.assertEqual((job.status, job.done, job.total), ("done", 2, 2))
        self.assertEqual(job.outcome, "已导出 2 条")
        page = self.client.get(f"/core/jobs/{job.pk}/")
        self.assertContains(page, "下载文件")
        download = self.client.get(f"/core/jobs/{job.pk}/file/")
        book = openpyxl.load_workbook(io.BytesIO(download.getvalue()))
        text = " ".join(str(c) for row in book.active.iter_rows(values_only=True) for c in row if c)
        self.assertIn("导出甲", text)
        self.assertIn("导出丙", text)
        self.assertNotIn("导出乙", text)  # the job reads as the person who asked
        self.login(self.other_school_admin)
        self.assertEqual(self.client.get(f"/core/jobs/{job.pk}/file/").status_code, 404)

    def test_an_import_whose_worker_died_ends_failed_with_the_reason(self) -> None:
        self.login(self.county_admin)
        data = workbook_bytes([])
        upload = SimpleUploadedFile("台账.xlsx", data, content_type=XLSX)
        self.client.post("/ledger/import/", {"file": upload})  # the job never ran: no commit
        record = LedgerImport.objects.get()
        job = last_job(work.IMPORT)
        self.assertEqual(record.status, LedgerImport.Status.RECEIVED)
        page = self.client.get(f"/ledger/import/{record.pk}/")
        self.assertContains(page, 'data-testid="job-progress"')  # progress, polled
        Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
        with time_machine.travel(timezone.now() + work.IMPORT_WORK.lease + timedelta(minutes=1)):
            sweep_jobs()
        record.refresh_from_db()
        self.assertEqual(record.status, LedgerImport.Status.FAILED)
        self.assertIn("处理进程意外退出", record.errors[0]["message"])
        page = self.client.get(f"/ledger/import/{record.pk}/")
        self.assertContains(page, "导入出错")
        self.assertContains(page, "处理进程意外退出")
        told = self.client.get(f"/core/jobs/{job.pk}/")
        self.assertContains(told, "处理进程意外退出")
