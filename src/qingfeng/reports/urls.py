from __future__ import annotations

from django.urls import path

from qingfeng.reports import assessment_views as av
from qingfeng.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.bulletins, name="bulletins"),
    path("new/", views.bulletin_new, name="bulletin_new"),
    path("<int:pk>/", views.bulletin_detail, name="bulletin"),
    path("<int:pk>/upload/", views.bulletin_upload, name="upload"),
    path("<int:pk>/approve/", views.bulletin_approve, name="approve"),
    path("<int:pk>/issue/", views.bulletin_issue, name="issue"),
    path("<int:pk>/pdf/", views.bulletin_pdf, name="render_pdf"),
    path("<int:pk>/v/<int:version_id>.docx", views.version_file, name="docx"),
    path("<int:pk>/v/<int:version_id>.pdf", views.version_pdf, name="pdf"),
    path("assessments/new/", av.assessment_new, name="assessment_new"),
    path("assessments/<int:pk>/", av.assessment_detail, name="assessment"),
    path("assessments/<int:pk>/approve/", av.assessment_approve, name="assessment_approve"),
    path("assessments/<int:pk>/publish/", av.assessment_publish, name="assessment_publish"),
    path("assessments/<int:pk>/export.xlsx", av.assessment_export, name="assessment_export"),
    path("assessments/<int:pk>/s/<int:score_id>/", av.score_adjust, name="score_adjust"),
    path("assessments/<int:pk>/s/<int:score_id>/manual/", av.score_manual, name="score_manual"),
    path("assessments/<int:pk>/e/<int:evidence_id>/", av.manual_evidence, name="manual_evidence"),
]
