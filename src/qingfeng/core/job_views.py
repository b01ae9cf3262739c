"""The progress page of long work (core/progress.py): its owner watches it move, reads how
it ended and downloads what it made. Anyone else gets the 404 a missing id gets."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.models import Job
from qingfeng.core.policy import signed_in
from qingfeng.core.progress import estimate_seconds


def _own_job(request: AuthenticatedHttpRequest, pk: int) -> Job:
    return get_object_or_404(Job.objects.filter(owner=request.user).exclude(label=""), pk=pk)


def _context(job: Job) -> dict[str, object]:
    percent = min(100, round(100 * job.done / job.total)) if job.total else None
    if job.status == Job.Status.DONE:
        percent = 100
    return {
        "job": job,
        "percent": percent,
        "left": estimate_seconds(job),
        "ended": job.status in (Job.Status.DONE, Job.Status.FAILED),
    }


@signed_in
def job_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return render(request, "core/job.html", _context(_own_job(request, pk)))


@signed_in
def job_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the page polls (htmx) until the work ends; work whose result is
    a page (an import) takes the person there when it is done."""
    job = _own_job(request, pk)
    response = render(request, "core/partials/job_progress.html", _context(job))
    if job.status == Job.Status.DONE and job.result_url and not job.result_file:
        response["HX-Redirect"] = job.result_url
    return response


@signed_in
def job_file(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    job = _own_job(request, pk)
    if job.status != Job.Status.DONE or not job.result_file:
        raise Http404
    return FileResponse(
        job.result_file.open("rb"), as_attachment=True, filename=job.result_name or "export.xlsx"
    )
